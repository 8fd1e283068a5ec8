// WebSocket routes through the core, played with the in-memory client.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Spikard, TestClient } from "../src/index";

test("a WebSocket route opens, echoes validated JSON, and closes", async () => {
  const app = new Spikard();
  const closed: number[] = [];
  app.websocket(
    "/rooms/{room}",
    {
      parameters: { path: { room: { type: "string" } } },
      message_schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    },
    {
      open: async (ws) => {
        ws.data.count = 0;
        await ws.send({ joined: ws.request.params.room });
      },
      message: async (ws, data) => {
        ws.data.count = Number(ws.data.count) + 1;
        await ws.send({ echo: data, n: ws.data.count });
      },
      close: (_ws, code) => void closed.push(code),
    },
  );
  const ws = await new TestClient(app).websocket("/rooms/lobby");
  assert.equal(ws.refused, undefined);
  assert.deepEqual(await ws.receiveJson(), { joined: "lobby" });
  await ws.sendJson({ text: "hi" });
  assert.deepEqual(await ws.receiveJson(), { echo: { text: "hi" }, n: 1 });
  // A message breaking the schema is answered by the core, and the connection stays open.
  await ws.sendJson({ text: 5 });
  assert.equal(
    await ws.receiveText(),
    JSON.stringify({
      type: "https://spikard.dev/errors/validation-error",
      title: "Request Validation Failed",
      status: 422,
      detail: "1 validation error in request",
      errors: [{ type: "string_type", loc: ["body", "text"], msg: "Input should be a valid string", input: 5 }],
    }),
  );
  await ws.sendJson({ text: "again" });
  assert.deepEqual(await ws.receiveJson(), { echo: { text: "again" }, n: 2 });
  await ws.close(1000, "bye");
  const until = Date.now() + 2000;
  while (closed.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(closed, [1000]);
});

test("a refused upgrade is the route's problem response", async () => {
  const app = new Spikard();
  app.websocket("/ws/{id:int}", {}, {});
  const ws = await new TestClient(app).websocket("/ws/abc");
  assert.equal(ws.refused?.status, 422);
});
