// The entry point for Cloudflare Workers and workerd (the `workerd` export condition): the
// module arrives compiled, as a wasm module import; registrations wait for the first
// request (deferred.ts).
import wasm from "./spikard_wasm_bg.wasm";
import { deferRegistrations } from "./deferred";
import * as glue from "./glue";
import { setModule, type WasmModule } from "./native";

glue.initSync({ module: wasm });
// An app is usually built at global scope, where workerd forbids random values.
setModule(deferRegistrations(glue as unknown as WasmModule));

export * from "./exports";
