// What the compiled module of each runtime package offers (crates/spikard-node for
// @spikard/node, crates/spikard-wasm for @spikard/wasm): both speak the protocol of
// crates/spikard-js, so this package's classes work over either.

/** One call handed to JavaScript by the core's dispatcher. */
export interface NativeCall {
  id: number;
  func: number;
  args: unknown[];
  /** The arguments as JSON text (then `args` is empty). */
  json?: string | null;
}

/** A response built in JavaScript, as the core reads it. */
export interface ResponseInit {
  status: number;
  headers: string[][];
  kind: "json" | "text" | "bytes" | "empty" | "keep" | "file" | "stream" | "sse";
  /** The body text (JSON text for `json`; for `file`, `{path?, filename?, inline, modified?}` as JSON). */
  text?: string;
  bytes?: Uint8Array;
  /** The handle of a streamed body's or an event stream's iterator. */
  stream?: number;
  /** Seconds of silence before an event stream's keep-alive comment. */
  keepAlive?: number;
}

/** A function's index, or a value's handle with the JSON type it stands for. */
export interface ObjectRef {
  id: number;
  jsonType?: string;
}

/** What a call did to its request: its state (JSON text) and the headers it added. */
export interface Effects {
  state?: string;
  headers?: string[][];
  /** Handles of background tasks to run. */
  tasks?: number[];
}

export interface NativeResult {
  status: number;
  /** `[name, value]` pairs in order. */
  headers: [string, string][];
  body: Uint8Array;
}

export interface NativeApp {
  configure(config: unknown): void;
  config(): Record<string, unknown>;
  addRoute(decl: unknown, objects: ObjectRef[]): void;
  addHook(decl: unknown, objects: ObjectRef[]): void;
  provide(name: string, decl: unknown, objects: ObjectRef[]): void;
  settleDependency(id: number, handle: number, jsonType: string | null, generator: number | null): void;
  flush(): void;
  settleJson(id: number, json: string, effects?: Effects | null): void;
  settleChunk(id: number, chunk: Uint8Array | null): void;
  settleEvent(id: number, json: string | null): void;
  settleResponse(id: number, init: ResponseInit, effects?: Effects | null): void;
  settleError(id: number, described: unknown, exception: number | null): void;
  /** Refused with a `ConfigError` where the runtime has no server (a worker). */
  addWebsocket(spec: unknown, handlers: number[]): void;
  stream(method: string, uri: string, headers: [string, string][]): Promise<NativeStream>;
  request(method: string, uri: string, headers: [string, string][], body: Uint8Array | undefined | null): Promise<NativeResult>;
  /** Server-side WebSocket connections (only where WebSocket routes exist). */
  wsSend?(ws: number, text: string | null, bytes: Uint8Array | null): Promise<void>;
  wsClose?(ws: number, code: number, reason: string): Promise<void>;
  wsRelease?(ws: number): void;
  /** The test client's WebSockets (only where WebSocket routes exist). */
  connectWebsocket?(uri: string, headers: [string, string][]): Promise<NativeWebSocket>;
}

/** A frame the server sent to a test client's WebSocket. */
export interface NativeFrame {
  text?: string;
  bytes?: Uint8Array;
  pong?: Uint8Array;
  closeCode?: number;
  closeReason?: string;
  ended: boolean;
}

export interface NativeWebSocket {
  refused(): NativeResult | null;
  sendText(text: string): Promise<void>;
  sendBytes(bytes: Uint8Array): Promise<void>;
  sendInvalidText(bytes: Uint8Array): Promise<void>;
  ping(payload: Uint8Array): Promise<void>;
  close(code: number, reason: string): Promise<void>;
  recv(): Promise<NativeFrame>;
}

export interface NativeStream {
  readonly status: number;
  readonly headers: [string, string][];
  nextChunk(): Promise<Uint8Array | null>;
  nextEvent(): Promise<string | null>;
  close(): Promise<void>;
}

/** A compiled module: the app class, constructed with the core's config and the dispatcher. */
export interface NativeModule<N extends NativeApp = NativeApp> {
  defaultConfigs(): Record<string, Record<string, unknown>>;
  NativeApp: new (config: unknown, dispatch: (calls: NativeCall[]) => void) => N;
}
