// Tasks per second for a small JSON task (`app.tasks.add`) through the real client's wire
// format: the Rust server (release build) against the package's own Node exposure, on
// the same machine in the same run, rounds interleaved.
//
//   cargo build --release -p runner-tunnel
//   node examples/runner-tunnel/e2e/bench.cjs [--seconds 5] [--concurrency 32] [--rounds 3]
//
// Two load generators per round: the real `createHttpClient` (N concurrent callers in
// this process) and, when `wrk` is installed, wrk posting the same bytes the client sends
// (the body is `new Serializer().stringify({input: {a: 2, b: 3}})`).
"use strict";

const path = require("node:path");
const net = require("node:net");
const fs = require("node:fs");
const os = require("node:os");
const { spawn, spawnSync } = require("node:child_process");
const { createHttpClient, Serializer } = require("@bluelibs/runner/node");

const opts = { seconds: 5, concurrency: 32, rounds: 3 };
for (let i = 2; i < process.argv.length; i += 2) opts[process.argv[i].replace(/^--/, "")] = Number(process.argv[i + 1]);
const TOKEN = "bench-token";
const BIN = process.env.RUNNER_TUNNEL_BIN || path.resolve(__dirname, "../../../target/release/runner-tunnel");

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function start(kind) {
  const port = await freePort();
  const args = ["--port", String(port), "--token", TOKEN];
  const child = kind === "rust"
    ? spawn(BIN, args, { stdio: "ignore", env: { ...process.env, RUST_LOG: "error" } })
    : spawn(process.execPath, [path.join(__dirname, "reference-server.cjs"), ...args], { stdio: "ignore" });
  const baseUrl = `http://127.0.0.1:${port}/__runner`;
  for (let i = 0; i < 200; i += 1) {
    try {
      await fetch(`${baseUrl}/discovery`);
      return { baseUrl, port, stop: () => child.kill("SIGTERM") };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${kind} did not start`);
}

async function viaClient(baseUrl) {
  const client = createHttpClient({ baseUrl, auth: { token: TOKEN }, serializer: new Serializer() });
  for (let i = 0; i < 200; i += 1) await client.task("app.tasks.add", { a: 2, b: 3 }); // warm-up
  let done = 0;
  const end = Date.now() + opts.seconds * 1000;
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (Date.now() < end) {
      const sum = await client.task("app.tasks.add", { a: 2, b: 3 });
      if (sum !== 5) throw new Error(`wrong answer ${sum}`);
      done += 1;
    }
  }));
  return done / opts.seconds;
}

function viaWrk(baseUrl, script) {
  const run = spawnSync("wrk", ["-t2", `-c${opts.concurrency}`, `-d${opts.seconds}s`, "-s", script, `${baseUrl}/task/app.tasks.add`], { encoding: "utf8" });
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(run.stdout);
  if (!match || non2xx) throw new Error(`wrk failed: ${run.stdout}${run.stderr}`);
  return Number(match[1]);
}

async function main() {
  const body = new Serializer().stringify({ input: { a: 2, b: 3 } });
  const hasWrk = spawnSync("wrk", ["--version"]).error === undefined;
  const script = path.join(os.tmpdir(), "runner-tunnel-bench.lua");
  fs.writeFileSync(script, [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(body)}`,
    'wrk.headers["content-type"] = "application/json; charset=utf-8"',
    `wrk.headers["x-runner-token"] = "${TOKEN}"`,
  ].join("\n"));
  const results = { rust: { client: [], wrk: [] }, node: { client: [], wrk: [] } };
  for (let round = 0; round < opts.rounds; round += 1) {
    for (const kind of ["rust", "node"]) {
      const server = await start(kind);
      try {
        results[kind].client.push(await viaClient(server.baseUrl));
        if (hasWrk) results[kind].wrk.push(viaWrk(server.baseUrl, script));
      } finally {
        server.stop();
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${opts.rounds} rounds x ${opts.seconds}s, concurrency ${opts.concurrency}`);
  console.log(`body: ${body}`);
  for (const gen of hasWrk ? ["client", "wrk"] : ["client"]) {
    const r = median(results.rust[gen]);
    const n = median(results.node[gen]);
    console.log(`${gen.padEnd(6)} rust ${r.toFixed(0).padStart(7)} tasks/s   node exposure ${n.toFixed(0).padStart(7)} tasks/s   ratio ${(r / n).toFixed(2)}`
      + `   (rounds: rust ${results.rust[gen].map((x) => x.toFixed(0)).join(", ")}; node ${results.node[gen].map((x) => x.toFixed(0)).join(", ")})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
