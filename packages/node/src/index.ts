// @spikard/node: Spikard's Rust HTTP core with handlers in TypeScript, served on Node or Bun.
// The API is @spikard/js's (shared with @spikard/wasm); this package adds the server.
export * from "@spikard/js";
export { Spikard } from "./app";
export type { ListenOptions } from "./app";
export type { NodeNativeApp } from "./native";
