// The in-memory test client: requests go through the real Rust pipeline, no socket.
import type { SpikardCore } from "./app";
import { fromNative } from "./errors";
import type { NativeStream, NativeWebSocket } from "./native";
import type { HeadersInit } from "./response";

export interface RequestOptions {
  /** Query parameters added to the path's own. */
  query?: Record<string, string | number | boolean | (string | number | boolean)[]>;
  headers?: HeadersInit;
  cookies?: Record<string, string>;
  /** A JSON body (sets `content-type: application/json` unless given). */
  json?: unknown;
  /** A urlencoded form body. */
  form?: Record<string, string | number | boolean>;
  /** A raw body. */
  body?: string | Uint8Array;
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** A response read whole. */
export class TestResponse {
  readonly status: number;
  /** Header values by lowercase name (repeated values joined with ", "). */
  readonly headers: Record<string, string>;
  /** Every header as sent, in order. */
  readonly headerList: [string, string][];
  readonly body: Uint8Array;

  constructor(status: number, headerList: [string, string][], body: Uint8Array) {
    this.status = status;
    this.headerList = headerList;
    this.body = body;
    const headers: Record<string, string> = {};
    for (const [name, value] of headerList) {
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    this.headers = headers;
  }

  text(): string {
    return utf8.decode(this.body);
  }

  json(): unknown {
    return JSON.parse(this.text());
  }
}

/** A frame the server sent: text, bytes, a pong, its close (`code`, `reason`), or the end of the connection. */
export interface WsFrame {
  type: "text" | "bytes" | "pong" | "close" | "end";
  text?: string;
  bytes?: Uint8Array;
  code?: number;
  reason?: string;
}

/** A WebSocket of the test client; `refused` is the response when the upgrade was refused. */
export class TestWebSocket {
  /** @internal */
  constructor(
    private readonly ws: NativeWebSocket,
    readonly refused: TestResponse | undefined,
  ) {}

  sendText(text: string): Promise<void> {
    return this.ws.sendText(text);
  }

  sendJson(value: unknown): Promise<void> {
    return this.ws.sendText(JSON.stringify(value));
  }

  sendBytes(bytes: Uint8Array): Promise<void> {
    return this.ws.sendBytes(bytes);
  }

  /** A text frame whose bytes are not UTF-8 (the server must refuse it). */
  sendInvalidText(bytes: Uint8Array): Promise<void> {
    return this.ws.sendInvalidText(bytes);
  }

  ping(payload: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.ws.ping(payload);
  }

  close(code = 1000, reason = ""): Promise<void> {
    return this.ws.close(code, reason);
  }

  /** The next frame from the server. */
  async recv(): Promise<WsFrame> {
    const f = await this.ws.recv();
    if (f.text !== undefined && f.text !== null) return { type: "text", text: f.text };
    if (f.bytes !== undefined && f.bytes !== null) return { type: "bytes", bytes: f.bytes };
    if (f.pong !== undefined && f.pong !== null) return { type: "pong", bytes: f.pong };
    if (f.closeCode !== undefined && f.closeCode !== null) return { type: "close", code: f.closeCode, reason: f.closeReason ?? "" };
    return { type: "end" };
  }

  /** The next frame, which must be text. */
  async receiveText(): Promise<string> {
    const frame = await this.recv();
    if (frame.type !== "text") throw new Error(`expected a text frame, got ${frame.type}`);
    return frame.text ?? "";
  }

  /** The next frame's JSON. */
  async receiveJson(): Promise<unknown> {
    return JSON.parse(await this.receiveText());
  }
}

/** One server-sent event block as sent, with its fields parsed. */
export interface SseMessage {
  /** The block exactly as sent (with its blank line). */
  raw: string;
  event?: string;
  id?: string;
  retry?: number;
  /** The data lines joined with newlines (`undefined` for a comment-only block). */
  data?: string;
  comments: string[];
}

/** A response read as it arrives: chunks or server-sent events; `close()` leaves as a client would. */
export class TestStream {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly headerList: [string, string][];

  /** @internal */
  constructor(private readonly stream: NativeStream) {
    this.status = stream.status;
    this.headerList = stream.headers;
    this.headers = new TestResponse(this.status, this.headerList, new Uint8Array(0)).headers;
  }

