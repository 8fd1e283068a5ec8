// `listen({ workers })`: this script runs again in each worker, the workers share the port,
// and the supervising process stops them all on SIGTERM.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { get } from "node:http";
import { createServer } from "node:net";
import { test } from "node:test";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** The body of GET / on a new connection, or the error's code. */
function pidOf(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
  });
}

test("workers share the port and stop with their supervisor", async () => {
  const port = await freePort();
  const script = `
    const { Spikard } = require(${JSON.stringify(`${__dirname}/../src/index.js`)});
    const app = new Spikard();
    app.get("/", () => String(process.pid));
    app.listen({ host: "127.0.0.1", port: ${port}, workers: 2 });
  `;
  const parent = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  parent.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => parent.on("exit", (code) => resolve(code)));
  try {
    const pids = new Set<string>();
    for (let i = 0; i < 400 && pids.size < 2; i++) {
      const answer = await pidOf(port);
      if (/^\d+$/.test(answer)) pids.add(answer);
      else await new Promise((r) => setTimeout(r, 25)); // not listening yet
    }
    assert.equal(pids.size, 2, `two workers answer: ${[...pids].join(", ")}\n${stderr}`);
    assert.ok(parent.pid !== undefined && !pids.has(String(parent.pid)), "the supervisor does not serve");
  } finally {
    parent.kill("SIGTERM");
  }
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 20_000).unref());
  const code = await Promise.race([exited, timeout]);
  assert.notEqual(code, "timeout", `the supervisor did not exit on SIGTERM\n${stderr}`);
  assert.equal(await pidOf(port), "ECONNREFUSED", "a worker is still listening");
});
