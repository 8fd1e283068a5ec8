// The config types mirror the core's structs field for field (drift test), and camelCase reaches the core.
import assert from "node:assert/strict";
import { test } from "node:test";

import { camelCase } from "@spikard/js/runtime";
import { CONFIG_FIELDS, Spikard, TestClient } from "../src/index";
import { native } from "../src/native";

test("every config struct has exactly the core's fields", () => {
  const defaults = native.defaultConfigs();
  assert.deepEqual(Object.keys(CONFIG_FIELDS).sort(), Object.keys(defaults).sort());
  for (const [name, fields] of Object.entries(CONFIG_FIELDS)) {
    const core = Object.keys(defaults[name] ?? {}).map(camelCase);
    assert.deepEqual([...fields].sort(), core.sort(), name);
  }
});

test("camelCase settings reach the core; config reads back camelCase", async () => {
  const app = new Spikard({ maxBodySize: 16, requestId: { headerName: "X-Trace" }, cors: null });
  const config = app.config;
  assert.equal(config.maxBodySize, 16);
  assert.equal(config.requestId?.headerName, "X-Trace");
  app.post("/echo", (req) => req.body);
  const client = new TestClient(app);
  const big = await client.post("/echo", { body: "x".repeat(64), headers: { "content-type": "text/plain" } });
  assert.equal(big.status, 413);
  const small = await client.post("/echo", { json: { a: 1 } });
  assert.ok(small.headers["x-trace"], JSON.stringify(small.headers));
});
