// The example worker in each edge runtime the package supports, through a real socket:
// workerd (Cloudflare's runtime, as config.capnp serves it), Deno (Deno.serve) and Bun
// (Bun.serve). Each answers the same requests the same way. For workerd it also measures
// the start: process start to first answer, for the worker against a trivial worker (the
// difference is compiling and instantiating the module, building the app and routing the
// first request). Exit status 1 when a runtime answers differently.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
const bin = (name) => `${here}node_modules/.bin/${name}`;
const WORKERD = `${here}node_modules/@cloudflare/workerd-linux-64/bin/workerd`;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The first answer to GET `url` once the server is up (polled), and how long it took. */
async function firstAnswer(url, started, child) {
  for (let i = 0; i < 2000; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return performance.now() - started;
    } catch {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  throw new Error(`no answer from ${url}`);
}

const CHECKS = [
  ["GET", "/products/1", undefined, 200, (b) => b.name === "Desk lamp"],
  ["GET", "/products/abc", undefined, 422, (b) => b.errors?.[0]?.type === "int_parsing"],
  ["GET", "/products/99", undefined, 404, (b) => b.detail === "no product 99"],
  ["POST", "/products", { name: "", price: 0 }, 422, (b) => b.errors?.length === 2],
  ["POST", "/products", { name: "Chair", price: 120, category: "office" }, 201, (b) => b.name === "Chair"],
  ["GET", "/openapi.json", undefined, 200, (b) => b.paths?.["/products/{product_id}"] !== undefined],
];

async function check(name, base) {
  const failures = [];
  for (const [method, path, body, status, ok] of CHECKS) {
    const init = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } };
    const res = await fetch(base + path, init);
    const json = await res.json().catch(() => undefined);
    if (res.status !== status || !ok(json ?? {})) failures.push(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  }
  console.log(`${name}: ${CHECKS.length - failures.length}/${CHECKS.length} answers as expected`);
  for (const f of failures) console.log(`  FAIL ${f}`);
  return failures.length;
}

/** Kill `child`'s whole process group. */
function stop(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

async function serve(name, command, args, port, options = {}) {
  const started = performance.now();
  // A group of its own: the npm packages' launchers start the runtime as a child of theirs.
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], detached: true, ...options });
  try {
    const ms = await firstAnswer(`http://127.0.0.1:${port}/health`, started, child);
    const failed = await check(name, `http://127.0.0.1:${port}`);
    return { ms, failed };
  } finally {
    stop(child);
  }
}

/** workerd: the worker bundled as config.capnp expects it (build/), on `port`. */
async function workerd(port, worker = "worker.mjs") {
  const out = `${here}build/${worker === "worker.mjs" ? "app" : "trivial"}`;
  mkdirSync(out, { recursive: true });
  await build({
    absWorkingDir: here,
    entryPoints: [worker],
    outfile: `${out}/worker.js`,
    bundle: true,
    format: "esm",
    conditions: ["workerd"],
    external: ["*.wasm"],
    logLevel: "warning",
  });
  cpSync(`${here}node_modules/@spikard/wasm/dist/spikard_wasm_bg.wasm`, `${out}/spikard_wasm_bg.wasm`);
  const config = `${out}/config.capnp`;
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = (
    modules = [(name = "worker.js", esModule = embed "worker.js"), (name = "spikard_wasm_bg.wasm", wasm = embed "spikard_wasm_bg.wasm")],
    compatibilityDate = "2025-09-01"))],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")]);
`,
  );
  return config;
}

let failed = 0;
const trivial = `${here}build/trivial.mjs`;
mkdirSync(`${here}build`, { recursive: true });
writeFileSync(trivial, 'export default { fetch: () => new Response("{}") };\n');

// workerd: the example, and the trivial worker for the baseline.
{
  const port = await freePort();
  const result = await serve("workerd", WORKERD, ["serve", await workerd(port)], port);
  failed += result.failed;
  const basePort = await freePort();
  const baseConfig = await workerd(basePort, "build/trivial.mjs");
  const started = performance.now();
  const child = spawn(WORKERD, ["serve", baseConfig], { stdio: "inherit", detached: true });
  const base = await firstAnswer(`http://127.0.0.1:${basePort}/`, started, child).finally(() => stop(child));
  console.log(`workerd start to first answer: ${result.ms.toFixed(0)} ms for the worker, ${base.toFixed(0)} ms for a trivial one (module + app + first request: ${(result.ms - base).toFixed(0)} ms)`);
}

// Deno and Bun: the worker module's default export served by the runtime's own server.
for (const [name, command, args] of [
  ["deno", bin("deno"), ["run", "--allow-read", "--allow-net", "--allow-env", `${here}serve.mjs`]],
  ["bun", bin("bun"), [`${here}serve.mjs`]],
]) {
  const port = await freePort();
  const result = await serve(name, command, args, port, { env: { ...process.env, PORT: String(port) } });
  failed += result.failed;
}

process.exitCode = failed > 0 ? 1 : 0;
