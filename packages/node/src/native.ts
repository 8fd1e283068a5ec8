// The compiled module (crates/spikard-node, built to ../spikard.node): the shared protocol's
// app (@spikard/js) plus what a server has.
import type { NativeApp, NativeModule, NativeResult } from "@spikard/js/runtime";

/** The Node module's app: a server, and WebSocket routes. */
export interface NodeNativeApp extends NativeApp {
  listen(host: string, port: number, workers?: number | null): Promise<number>;
  close(): Promise<void>;
  wsSend(ws: number, text: string | null, bytes: Uint8Array | null): Promise<void>;
  wsClose(ws: number, code: number, reason: string): Promise<void>;
  wsRelease(ws: number): void;
}

export type { NativeResult };

/** The module beside the package root (`dist/` and the tests' build are one level below it, or two). */
function load(): NativeModule<NodeNativeApp> {
  const candidates = [`${__dirname}/../spikard.node`, `${__dirname}/../../spikard.node`];
  for (const file of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as NativeModule<NodeNativeApp>;
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  throw new Error(`spikard.node not found beside the package (${candidates.join(", ")}): run ./task build:node`);
}

export const native: NativeModule<NodeNativeApp> = load();
