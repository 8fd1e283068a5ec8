// WebSocket routes: per connection, `open(ws)`, `message(ws, data)` and `close(ws, code,
// reason)` (the core checks sizes, UTF-8 and the route's `message_schema` first and
// answers bad messages itself).
import { stringify } from "./json";
import type { NativeApp } from "./native";
import type { Request } from "./request";

/** The module's side of server-side connections. */
export type NativeSockets = Required<Pick<NativeApp, "wsSend" | "wsClose" | "wsRelease">>;

/** `native`'s connections: only a runtime with WebSocket routes has them (and only there
 * are handlers called with a socket). */
export function socketsOf(native: NativeApp): NativeSockets {
  if (!native.wsSend || !native.wsClose || !native.wsRelease) {
    throw new Error("this runtime has no WebSocket connections");
  }
  return native as NativeSockets;
}

/** A server-side connection. */
export class WebSocket {
  /** Per-connection values the handlers share. */
  readonly data: Record<string, unknown> = {};

  /** @internal */
  constructor(
    private readonly native: NativeSockets,
    private readonly id: number,
    /** The upgrade request (path parameters, query, headers, cookies). */
    readonly request: Request,
  ) {}

  /** Send a text frame (a string), a binary one (bytes), or a value as JSON text; resolves once queued. */
  send(data: unknown): Promise<void> {
    if (data instanceof Uint8Array) {
      return this.native.wsSend(this.id, null, data);
    }
    return this.native.wsSend(this.id, typeof data === "string" ? data : stringify(data), null);
  }

  /** Close the connection (1000-4999). */
  close(code = 1000, reason = ""): Promise<void> {
    return this.native.wsClose(this.id, code, reason);
  }
}

/** A WebSocket route's handlers; `message` gets the parsed JSON (with a `message_schema`), a string, or bytes. */
export interface WebSocketHandlers {
  open?: (ws: WebSocket) => unknown;
  message?: (ws: WebSocket, data: unknown) => unknown;
  close?: (ws: WebSocket, code: number, reason: string) => unknown;
}

/** A message as the core hands it over. */
export function messageData(message: { text?: string; json?: unknown; binary?: string }): unknown {
  if (message.binary !== undefined) return Uint8Array.from(atob(message.binary), (c) => c.charCodeAt(0));
  if (message.text !== undefined) return message.text;
  return message.json;
}
