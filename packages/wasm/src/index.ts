// The entry point for Node, Bun and Deno: the module's bytes read from beside this file,
// instantiated once, before the app classes are used.
import * as glue from "./glue";
import { setModule, type WasmModule } from "./native";

const { readFileSync } = await import("node:fs");
glue.initSync({ module: readFileSync(new URL("./spikard_wasm_bg.wasm", import.meta.url)) });
setModule(glue as unknown as WasmModule);

export * from "./exports";
