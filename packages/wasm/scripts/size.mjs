// The module's size, raw, gzip (-9) and brotli (quality 11), against the figure recorded in
// size.json: the build fails when gzip grows more than 5 % over it. `--record` writes the
// current figures (after a change that is meant to grow it, say why in the commit).
import { readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const here = new URL("..", import.meta.url).pathname;
const wasm = readFileSync(`${here}pkg/spikard_wasm_bg.wasm`);
const sizes = {
  raw: wasm.length,
  gzip: gzipSync(wasm, { level: 9 }).length,
  brotli: brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
};
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`spikard_wasm_bg.wasm: raw ${kb(sizes.raw)}, gzip ${kb(sizes.gzip)}, brotli ${kb(sizes.brotli)}`);
const recordFile = `${here}size.json`;
if (process.argv.includes("--record")) {
  writeFileSync(recordFile, `${JSON.stringify(sizes, null, 2)}\n`);
  console.log(`recorded in ${recordFile}`);
} else {
  const recorded = JSON.parse(readFileSync(recordFile, "utf8"));
  const limit = Math.round(recorded.gzip * 1.05);
  if (sizes.gzip > limit) {
    console.error(`gzip size ${sizes.gzip} B is more than 5 % over the recorded ${recorded.gzip} B (limit ${limit} B)`);
    process.exit(1);
  }
  console.log(`within 5 % of the recorded gzip size (${kb(recorded.gzip)})`);
}
