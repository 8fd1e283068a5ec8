// The compiled module (crates/spikard-node, built to ../spikard.node) and its types.

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
  kind: "json" | "text" | "bytes" | "empty" | "keep" | "stream" | "sse";
  /** The body text (JSON text for `json`). */
  text?: string;
  bytes?: Buffer;
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
  body: Buffer;
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
  settleChunk(id: number, chunk: Buffer | null): void;
  settleEvent(id: number, json: string | null): void;
  settleResponse(id: number, init: ResponseInit, effects?: Effects | null): void;
  settleError(id: number, described: unknown, exception: number | null): void;
  addWebsocket(spec: unknown, handlers: number[]): void;
  wsSend(ws: number, text: string | null, bytes: Buffer | null): Promise<void>;
  wsClose(ws: number, code: number, reason: string): Promise<void>;
  wsRelease(ws: number): void;
  connectWebsocket(uri: string, headers: [string, string][]): Promise<NativeWebSocket>;
  stream(method: string, uri: string, headers: [string, string][]): Promise<NativeStream>;
  listen(host: string, port: number, workers?: number | null): Promise<number>;
  close(): Promise<void>;
  request(method: string, uri: string, headers: [string, string][], body: Buffer | undefined | null): Promise<NativeResult>;
}

/** A frame the server sent to a test client's WebSocket. */
export interface NativeFrame {
  text?: string;
  bytes?: Buffer;
  pong?: Buffer;
  closeCode?: number;
  closeReason?: string;
  ended: boolean;
}

export interface NativeWebSocket {
  refused(): NativeResult | null;
  sendText(text: string): Promise<void>;
  sendBytes(bytes: Buffer): Promise<void>;
  sendInvalidText(bytes: Buffer): Promise<void>;
  ping(payload: Buffer): Promise<void>;
  close(code: number, reason: string): Promise<void>;
  recv(): Promise<NativeFrame>;
}

export interface NativeStream {
  readonly status: number;
  readonly headers: [string, string][];
  nextChunk(): Promise<Buffer | null>;
  nextEvent(): Promise<string | null>;
  close(): Promise<void>;
}

interface NativeModule {
  defaultConfigs(): Record<string, Record<string, unknown>>;
  NativeApp: new (config: unknown, dispatch: (calls: NativeCall[]) => void) => NativeApp;
}

/** The module beside the package root (`dist/` and the tests' build are one level below it, or two). */
function load(): NativeModule {
  const candidates = [`${__dirname}/../spikard.node`, `${__dirname}/../../spikard.node`];
  for (const file of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as NativeModule;
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  throw new Error(`spikard.node not found beside the package (${candidates.join(", ")}): run ./task build:node`);
}

export const native: NativeModule = load();
