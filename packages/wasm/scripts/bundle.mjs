// Bundles the package for its two kinds of hosts (./task build:wasm runs it after
// wasm-bindgen): dist/index.js (Node, Bun, Deno: reads the module from beside it) and
// dist/workerd.js (workerd, Cloudflare Workers: imports it compiled), both ES modules with
// @spikard/js compiled in from its TypeScript, and the module itself.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const here = new URL("..", import.meta.url).pathname;
mkdirSync(`${here}dist`, { recursive: true });
await build({
  absWorkingDir: here,
  entryPoints: ["src/index.ts", "src/workerd.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["source"],
  mainFields: ["module", "main"],
  external: ["node:fs", "*.wasm", "zod"],
  logLevel: "warning",
});
copyFileSync(`${here}pkg/spikard_wasm_bg.wasm`, `${here}dist/spikard_wasm_bg.wasm`);
