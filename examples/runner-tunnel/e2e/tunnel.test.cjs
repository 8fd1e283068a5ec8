// End-to-end: the real @bluelibs/runner clients (createHttpClient, and the Node
// createHttpMixedClient for files and streams) against the Rust server
// (examples/runner-tunnel, RUNNER_TUNNEL_BIN or target/debug/runner-tunnel) and against the
// package's own Node exposure serving the same registry (reference-server.cjs). Every
// scenario's outcome is checked for each server, then the two servers' outcomes are
// compared: they must answer the same way.
//
//   node --test examples/runner-tunnel/e2e/
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const net = require("node:net");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { Readable } = require("node:stream");
const {
  createHttpClient,
  createHttpMixedClient,
  createNodeFile,
  Serializer,
} = require("@bluelibs/runner/node");
const { InvalidInput, Overdraft, Tenant } = require("./reference-server.cjs");

const TOKEN = "e2e-secret";
const JSON_LIMIT = 64 * 1024;
const ROOT = path.resolve(__dirname, "../../..");
const BIN = process.env.RUNNER_TUNNEL_BIN || path.join(ROOT, "target/debug/runner-tunnel");
const errorRegistry = new Map([[InvalidInput.id, InvalidInput], [Overdraft.id, Overdraft]]);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function start(kind) {
  const port = await freePort();
  const common = ["--port", String(port), "--token", TOKEN, "--json-limit", String(JSON_LIMIT)];
  const child = kind === "rust"
    ? spawn(BIN, common, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } })
    : spawn(process.execPath, [path.join(__dirname, "reference-server.cjs"), ...common], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const baseUrl = `http://127.0.0.1:${port}/__runner`;
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) throw new Error(`${kind} server exited: ${output}`);
    try {
      await fetch(`${baseUrl}/discovery`);
      return { kind, baseUrl, stop: () => child.kill("SIGTERM") };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`${kind} server did not start: ${output}`);
}

const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");
const pattern = (size) => Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What a failed call threw, in the terms a caller sees. */
function failure(error) {
  return {
    typed: InvalidInput.is(error) ? InvalidInput.id : Overdraft.is(error) ? Overdraft.id : null,
    name: error.name,
    code: error.code,
    message: error.message,
    httpCode: error.httpCode,
    data: error.data,
  };
}