  /** The next chunk; `null` at the end. Rejects when the stream failed. */
  nextChunk(): Promise<Uint8Array | null> {
    return this.stream.nextChunk();
  }

  /** The next event block; `null` at the end. */
  async nextEvent(): Promise<SseMessage | null> {
    const raw = await this.stream.nextEvent();
    return raw === null ? null : parseEvent(raw);
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

/** A `text/event-stream` block's fields. */
export function parseEvent(raw: string): SseMessage {
  const message: SseMessage = { raw, comments: [] };
  const data: string[] = [];
  for (const line of raw.split(/\r\n|\r|\n/)) {
    if (line === "") continue;
    if (line.startsWith(":")) {
      message.comments.push(line.slice(1).replace(/^ /, ""));
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) message.retry = Number(value);
  }
  if (data.length > 0) message.data = data.join("\n");
  return message;
}

export class TestClient {
  constructor(private readonly app: SpikardCore) {}

  /** Send a request and read its response as it arrives (streams, server-sent events). */
  async stream(method: string, path: string, options: Pick<RequestOptions, "query" | "headers" | "cookies"> = {}): Promise<TestStream> {
    try {
      return new TestStream(await this.app.native.stream(method.toUpperCase(), withQuery(path, options.query), headerList(options)));
    } catch (err) {
      throw fromNative(err);
    }
  }

  /** Open a WebSocket to `path` through the pipeline. */
  async websocket(path: string, options: Pick<RequestOptions, "query" | "headers" | "cookies"> = {}): Promise<TestWebSocket> {
    const headers = headerList(options);
    let ws: NativeWebSocket;
    try {
      const connect = this.app.native.connectWebsocket?.bind(this.app.native);
      if (connect === undefined) throw new Error("this runtime has no WebSocket routes to connect to");
      ws = await connect(withQuery(path, options.query), headers);
    } catch (err) {
      throw fromNative(err);
    }
    const refused = ws.refused();
    return new TestWebSocket(
      ws,
      refused === null ? undefined : new TestResponse(refused.status, refused.headers, refused.body),
    );
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
    const headers = headerList(options);
    const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
    let body: Uint8Array | undefined;
    if (options.json !== undefined) {
      body = encoder.encode(JSON.stringify(options.json));
      if (!has("content-type")) headers.push(["content-type", "application/json"]);
    } else if (options.form !== undefined) {
      const form = new URLSearchParams(Object.entries(options.form).map(([k, v]): [string, string] => [k, String(v)]));
      body = encoder.encode(form.toString());
      if (!has("content-type")) headers.push(["content-type", "application/x-www-form-urlencoded"]);
    } else if (options.body !== undefined) {
      body = typeof options.body === "string" ? encoder.encode(options.body) : options.body;
    }
    const uri = withQuery(path, options.query);
    try {
      const result = await this.app.native.request(method.toUpperCase(), uri, headers, body);
      return new TestResponse(result.status, result.headers, result.body);
    } catch (err) {
      throw fromNative(err);
    }
  }

  get(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("GET", path, options);
  }

  post(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("POST", path, options);
  }

  put(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("PUT", path, options);
  }

  patch(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("PATCH", path, options);
  }

  delete(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("DELETE", path, options);
  }

  head(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("HEAD", path, options);
  }

  options(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("OPTIONS", path, options);
  }
}

/** The request's header pairs, its cookies as one `cookie` header. */
function headerList(options: Pick<RequestOptions, "headers" | "cookies">): [string, string][] {
  const headers: [string, string][] = [];
  const given = options.headers ?? [];
  for (const [name, value] of Array.isArray(given) ? given : Object.entries(given)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      headers.push([name, v]);
    }
  }
  if (options.cookies !== undefined) {
    const cookie = Object.entries(options.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    headers.push(["cookie", cookie]);
  }
  return headers;
}

/** `path` with `query` appended. */
function withQuery(path: string, query: RequestOptions["query"]): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const text = params.toString();
  return text ? path + (path.includes("?") ? "&" : "?") + text : path;
}
