// The package through its public API: handlers, results, errors, hooks, the test client.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ConfigError, HttpError, Response, RouteError, type ServerConfig, Spikard, TestClient } from "../src/index";

test("sync and async handlers get coerced, validated parameters and body", async () => {
  const app = new Spikard();
  app.get("/users/{id:int}", { parameters: { query: { verbose: { type: "boolean", default: false } } } }, (req) => ({
    id: req.params.id,
    verbose: req.query.verbose,
  }));
  app.post(
    "/items",
    { body_schema: { type: "object", properties: { name: { type: "string", minLength: 1 } }, required: ["name"] } },
    async (req) => new Response(req.body, { status: 201 }),
  );
  const client = new TestClient(app);
  const user = await client.get("/users/5", { query: { verbose: "true" } });
  assert.equal(user.status, 200);
  assert.deepEqual(user.json(), { id: 5, verbose: true });
  const bad = await client.get("/users/five");
  assert.equal(bad.status, 422);
  assert.equal(bad.headers["content-type"], "application/problem+json");
  assert.deepEqual((bad.json() as { errors: { loc: unknown[] }[] }).errors[0]?.loc, ["path", "id"]);
  const created = await client.post("/items", { json: { name: "lamp" } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), { name: "lamp" });
  const refused = await client.post("/items", { json: { name: "" } });
  assert.equal(refused.status, 422);
});

test("strings, bytes and Responses keep their media type, status and headers", async () => {
  const app = new Spikard();
  app.get("/text", () => "hello");
  app.get("/bytes", () => Buffer.from([1, 2, 3]));
  app.get("/made", () => Response.text("made", { status: 202, headers: { "x-made": "yes" } }));
  app.get("/nothing", () => new Response(undefined, { status: 204 }));
  const client = new TestClient(app);
  const text = await client.get("/text");
  assert.equal(text.headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(text.text(), "hello");
  const bytes = await client.get("/bytes");
  assert.equal(bytes.headers["content-type"], "application/octet-stream");
  assert.deepEqual([...bytes.body], [1, 2, 3]);
  const made = await client.get("/made");
  assert.equal(made.status, 202);
  assert.equal(made.headers["x-made"], "yes");
  const nothing = await client.get("/nothing");
  assert.equal(nothing.status, 204);
  assert.equal(nothing.body.length, 0);
});

test("an HttpError is its problem; anything else thrown is a 500 that leaks nothing", async () => {
  const app = new Spikard();
  app.get("/teapot", () => {
    throw new HttpError(418, "short and stout", { headers: { "retry-after": "5" }, extra: { pot: 1 } });
  });
  app.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  app.get("/reject", async () => Promise.reject(new Error("async secret")));
  const client = new TestClient(app);
  const teapot = await client.get("/teapot");
  assert.equal(teapot.status, 418);
  assert.equal(teapot.headers["retry-after"], "5");
  assert.deepEqual(teapot.json(), {
    type: "https://spikard.dev/errors/im-a-teapot",
    title: "I'm a teapot",
    status: 418,
    detail: "short and stout",
    pot: 1,
  });
  for (const path of ["/boom", "/reject"]) {
    const failed = await client.get(path);
    assert.equal(failed.status, 500);
    assert.ok(!failed.text().includes("secret") && !failed.text().includes("hunter2"), failed.text());
  }
  // The app keeps serving.
  assert.equal((await client.get("/teapot")).status, 418);
});

test("a request hook may answer early (a response, or an HttpError returned or thrown); nothing goes on", async () => {
  const app = new Spikard();
  app.onRequest((req) => (req.headers["authorization"] === undefined ? new HttpError(401, "no token") : undefined));
  app.preHandler((req) => (req.path === "/closed" ? Response.json({ closed: true }, { status: 403 }) : undefined));
  app.get("/open", () => ({ ok: true }));
  app.get("/closed", () => ({ ok: true }));
  const client = new TestClient(app);
  const auth = { headers: { authorization: "Bearer t" } };
  assert.equal((await client.get("/open", auth)).status, 200);
  assert.equal((await client.get("/closed", auth)).status, 403);
  const refused = await client.get("/open");
  assert.equal(refused.status, 401);
  assert.equal((refused.json() as { detail: string }).detail, "no token");
});

test("bad registrations throw the core's error classes naming the route", () => {
  const app = new Spikard();
  app.get("/a", () => null);
  assert.throws(() => app.get("/a", () => null), RouteError);
  assert.throws(() => app.get("/b/{id:integer}", () => null), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /unknown parameter type 'integer'/);
    assert.equal(err.code, "invalid-config");
    return true;
  });
  assert.throws(() => new Spikard({ port: "eighty" } as unknown as ServerConfig), ConfigError);
});

test("listen serves real sockets, close drains, and the app can be served again", async () => {
  const app = new Spikard();
  app.get("/ping", async () => ({ pong: true }));
  const port = await app.listen({ host: "127.0.0.1", port: 0 });
  const res = await fetch(`http://127.0.0.1:${port}/ping`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { pong: true });
  await app.close();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/ping`));
});

test("response hooks change the response in place or replace it, and see the request's state", async () => {
  const app = new Spikard();
  app.onRequest((req) => {
    req.state.user = "ada";
    req.replyHeader("x-request-id", "r1");
  });
  app.onResponse((res, req) => {
    res.headers["x-user"] = String(req.state.user);
    (res.body as { seen?: boolean }).seen = true;
  });
  app.onError((res) => (res.status === 404 ? Response.json({ missing: true }, { status: 404 }) : undefined));
  app.get("/me", (req) => ({ user: req.state.user }));
  const client = new TestClient(app);
  const me = await client.get("/me");
  assert.equal(me.status, 200);
  assert.equal(me.headers["x-user"], "ada");
  assert.equal(me.headers["x-request-id"], "r1");
  assert.deepEqual(me.json(), { user: "ada", seen: true });
  const missing = await client.get("/nowhere");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { missing: true });
});

test("a client that leaves aborts the handler's signal (here: the request deadline passes)", async () => {
  const app = new Spikard({ requestTimeout: { seconds: 0.1 } });
  let aborted = false;
  app.get("/slow", async (req) => {
    await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve()));
    aborted = req.signal.aborted;
    return { late: true };
  });
  const res = await new TestClient(app).get("/slow");
  assert.equal(res.status, 408);
  const until = Date.now() + 2000;
  while (!aborted && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.ok(aborted);
});
