// File responses: a path read when the response is sent, or bytes in memory.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { FileResponse, Spikard, TestClient } from "../src/index";

test("a file by path: media type by name, download name, validators, ranges", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikard-node-files-"));
  const file = path.join(dir, "data.bin");
  fs.writeFileSync(file, "id,name\n1,ada\n");
  const app = new Spikard();
  app.get("/report", () => new FileResponse(file, { filename: "report.csv" }));
  app.get("/gone", () => new FileResponse(path.join(dir, "nope")));
  const client = new TestClient(app);
  const res = await client.get("/report");
  assert.equal(res.status, 200);
  assert.equal(res.text(), "id,name\n1,ada\n");
  assert.equal(res.headers["content-type"], "text/csv");
  assert.equal(res.headers["content-disposition"], 'attachment; filename="report.csv"');
  const etag = res.headers["etag"];
  assert.ok(etag !== undefined);
  assert.equal((await client.get("/report", { headers: { "if-none-match": etag } })).status, 304);
  const part = await client.get("/report", { headers: { range: "bytes=8-12" } });
  assert.equal(part.status, 206);
  assert.equal(part.text(), "1,ada");
  assert.equal(part.headers["content-range"], "bytes 8-12/14");
  const gone = await client.get("/gone");
  assert.equal(gone.status, 500);
  assert.equal((gone.json() as { detail: string }).detail, "Internal server error");
});

test("a file in memory: media type given, inline, its ETag from its content", async () => {
  const app = new Spikard();
  const bytes = new TextEncoder().encode("# notes\n");
  app.get("/notes", () => new FileResponse(bytes, { filename: "notes.md", inline: true, mediaType: "text/markdown; charset=utf-8", lastModified: new Date(Date.UTC(2026, 0, 1)) }));
  const res = await new TestClient(app).get("/notes");
  assert.equal(res.text(), "# notes\n");
  assert.equal(res.headers["content-type"], "text/markdown; charset=utf-8");
  assert.equal(res.headers["content-disposition"], 'inline; filename="notes.md"');
  assert.equal(res.headers["last-modified"], "Thu, 01 Jan 2026 00:00:00 GMT");
  assert.match(res.headers["etag"] ?? "", /^"8-[0-9a-f]{16}"$/);
});
