// The entry point for Cloudflare Workers and workerd (the `workerd` export condition): the
// module arrives compiled, as a wasm module import.
import wasm from "./spikard_wasm_bg.wasm";
import * as glue from "./glue";
import { setModule, type WasmModule } from "./native";

glue.initSync({ module: wasm });
setModule(glue as unknown as WasmModule);

export * from "./exports";
