// @spikard/wasm: Spikard's Rust core compiled to WebAssembly, with handlers in TypeScript,
// behind a fetch handler. The API is @spikard/js's (shared with @spikard/node).
export * from "@spikard/js";
export { Spikard } from "./app";
export type { ExecutionContext } from "./app";
