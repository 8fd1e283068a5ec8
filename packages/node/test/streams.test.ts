// Streamed bodies, server-sent events and background tasks.
import assert from "node:assert/strict";
import { test } from "node:test";

import { EventSourceResponse, Spikard, StreamingResponse, TestClient } from "../src/index";

test("a streamed body is sent as its (async) iterable yields", async () => {
  const app = new Spikard();
  app.get("/ndjson", () => {
    async function* lines() {
      yield '{"n":1}\n';
      yield Buffer.from('{"n":2}\n');
    }
    return new StreamingResponse(lines(), { status: 206, headers: { "content-type": "application/x-ndjson" } });
  });
  const client = new TestClient(app);
  const res = await client.get("/ndjson");
  assert.equal(res.status, 206);
  assert.equal(res.headers["content-type"], "application/x-ndjson");
  assert.equal(res.text(), '{"n":1}\n{"n":2}\n');
});

test("server-sent events: descriptions and bare data", async () => {
  const app = new Spikard();
  app.get("/feed", () => new EventSourceResponse([{ event: "tick", id: "1", data: { n: 1 } }, "plain", [1, 2]]));
  const res = await new TestClient(app).get("/feed");
  assert.equal(res.headers["content-type"], "text/event-stream");
  assert.equal(res.text(), 'event: tick\nid: 1\ndata: {"n":1}\n\ndata: plain\n\ndata: [1,2]\n\n');
});

test("background tasks run after the call answered", async () => {
  const app = new Spikard();
  const done: string[] = [];
  app.post("/jobs", (req) => {
    req.addTask(async () => {
      await new Promise((r) => setTimeout(r, 10));
      done.push("sent");
    });
    return { queued: true };
  });
  const res = await new TestClient(app).post("/jobs");
  assert.deepEqual(res.json(), { queued: true });
  const until = Date.now() + 2000;
  while (done.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(done, ["sent"]);
});

test("a stream read as it arrives: events, keep-alive comments, and the client leaving closes the iterator", async () => {
  const app = new Spikard();
  let closed = false;
  app.get("/status", () => {
    async function* events() {
      try {
        yield { event: "up", data: "1" };
        for (;;) {
          await new Promise((r) => setTimeout(r, 200));
          yield "tick"; // never ends by itself
        }
      } finally {
        closed = true;
      }
    }
    return new EventSourceResponse(events(), { keepAlive: 0.05 });
  });
  const stream = await new TestClient(app).stream("GET", "/status");
  assert.equal(stream.status, 200);
  const first = await stream.nextEvent();
  assert.equal(first?.event, "up");
  assert.equal(first?.data, "1");
  const ping = await stream.nextEvent();
  assert.deepEqual(ping?.comments, ["keep-alive"]);
  await stream.close();
  const until = Date.now() + 2000;
  while (!closed && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.ok(closed, "the iterator was not closed when the client left");
});

test("a stream that fails keeps what it sent; the read of the failure rejects", async () => {
  const app = new Spikard();
  app.get("/partial", () => {
    function* chunks() {
      yield "abc";
      throw new Error("disk gone");
    }
    return new StreamingResponse(chunks());
  });
  const stream = await new TestClient(app).stream("GET", "/partial");
  assert.equal((await stream.nextChunk())?.toString(), "abc");
  await assert.rejects(stream.nextChunk());
});
