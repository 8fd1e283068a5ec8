// What the runtime packages (@spikard/node, @spikard/wasm) need from @spikard/js beside its
// public API: the compiled module's interfaces, config key conversion and error mapping.
export { camelCase, renameKeys, snakeCase } from "./config";
export { fromNative, native as guarded } from "./errors";
export type { NativeApp, NativeCall, NativeModule, NativeResult, NativeStream, NativeWebSocket } from "./native";
