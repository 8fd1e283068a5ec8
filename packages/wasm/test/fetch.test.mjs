// @spikard/wasm through its WHATWG fetch handler (the way every edge host calls it).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ConfigError, EventSourceResponse, FileResponse, HttpError, Spikard, StreamingResponse } from "../dist/index.js";

const item = {
  type: "object",
  required: ["name", "price"],
  properties: { name: { type: "string", minLength: 1 }, price: { type: "number", exclusiveMinimum: 0 } },
};

function shop() {
  const app = new Spikard();
  app.get("/users/{id:int}", (req) => ({ id: req.params.id, verbose: req.query.verbose ?? false }));
  app.post("/items", { body: item }, (req) => ({ created: req.body }));
  app.get("/missing", () => {
    throw new HttpError(404, "no such item");
  });
  app.get("/crash", () => {
    throw new Error("database password is hunter2");
  });
  return app;
}

test("fetch answers with a standard Response: coerced parameters, JSON", async () => {
  const { fetch } = shop(); // unbound, as `export default { fetch: app.fetch }` passes it
  const res = await fetch(new Request("https://api.example.com/users/42?verbose=1"));
  assert.ok(res instanceof Response);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await res.json(), { id: 42, verbose: "1" });
});

test("bad input is an RFC 9457 problem from the core; thrown errors keep their status or leak nothing", async () => {
  const app = shop();
  let res = await app.request("/users/abc");
  assert.equal(res.status, 422);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const problem = await res.json();
  assert.equal(problem.errors[0].type, "int_parsing");
  assert.deepEqual(problem.errors[0].loc, ["path", "id"]);

  res = await app.request("/items", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"","price":-1}' });
  assert.equal(res.status, 422);
  assert.deepEqual((await res.json()).errors.map((e) => e.type).sort(), ["greater_than", "string_too_short"]);

  res = await app.request("/items", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("content-type"), "application/problem+json");

  res = await app.request("/missing");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).detail, "no such item");

  res = await app.request("/crash");
  assert.equal(res.status, 500);
  assert.doesNotMatch(await res.text(), /hunter2/);

  res = await app.request("/nowhere");
  assert.equal(res.status, 404);
  res = await app.request("/users/1", { method: "DELETE" });
  assert.equal(res.status, 405);
});

test("a validated body comes back; HEAD has no body", async () => {
  const app = shop();
  let res = await app.request("/items", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "lamp", price: 39.9 }) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { created: { name: "lamp", price: 39.9 } });
  res = await app.request("/users/1", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
});

test("a streamed body is a ReadableStream read as it is produced, and cancelling it closes the iterator", async () => {
  const app = new Spikard();
  let closed = false;
  app.get("/ndjson", () => {
    async function* lines() {
      try {
        for (let n = 1; ; n++) {
          yield `{"n":${n}}\n`;
          await new Promise((r) => setTimeout(r, 1));
        }
      } finally {
        closed = true;
      }
    }
    return new StreamingResponse(lines(), { headers: { "content-type": "application/x-ndjson" } });
  });
  const res = await app.request("/ndjson");
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes('{"n":3}')) {
    const { value, done } = await reader.read();
    assert.equal(done, false);
    text += decoder.decode(value);
  }
  assert.ok(text.startsWith('{"n":1}\n{"n":2}\n'));
  await reader.cancel();
  const until = Date.now() + 2000;
  while (!closed && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.ok(closed, "the iterator was closed when the client left");
});

test("server-sent events stream as text/event-stream", async () => {
  const app = new Spikard();
  app.get("/feed", () => new EventSourceResponse([{ event: "tick", id: "1", data: { n: 1 } }, "plain"]));
  const res = await app.request("/feed");
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  assert.equal(await res.text(), 'event: tick\nid: 1\ndata: {"n":1}\n\ndata: plain\n\n');
});

