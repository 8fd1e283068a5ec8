// The example through the in-memory test client (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { TestClient } from "../../packages/node/esm/index.mjs";
import { build } from "./app.mjs";

test("reads, validated writes behind the key, 404s and 422s as problems", async () => {
  const client = new TestClient(build());
  assert.deepEqual((await client.get("/products/1")).json(), { id: 1, name: "Desk lamp", price: 39.9, category: "home" });
  const bad = await client.get("/products/abc");
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.json().errors[0].loc, ["path", "product_id"]);
  assert.equal((await client.get("/products/9")).status, 404);
  const chair = { name: "Chair", price: 80, category: "office" };
  assert.equal((await client.post("/products", { json: chair })).status, 401);
  const created = await client.post("/products", { json: chair, headers: { "x-api-key": "demo-key" } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), { id: 2, ...chair });
  const invalid = await client.post("/products", { json: { name: "", price: -1, category: "moon" }, headers: { "x-api-key": "demo-key" } });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.json().errors.length, 3);
  assert.equal((await client.get("/products", { query: { limit: 1 } })).json().length, 1);
  const events = await client.get("/prices");
  assert.match(events.text(), /^event: price\nid: 1\ndata: \{"id":1,"price":39.9\}\n\n/);
  const docs = await client.get("/openapi.json");
  assert.equal(docs.status, 200);
  assert.ok(docs.json().paths["/products/{product_id}"]);
});
