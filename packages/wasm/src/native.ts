// The compiled module (crates/spikard-wasm, built by wasm-bindgen into ../pkg): the shared
// protocol's app (@spikard/js) plus `handle`, a request from the host's `fetch`.
import type { NativeApp, NativeCall, NativeModule } from "@spikard/js/runtime";

export type { NativeCall };
/** A function's index, or a value's handle, handed over with a registration. */
export type ObjectRefLike = Parameters<NativeApp["addRoute"]>[1][number];

/** A response as the module hands it over: the body whole, or pulled chunk by chunk. */
export interface NativeResponse {
  readonly status: number;
  readonly headers: [string, string][];
  /** The whole body; `undefined` when it streams. */
  readonly body: Uint8Array<ArrayBuffer> | undefined;
  /** The next chunk of a streamed body; `null` at its end. */
  next(): Promise<Uint8Array<ArrayBuffer> | null>;
  /** Drop a streamed body (the client went away). */
  cancel(): void;
}

/** The WebAssembly module's app. */
export interface WasmNativeApp extends NativeApp {
  handle(method: string, uri: string, headers: [string, string][], body: Uint8Array | undefined | null): Promise<NativeResponse>;
  /** Background tasks started and not yet finished. */
  backgroundPending(): number;
  /** Resolves once none is pending (or after the drain timeout). */
  idle(): Promise<void>;
}

export type WasmModule = NativeModule<WasmNativeApp>;

let loaded: WasmModule | undefined;

/** Set by the entry point once the module is instantiated. */
export function setModule(module: WasmModule): void {
  loaded = module;
}

export function module(): WasmModule {
  if (loaded === undefined) throw new Error("the WebAssembly module is not instantiated yet");
  return loaded;
}
