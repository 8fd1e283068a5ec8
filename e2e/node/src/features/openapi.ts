/**
 * OpenAPI fixtures (mirrors `e2e/python/features/openapi.py`): an app of several routes,
 * a request for one of the documents or docs pages, and the expected response.
 *
 * The app is described under `handler.middleware.openapi`: `config` (the `OpenApiConfig`;
 * omitted: defaults; `null`: no OpenAPI at all), `server` (other `ServerConfig` settings)
 * and `routes` (route specs with the documentation keys), registered through
 * `app.route(...)` (an SSE route, `kind: "sse"`, emits no event) or `app.websocket(...)`
 * (a WebSocket route echoes text messages, as Python's `_echo`). A route's `handler_name`
 * is its function's name (the package names the route after its handler, as `name=` does
 * in Python); unnamed routes get an anonymous function, so no summary is derived from it.
 */
import { Fixture, send, type Answer } from "../fixture";
import { get, obj, str, toPlain, type JsonObject } from "../json";
import { EventSourceResponse, Spikard, TestClient, type RouteOptions } from "../spikard";

const ROUTE_KEYS = [
  "parameters", "body_schema", "content_type", "middleware", "event_schema", "tags", "summary", "description",
  "operation_id", "deprecated", "include_in_schema", "response_schema", "responses", "status_code",
];

const WS_KEYS = ["message_schema", "event_schema", "tags", "summary", "description", "operation_id", "deprecated", "include_in_schema"];

export function section(f: Fixture): JsonObject | undefined {
  return obj(get(f.handler.get("middleware"), "openapi"));
}

function named(name: string | undefined, answer: () => unknown = () => ({ handler_called: true })): () => unknown {
  const handler = (): unknown => answer();
  Object.defineProperty(handler, "name", { value: name ?? "" });
  return handler;
}

/** The app a fixture's `handler.middleware.openapi` section describes. */
export function buildApp(sec: JsonObject): Spikard {
  const config = (toPlain(obj(sec.get("server")) ?? new Map()) ?? {}) as Record<string, unknown>;
  config.openapi = !sec.has("config") ? {} : toPlain(sec.get("config") ?? null);
  const app = new Spikard(config);
  const routes = sec.get("routes");
  (Array.isArray(routes) ? routes : []).forEach((route, i) => {
    const path = str(get(route, "route")) || str(get(route, "path")) || "";
    const kind = (str(get(route, "kind")) ?? "http").toLowerCase();
    if (kind === "websocket" || kind === "ws") {
      const options: RouteOptions = {};
      for (const k of WS_KEYS) {
        const v = get(route, k);
        if (v !== undefined && v !== null) options[k] = toPlain(v);
      }
      const name = str(get(route, "handler_name"));
      if (name !== undefined) options.handler_name = name;
      const validated = options.message_schema !== undefined;
      try {
        app.websocket(path, options, {
          // Python's `_echo`: each text message back as it came (a validated one is JSON).
          message: (ws, data) => {
            if (data instanceof Uint8Array) throw new TypeError("expected a text message, got a binary one");
            return ws.send(validated && typeof data === "string" ? JSON.stringify(data) : data);
          },
        });
      } catch (e) {
        throw new Error(`openapi.routes[${i}] registration failed: ${(e as Error).message}`);
      }
      return;
    }
    const options: RouteOptions = {};
    for (const k of ROUTE_KEYS) {
      const v = get(route, k);
      if (v !== undefined && v !== null) options[k] = toPlain(v);
    }
    try {
      const method = (str(get(route, "method")) ?? "GET").toUpperCase();
      const name = str(get(route, "handler_name"));
      if (kind === "sse") app.route({ ...options, method, path, kind: "sse" }, named(name, () => new EventSourceResponse([])));
      else app.route({ ...options, method, path }, named(name));
    } catch (e) {
      throw new Error(`openapi.routes[${i}] registration failed: ${(e as Error).message}`);
    }
  });
  return app;
}

/** Play an OpenAPI fixture (its problems), or `undefined` when the fixture is not one. */
export async function play(f: Fixture, compare: (f: Fixture, res: Answer, appAnswers: boolean) => string[], appAnswers: boolean): Promise<string[] | undefined> {
  const sec = section(f);
  if (sec === undefined) return undefined;
  let client: TestClient;
  try {
    client = new TestClient(buildApp(sec));
  } catch (e) {
    return [(e as Error).message];
  }
  return compare(f, await send(client, f.request), appAnswers);
}
