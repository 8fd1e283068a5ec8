// Dependency injection through the core: values, factories, generators cleaned up after the response.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HttpError, Provide, Spikard, TestClient } from "../src/index";

test("values and factories reach the handler in req.deps; per-request values are shared", async () => {
  const app = new Spikard();
  let made = 0;
  app.provide("settings", { region: "eu" });
  app.provide(
    "db",
    new Provide(async (deps) => ({ id: ++made, region: (deps.settings as { region: string }).region }), {
      dependsOn: ["settings"],
    }),
  );
  app.provide("repo", new Provide((deps) => ({ db: deps.db }), { dependsOn: ["db"] }));
  app.get("/x", { dependencies: ["db", "repo"] }, (req) => ({
    db: req.deps.db,
    same: (req.deps.repo as { db: unknown }).db === req.deps.db,
  }));
  const client = new TestClient(app);
  assert.deepEqual((await client.get("/x")).json(), { db: { id: 1, region: "eu" }, same: true });
  assert.deepEqual((await client.get("/x")).json(), { db: { id: 2, region: "eu" }, same: true });
});

test("generator dependencies are cleaned up after the response, with the request's error at their yield", async () => {
  const app = new Spikard();
  const log: string[] = [];
  app.provide(
    "conn",
    new Provide(async function* conn() {
      log.push("open");
      try {
        yield { open: true };
        log.push("commit");
      } catch (err) {
        log.push(`rollback ${(err as Error).message}`);
      } finally {
        log.push("close");
      }
    }),
  );
  app.get("/ok", { dependencies: ["conn"] }, (req) => req.deps.conn);
  app.get("/fail", { dependencies: ["conn"] }, () => {
    throw new HttpError(409, "conflict");
  });
  const client = new TestClient(app);
  assert.deepEqual((await client.get("/ok")).json(), { open: true });
  assert.equal((await client.get("/fail")).status, 409);
  const settled = Date.now() + 2000;
  while (log.length < 6 && Date.now() < settled) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(log, ["open", "commit", "close", "open", "rollback conflict", "close"]);
});

test("expected types are checked by the core; route overrides replace the app's dependency", async () => {
  const app = new Spikard();
  app.provide("limit", "ten");
  app.get("/typed", { dependencies: ["limit"], expected_types: { limit: "integer" } }, (req) => ({ limit: req.deps.limit }));
  app.get("/fixed", { dependencies: ["limit"], dependency_overrides: { limit: 10 } }, (req) => ({ limit: req.deps.limit }));
  const client = new TestClient(app);
  assert.equal((await client.get("/typed")).status, 500);
  assert.deepEqual((await client.get("/fixed")).json(), { limit: 10 });
});
