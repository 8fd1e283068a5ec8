// Contestant `spikard-wasm`: the shared routes (../spikard-node/routes.js) on @spikard/wasm,
// its fetch handler served by @hono/node-server, the same Node server as `hono-node`.
//
// Started by the harness as `node app.mjs` (port in $PORT) with SPIKARD_WASM_PACKAGE naming
// the package's `dist/index.js`: the install step `spikard-wasm` builds the module (wasm-opt
// -Oz) and copies the package and @hono/node-server to `work/spikard-wasm`. Run by hand, it
// falls back to the package in the repository and the peers' node_modules.
import { createRequire } from "node:module";

const here = new URL(".", import.meta.url);
const packageUrl = process.env.SPIKARD_WASM_PACKAGE ?? new URL("../../../../packages/wasm/dist/index.js", here).pathname;
const { Spikard } = await import(packageUrl);
const routes = createRequire(import.meta.url)("../spikard-node/routes.js");
const peers = createRequire(`${process.env.SPIKARD_WASM_PEERS ?? new URL("../../work/node/", here).pathname}/`);
const { serve } = peers("@hono/node-server");

const app = new Spikard();
routes(app);
serve({ fetch: app.fetch, port: Number(process.env.PORT || 8000), hostname: "127.0.0.1" });
