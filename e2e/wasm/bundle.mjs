// The WebAssembly runner is the Node runner's source (e2e/node/src) with @spikard/node
// replaced by @spikard/wasm (the same API, names mirrored): bundled as an ES module, since
// @spikard/wasm is one (its entry instantiates the module with a top-level await).
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
await build({
  absWorkingDir: here,
  entryPoints: ["../node/src/run.ts"],
  outfile: "dist/run.mjs",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  alias: { "@spikard/node": "@spikard/wasm" },
  // An edge worker has no file system: the runner's file responses are bytes.
  define: { __SPIKARD_EDGE__: "true" },
  external: ["@spikard/wasm"],
  // The runner is CommonJS at heart: it finds the repository from its own directory.
  banner: {
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      'import { fileURLToPath as __fileURLToPath } from "node:url";',
      "const require = __createRequire(import.meta.url);",
      "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
    ].join("\n"),
  },
  logLevel: "warning",
});