async function outcome(promise) {
  try {
    return { ok: await promise };
  } catch (error) {
    return { error: failure(error) };
  }
}

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Every scenario against one server; returns what was observed, by scenario. */
async function scenarios(baseUrl) {
  const serializer = new Serializer();
  const client = createHttpClient({ baseUrl, auth: { token: TOKEN }, serializer, errorRegistry });
  const mixed = createHttpMixedClient({ baseUrl, auth: { token: TOKEN }, serializer, errorRegistry });
  const seen = {};

  // JSON mode.
  seen.add = await outcome(client.task("app.tasks.add", { a: 2, b: 3.5 }));
  const typedValues = {
    date: new Date("2024-02-29T12:34:56.789Z"),
    regexp: /^a\d+$/gim,
    map: new Map([["k", new Set([1, 2])], [3, { nested: [new Date(0)] }]]),
    bigint: -(10n ** 30n),
    bytes: new Uint8Array([0, 1, 255]),
    floats: new Float64Array([1.5, -2]),
    buffer: Buffer.from("hi"),
    arrayBuffer: new Uint8Array([9, 8]).buffer,
    url: new URL("https://example.com/a?b=1#c"),
    search: new URLSearchParams("a=1&b=two"),
    symbol: Symbol.for("app.symbol"),
    error: Object.assign(new TypeError("bad thing"), { code: 42 }),
    missing: undefined,
    special: [NaN, Infinity, -Infinity, 2 ** 60, 0.1],
    __type: "reserved key",
    "$runner.escape::x": "escaped key",
    text: "ünïcødé \u2028 \"quotes\"",
  };
  seen.echo = await outcome(client.task("app.tasks.echo", typedValues));
  seen.echoMatches = (() => {
    const back = seen.echo.ok;
    if (!back) return false;
    const { error: e1, ...rest1 } = back;
    const { error: e2, ...rest2 } = typedValues;
    assert.deepStrictEqual(rest1, rest2);
    return e1.name === e2.name && e1.message === e2.message && e1.code === 42;
  })();
  seen.badInput = await outcome(client.task("app.tasks.add", { a: "two", b: 1 }));
  seen.typedError = await outcome(client.task("app.tasks.fail", { balance: 10, amount: 25 }));
  seen.crash = await outcome(client.task("app.tasks.crash", {}));
  seen.unknownTask = await outcome(client.task("app.tasks.nope", {}));
  seen.notExposedTask = await outcome(client.task("app.tasks.secret", {}));
  seen.unknownEvent = await outcome(client.event("app.events.nope", {}));
  const wrongToken = createHttpClient({ baseUrl, auth: { token: "wrong" }, serializer });
  seen.authTask = await outcome(wrongToken.task("app.tasks.add", { a: 1, b: 1 }));
  seen.authEvent = await outcome(wrongToken.event("app.events.log", {}));
  const noToken = createHttpClient({ baseUrl, serializer });
  seen.noToken = await outcome(noToken.task("app.tasks.add", { a: 1, b: 1 }));
  seen.tooLarge = await outcome(client.task("app.tasks.echo", { blob: "x".repeat(JSON_LIMIT + 1) }));

  // Async contexts the client propagates (x-runner-context).
  const withContexts = createHttpClient({ baseUrl, auth: { token: TOKEN }, serializer, contexts: [Tenant] });
  seen.context = await outcome(Tenant.provide({ id: "acme", since: new Date(3) }, () => withContexts.task("app.tasks.whoami")));
  seen.noContext = await outcome(client.task("app.tasks.whoami"));

  // Events, fire-and-forget and with result.
  seen.event = await outcome(client.event("app.events.log", { n: 1, at: new Date(7) }));
  seen.eventWithResult = await outcome(client.eventWithResult("app.events.log", { n: 2 }));
  seen.parallelEvent = await outcome(client.event("app.events.parallel", { n: 3 }));
  seen.parallelWithResult = await outcome(client.eventWithResult("app.events.parallel", { n: 4 }));

  // Multipart: web files through createHttpClient, Node files (a buffer and a stream) through the mixed client.
  const small = Buffer.from("hello multipart");
  const webFile = { $runnerFile: "File", id: "W1", meta: { name: "hello.txt", type: "text/plain" }, _web: { blob: new Blob([small]) } };
  seen.webUpload = await outcome(client.task("app.tasks.upload", { note: "web", files: [webFile] }));
  const big = pattern(3 * 1024 * 1024 + 17);
  const nodeFiles = [
    createNodeFile({ name: "a.bin", type: "application/x-a" }, { buffer: small }, "N1"),
    createNodeFile({ name: "b.bin", type: "application/x-b" }, { stream: Readable.from([big.subarray(0, 1000), big.subarray(1000)]) }, "N2"),
  ];
  seen.nodeUpload = await outcome(mixed.task("app.tasks.upload", { note: "node", files: nodeFiles }));
  seen.expectedUpload = [
    { name: "a.bin", type: "application/x-a", size: small.length, sha256: sha256(small) },
    { name: "b.bin", type: "application/x-b", size: big.length, sha256: sha256(big) },
  ];

  // Octet-stream: a raw body in, a stream out (and a JSON result).
  const upper = await outcome(mixed.task("app.tasks.upper", Readable.from(["hello, ", "streaming ", "world"])));
  seen.upper = upper.ok ? (await collect(upper.ok)).toString() : upper;
  const raw = pattern(5 * 1024 * 1024 + 3);
  seen.count = await outcome(mixed.task("app.tasks.count", Readable.from([raw.subarray(0, 4096), raw.subarray(4096)])));
  seen.expectedCount = { bytes: raw.length, sha256: sha256(raw) };

  // Timeouts and aborts: the client gives up, the task sees the cancellation.
  const before = (await client.task("app.tasks.stats")).cancelled;
  const impatient = createHttpClient({ baseUrl, auth: { token: TOKEN }, serializer, timeoutMs: 150 });
  seen.timeout = await outcome(impatient.task("app.tasks.slow", { ms: 5000 }));
  const controller = new AbortController();
  const aborting = createHttpClient({
    baseUrl, auth: { token: TOKEN }, serializer,
    fetchImpl: (url, init) => fetch(url, { ...init, signal: controller.signal }),
  });
  setTimeout(() => controller.abort(), 150);
  seen.abort = await outcome(aborting.task("app.tasks.slow", { ms: 5000 }));
  let stats;
  for (let i = 0; i < 40; i += 1) {
    stats = await client.task("app.tasks.stats");
    if (stats.cancelled - before >= 2) break;
    await sleep(50);
  }
  seen.cancelledTasks = stats.cancelled - before;
  seen.completedSlow = (await outcome(client.task("app.tasks.slow", { ms: 10 }))).ok;
  seen.logged = (await client.task("app.tasks.stats")).logged;

  // Raw HTTP: discovery, malformed JSON.
  const headers = { "x-runner-token": TOKEN };
  const discovery = await fetch(`${baseUrl}/discovery`, { headers });
  seen.discovery = { status: discovery.status, body: serializer.parse(await discovery.text()) };
  const malformed = await fetch(`${baseUrl}/task/app.tasks.add`, {
    method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{not json",
  });
  seen.malformed = { status: malformed.status, body: serializer.parse(await malformed.text()) };
  const unknownType = await fetch(`${baseUrl}/task/app.tasks.echo`, {
    method: "POST", headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ input: { __type: "NoSuchType", value: 1 } }),
  });
  seen.unknownType = { status: unknownType.status, body: serializer.parse(await unknownType.text()) };
  return seen;
}

