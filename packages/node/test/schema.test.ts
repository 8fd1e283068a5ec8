// Route schemas as Zod or JSON Schema objects: converted once, validated by the core, typed for the handler.
import assert from "node:assert/strict";
import { test } from "node:test";

import { z } from "zod";

import { Spikard, TestClient } from "../src/index";

test("Zod schemas validate bodies and parameters in the core and type the handler's request", async () => {
  const app = new Spikard();
  const Item = z.object({ name: z.string().min(1), price: z.number().positive() });
  app.post("/items/{shop}", { body: Item, params: z.object({ shop: z.string() }) }, (req) => {
    // Typed from the schema: a misspelt field would not compile.
    const total: number = req.body.price * 2;
    const name: string = req.body.name;
    return { shop: req.params.shop, name, total };
  });
  app.get(
    "/search",
    { query: z.object({ q: z.string(), page: z.number().int().default(1), tag: z.string().optional() }) },
    (req) => ({ q: req.query.q, page: req.query.page, tag: req.query.tag ?? null }),
  );
  const client = new TestClient(app);
  const ok = await client.post("/items/north", { json: { name: "lamp", price: 2.5 } });
  assert.deepEqual(ok.json(), { shop: "north", name: "lamp", total: 5 });
  const bad = await client.post("/items/north", { json: { name: "", price: -1, extra: true } });
  assert.equal(bad.status, 422);
  const errors = (bad.json() as { errors: { loc: unknown[]; type: string }[] }).errors;
  assert.deepEqual(
    errors.map((e) => [e.loc.join("."), e.type]),
    [
      ["body.name", "string_too_short"],
      ["body.price", "greater_than"],
      ["body.extra", "validation_error"],
    ],
  );
  assert.deepEqual((await client.get("/search", { query: { q: "lamp" } })).json(), { q: "lamp", page: 1, tag: null });
  assert.deepEqual((await client.get("/search", { query: { q: "lamp", page: 3, tag: "x" } })).json(), { q: "lamp", page: 3, tag: "x" });
  assert.equal((await client.get("/search")).status, 422);
  assert.equal((await client.get("/search", { query: { q: "lamp", page: "two" } })).status, 422);
});

test("JSON Schema objects work the same; a response schema drops undeclared fields", async () => {
  const app = new Spikard();
  app.get(
    "/users/{id:int}",
    {
      query: { type: "object", properties: { verbose: { type: "boolean", default: false } } },
      response: { type: "object", properties: { id: { type: "integer" }, verbose: { type: "boolean" } } },
    },
    (req) => ({ id: req.params.id, verbose: req.query.verbose, password: "secret" }),
  );
  const res = await new TestClient(app).get("/users/7", { query: { verbose: "true" } });
  assert.deepEqual(res.json(), { id: 7, verbose: true });
});
