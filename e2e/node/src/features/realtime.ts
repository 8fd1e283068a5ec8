/**
 * SSE and WebSocket message fixtures (`channel`, `protocol`, `schema`, `examples`; no
 * request), recognised as `e2e/python/features/realtime.py` does.
 *
 * The package's first slice has neither SSE routes nor WebSockets (nor a test client
 * for them): each fixture fails with that reason. When the package adds them, port
 * `play_sse` / `play_websocket` of `realtime.py` here.
 */
import { Fixture } from "../fixture";
import { str } from "../json";

export function protocol(f: Fixture): "sse" | "websocket" | undefined {
  if (f.data.has("request")) return undefined;
  const named = (str(f.data.get("protocol")) || f.category).toLowerCase();
  if (named === "sse" || named === "server-sent-events") return "sse";
  if (["websocket", "websockets", "ws", "wss"].includes(named)) return "websocket";
  return undefined;
}

/** The channel as a route pattern and as a concrete path (`{param}` filled in). */
export function channel(f: Fixture, fallback: string): [string, string] {
  const raw = str(f.data.get("channel"));
  const pattern = !raw ? fallback : raw.startsWith("/") ? raw : `/${raw}`;
  return [pattern, pattern.replace(/\{[^}]*\}/g, "sample")];
}

/** The fixture's problems when it is a message fixture, else `undefined`. */
export async function play(f: Fixture): Promise<string[] | undefined> {
  const p = protocol(f);
  if (p === undefined) return undefined;
  const [pattern] = channel(f, p === "sse" ? "/events" : "/ws");
  return p === "sse"
    ? [`SSE channel ${pattern}: the package has no server-sent-events routes or stream reading in its TestClient (not in its first slice)`]
    : [`WebSocket channel ${pattern}: the package has no WebSocket routes or TestClient WebSocket (not in its first slice)`];
}
