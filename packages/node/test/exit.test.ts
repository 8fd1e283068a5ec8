// After close() the process exits by itself: nothing the app made stays referenced.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

test("a process exits by itself after close()", () => {
  const script = `
    const { Spikard } = require(${JSON.stringify(`${__dirname}/../src/index.js`)});
    const app = new Spikard();
    app.get("/", () => "hi");
    app.listen({ port: 0 }).then(async (port) => {
      const res = await fetch("http://127.0.0.1:" + port + "/");
      console.log(res.status, await res.text());
      await app.close();
    });
  `;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 });
  assert.equal(run.signal, null, "the process had to be killed: it did not exit after close()");
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), "200 hi");
});