/** What every server must answer. */
function check(seen) {
  assert.deepStrictEqual(seen.add, { ok: 5.5 });
  assert.equal(seen.echoMatches, true);
  assert.deepStrictEqual(seen.badInput.error, {
    typed: "app.errors.InvalidInput", name: "app.errors.InvalidInput", code: undefined,
    message: "Invalid input: a must be a number", httpCode: 400, data: { field: "a", reason: "expected a number" },
  });
  assert.deepStrictEqual(seen.typedError.error, {
    typed: "app.errors.Overdraft", name: "app.errors.Overdraft", code: undefined,
    message: "Cannot withdraw 25: balance is 10", httpCode: 409, data: { balance: 10, amount: 25 },
  });
  const tunnelError = (code, message) => ({ typed: null, name: "TunnelError", code, message, httpCode: undefined, data: undefined });
  assert.deepStrictEqual(seen.crash.error, tunnelError("INTERNAL_ERROR", "Internal Error"));
  assert.deepStrictEqual(seen.unknownTask.error, tunnelError("FORBIDDEN", "Task app.tasks.nope not exposed"));
  assert.deepStrictEqual(seen.notExposedTask.error, tunnelError("FORBIDDEN", "Task app.tasks.secret not exposed"));
  assert.deepStrictEqual(seen.unknownEvent.error, tunnelError("FORBIDDEN", "Event app.events.nope not exposed"));
  assert.deepStrictEqual(seen.authTask.error, tunnelError("UNAUTHORIZED", "Unauthorized"));
  assert.deepStrictEqual(seen.authEvent.error, tunnelError("UNAUTHORIZED", "Unauthorized"));
  assert.deepStrictEqual(seen.noToken.error, tunnelError("UNAUTHORIZED", "Unauthorized"));
  assert.deepStrictEqual(seen.tooLarge.error, tunnelError("PAYLOAD_TOO_LARGE", "Payload too large"));
  assert.deepStrictEqual(seen.context, { ok: { id: "acme", since: new Date(3) } });
  assert.deepStrictEqual(seen.noContext, { ok: undefined });
  assert.deepStrictEqual(seen.event, { ok: undefined });
  assert.deepStrictEqual(seen.eventWithResult, { ok: { n: 2, logged: true } });
  assert.deepStrictEqual(seen.parallelEvent, { ok: undefined });
  assert.deepStrictEqual(seen.parallelWithResult.error, tunnelError(
    "PARALLEL_EVENT_RETURN_UNSUPPORTED",
    "Event app.events.parallel is marked parallel; returning a payload is not supported.",
  ));
  assert.deepStrictEqual(seen.webUpload, {
    ok: { note: "web", files: [{ name: "hello.txt", type: "text/plain", size: 15, sha256: sha256(Buffer.from("hello multipart")) }] },
  });
  assert.deepStrictEqual(seen.nodeUpload, { ok: { note: "node", files: seen.expectedUpload } });
  assert.equal(seen.upper, "HELLO, STREAMING WORLD");
  assert.deepStrictEqual(seen.count, { ok: seen.expectedCount });
  assert.equal(seen.timeout.error.name, "AbortError");
  assert.equal(seen.abort.error.name, "AbortError");
  assert.equal(seen.cancelledTasks, 2, "both abandoned slow tasks saw the cancellation");
  assert.equal(seen.completedSlow, "done");
  assert.deepStrictEqual(seen.logged, [{ n: 1, at: new Date(7) }, { n: 2 }]);
  assert.deepStrictEqual(seen.discovery, {
    status: 200,
    body: {
      ok: true,
      result: {
        allowList: {
          enabled: true,
          tasks: [
            "app.tasks.add", "app.tasks.count", "app.tasks.crash", "app.tasks.echo",
            "app.tasks.fail", "app.tasks.slow", "app.tasks.stats", "app.tasks.upload", "app.tasks.upper",
            "app.tasks.whoami",
          ],
          events: ["app.events.log", "app.events.parallel"],
        },
      },
    },
  });
  assert.deepStrictEqual(seen.malformed, { status: 400, body: { ok: false, error: { message: "Invalid JSON body", code: "INVALID_JSON" } } });
  assert.deepStrictEqual(seen.unknownType, seen.malformed);
}

/** Discovery lists ids in registration order in the reference, sorted here: compare as sets. */
function comparable(seen) {
  const copy = { ...seen, discovery: structuredClone(seen.discovery) };
  copy.discovery.body.result.allowList.tasks.sort();
  copy.discovery.body.result.allowList.events.sort();
  return copy;
}

const observed = {};

for (const kind of ["rust", "node-reference"]) {
  test(`the real client against the ${kind} server`, { timeout: 60000 }, async () => {
    const server = await start(kind === "rust" ? "rust" : "node");
    try {
      observed[kind] = comparable(await scenarios(server.baseUrl));
      check(observed[kind]);
    } finally {
      server.stop();
    }
  });
}

test("both servers answer the same way", () => {
  assert.ok(observed.rust && observed["node-reference"], "both runs completed");
  assert.deepStrictEqual(observed.rust, observed["node-reference"]);
});
