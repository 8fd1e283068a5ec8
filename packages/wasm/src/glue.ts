// wasm-bindgen's JavaScript for the module (../pkg, made by `./task build:wasm`).
export * from "../pkg/spikard_wasm.js";