test("background tasks run after the response on the host's event loop", async () => {
  const app = new Spikard();
  const done = [];
  app.post("/jobs", (req) => {
    req.addTask(async () => {
      await new Promise((r) => setTimeout(r, 5));
      done.push("sent");
    });
    return { queued: true };
  });
  const res = await app.request("/jobs", { method: "POST" });
  assert.deepEqual(await res.json(), { queued: true });
  const until = Date.now() + 2000;
  while (done.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(done, ["sent"]);
});

test("what needs a server is refused at registration with a ConfigError", () => {
  const app = new Spikard();
  assert.throws(() => app.websocket("/ws", {}, { message: () => undefined }), (err) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /WebSocket routes need Spikard's server/);
    return true;
  });
  const withDirectory = new Spikard({ staticFiles: [{ routePrefix: "/public", directory: "/tmp" }] });
  withDirectory.get("/", () => "hi");
  return withDirectory.request("/").then((res) => {
    assert.fail(`a directory mount was accepted (${res.status})`);
  }, (err) => {
    assert.match(String(err.message ?? err), /no file system here/);
  });
});

test("with a worker's ctx, background tasks are handed to ctx.waitUntil", async () => {
  const app = new Spikard();
  const done = [];
  app.post("/jobs", (req) => {
    req.addTask(async () => {
      await new Promise((r) => setTimeout(r, 20));
      done.push("sent");
    });
    return { queued: true };
  });
  app.get("/plain", () => ({ ok: true }));
  const waited = [];
  const ctx = { waitUntil: (promise) => waited.push(promise) };
  let res = await app.fetch(new Request("http://worker/plain"), {}, ctx);
  assert.equal(res.status, 200);
  assert.equal(waited.length, 0, "no task, nothing to wait for");
  res = await app.fetch(new Request("http://worker/jobs", { method: "POST" }), {}, ctx);
  assert.deepEqual(await res.json(), { queued: true });
  assert.equal(waited.length, 1);
  await waited[0];
  assert.deepEqual(done, ["sent"]);
});

test("a request deadline that did not pass leaves no timer behind; one that passes answers 408", async () => {
  const app = new Spikard({ requestTimeout: { seconds: 30 } });
  app.get("/quick", () => ({ ok: true }));
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  await (await app.request("/quick")).arrayBuffer();
  const before = timers();
  for (let i = 0; i < 20; i++) assert.equal((await app.request("/quick")).status, 200);
  assert.equal(timers(), before, "each deadline's timer was cleared with its request");

  const slow = new Spikard({ requestTimeout: { seconds: 0.05 } });
  slow.get("/slow", async () => {
    await new Promise((r) => setTimeout(r, 500));
    return { late: true };
  });
  const res = await slow.request("/slow");
  assert.equal(res.status, 408);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
});

test("a header value's bytes beyond ASCII reach the handler as sent (WHATWG byte strings)", async () => {
  const app = new Spikard();
  app.get("/hello", (req) => ({ name: req.headers["x-name"] }));
  const res = await app.fetch(new Request("http://worker/hello", { headers: { "x-name": "caf\u00e9" } }));
  assert.equal(res.status, 200);
  // The byte 0xE9 is not UTF-8 on its own: the core reads the header's bytes lossily as
  // text, as it does for the same byte over a socket.
  assert.deepEqual(await res.json(), { name: "caf\ufffd" });
});

test("a file in memory is answered with validators and ranges; a path cannot be read at the edge", async () => {
  const app = new Spikard();
  const bytes = new TextEncoder().encode("id,name\n1,ada\n");
  app.get("/report", () => new FileResponse(bytes, { filename: "report.csv" }));
  app.get("/disk", () => new FileResponse("/etc/hostname"));
  const res = await app.fetch(new Request("http://edge/report"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/csv");
  assert.equal(res.headers.get("content-disposition"), 'attachment; filename="report.csv"');
  assert.equal(await res.text(), "id,name\n1,ada\n");
  const etag = res.headers.get("etag");
  const again = await app.fetch(new Request("http://edge/report", { headers: { "if-none-match": etag } }));
  assert.equal(again.status, 304);
  const part = await app.fetch(new Request("http://edge/report", { headers: { range: "bytes=8-12" } }));
  assert.equal(part.status, 206);
  assert.equal(await part.text(), "1,ada");
  const disk = await app.fetch(new Request("http://edge/disk"));
  assert.equal(disk.status, 500);
  assert.equal((await disk.json()).detail, "Internal server error");
});
