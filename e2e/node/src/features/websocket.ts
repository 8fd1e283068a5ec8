/**
 * WebSocket message fixtures (`channel`, `protocol`, `schema`, `examples`; no request),
 * played through the package's WebSocket API rule for rule as `play_websocket` in
 * `e2e/python/features/realtime.py` (and `check_websocket` in
 * `e2e/rust/src/features/realtime.rs`) play them:
 *
 * - a route (`app.websocket`, with `schema` as its `message_schema` and the fixture's
 *   `max_message_size`) echoing every message that reaches its handler as it came (text
 *   as text, bytes as bytes, a validated JSON message as its JSON text);
 * - each example is sent: one that validates (as the core's validator says, through a
 *   route with the schema as its body schema) must come back, one that does not must get
 *   the validation error frame;
 * - a message derived from the schema (the first required field dropped, else a value of
 *   another type) must get the error frame (with a `missing` entry for the dropped
 *   field), and the connection must stay usable;
 * - project extension: `exchanges` (`send` JSON / `send_text` / `send_binary_base64`,
 *   then the `expect` JSON reply, `expect_text`, `expect_binary_base64` or `expect_close`
 *   code);
 * - when nothing failed and no exchange expects a close, closing with 1000 must get the
 *   close reply 1000.
 *
 * Messages are sent as the fixture's JSON text (lossless: `1.0` stays a float). The
 * other runners wait for a reply as long as it takes; here a reply that does not come
 * within [[REPLY_TIMEOUT_MS]] fails the fixture (instead of hanging the run).
 */
import { arr, dump, get, jsonEqual, parseJson, str, toPlain, type Json, type JsonObject } from "../json";
import { Fixture } from "../fixture";
import { Spikard, TestClient } from "../spikard";
import { channel, schemaCheck } from "./realtime";

type TestWebSocket = Awaited<ReturnType<TestClient["websocket"]>>;
type WsFrame = Awaited<ReturnType<TestWebSocket["recv"]>>;
type Valid = (value: Json) => Promise<boolean>;

/** How long a reply may take before the fixture fails. */
export const REPLY_TIMEOUT_MS = 5000;

class NoReply extends Error {}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The next frame, or [[NoReply]] thrown when none comes in time. */
async function receive(ws: TestWebSocket): Promise<WsFrame> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoReply(`no frame within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([ws.recv(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A frame as the problems show it. */
function shown(frame: WsFrame): string {
  switch (frame.type) {
    case "text":
      return `text ${JSON.stringify(frame.text ?? "")}`;
    case "bytes":
    case "pong":
      return `${frame.type} [${[...(frame.bytes ?? Buffer.alloc(0))].join(", ")}]`;
    case "close":
      return `close ${frame.code} ${JSON.stringify(frame.reason ?? "")}`;
    default:
      return "the end of the connection";
  }
}

/** A text frame's JSON (`undefined` for any other frame or text that is not JSON). */
function frameJson(frame: WsFrame): Json | undefined {
  if (frame.type !== "text") return undefined;
  try {
    return parseJson(frame.text ?? "");
  } catch {
    return undefined;
  }
}

function same(got: Json | undefined, want: Json): boolean {
  return got !== undefined && jsonEqual(got, want);
}

/** Whether a frame is the validation error frame (with a `missing` entry for `field`). */
function isValidationFrame(frame: Json | undefined, field: string | undefined): boolean {
  const typed =
    frame instanceof Map &&
    ["type", "title", "status"].every((k) => frame.has(k)) &&
    jsonEqual(frame.get("type"), "https://spikard.dev/errors/validation-error") &&
    jsonEqual(frame.get("status"), 422);
  if (!typed || field === undefined) return typed;
  const errors = arr(frame.get("errors"));
  return (
    errors !== undefined &&
    errors.some((e) => e instanceof Map && jsonEqual(e.get("type"), "missing") && jsonEqual(e.get("loc"), ["body", field]))
  );
}

/** A message the schema refuses, derived from it: an example without a required field
 * (with that field's name), or a value of another type. */
function invalidMessage(schema: Json, example: Json | undefined): [Json, string | undefined] | undefined {
  const required = arr(get(schema, "required"));
  if (example instanceof Map && required !== undefined) {
    for (const field of required) {
      if (typeof field === "string" && example.has(field)) {
        return [new Map([...example].filter(([k]) => k !== field)), field];
      }
    }
  }
  const wrong: Record<string, Json> = {
    object: [],
    array: new Map(),
    string: 0,
    integer: "not of the schema's type",
    number: "not of the schema's type",
    boolean: "not of the schema's type",
    null: "not of the schema's type",
  };
  const kind = str(get(schema, "type"));
  if (kind === undefined || !Object.hasOwn(wrong, kind)) return undefined;
  return [wrong[kind] as Json, undefined];
}

/** Strict, canonical base64 (as the Rust runner's decoder): `undefined` when the text is not. */
function base64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

/** A client of an app whose WebSocket route at `pattern` echoes every accepted message as it came (or the problem). */
function websocketClient(f: Fixture, pattern: string): TestClient | string {
  const schema = f.data.get("schema");
  const maxSize = f.data.get("max_message_size");
  const options: Record<string, unknown> = {};
  if (schema !== undefined && schema !== null) options.message_schema = toPlain(schema);
  if (typeof maxSize === "number" && Number.isInteger(maxSize)) options.max_message_size = maxSize;
  const validated = options.message_schema !== undefined;
  const app = new Spikard();
  try {
    app.websocket(pattern, options, {
      // With a message schema every message is parsed JSON: sent back as JSON text (a
      // JSON string too); without one a string is a text frame, bytes a binary one.
      message: (ws, data) => ws.send(validated && typeof data === "string" ? JSON.stringify(data) : data),
    });
    return new TestClient(app);
  } catch (e) {
    return `WebSocket route ${pattern}: ${message(e)}`;
  }
}

/** Play a WebSocket message fixture: its problems. */
export async function playWebsocket(f: Fixture): Promise<string[]> {
  let valid: Valid | undefined;
  try {
    valid = schemaCheck(f);
  } catch (e) {
    return [`fixture schema: ${message(e)}`];
  }
  const [pattern, path] = channel(f, "/ws");
  const client = websocketClient(f, pattern);
  if (typeof client === "string") return [client];
  let ws: TestWebSocket;
  try {
    ws = await client.websocket(path);
  } catch (e) {
    return [`upgrade of ${path} failed: ${message(e)}`];
  }
  if (ws.refused !== undefined) return [`upgrade of ${path} refused: ${ws.refused.status} ${ws.refused.text()}`];
  const out: string[] = [];
  try {
    await converse(f, ws, valid, out);
  } catch (e) {
    out.push(e instanceof NoReply ? e.message : `the connection failed: ${message(e)}`);
  }
  return out;
}

async function converse(f: Fixture, ws: TestWebSocket, valid: Valid | undefined, out: string[]): Promise<void> {
  const examples = arr(f.data.get("examples")) ?? [];
  for (const [i, example] of examples.entries()) {
    try {
      await ws.sendText(dump(example));
    } catch (e) {
      out.push(`example ${i}: could not send: ${message(e)}`);
      return;
    }
    const reply = await receive(ws);
    const ok = valid === undefined || (await valid(example));
    const got = frameJson(reply);
    if (ok && !same(got, example)) out.push(`example ${i}: reply ${shown(reply)}, expected the message back`);
    if (!ok && !isValidationFrame(got, undefined)) {
      out.push(`example ${i} does not validate against the schema: expected the error frame, got ${shown(reply)}`);
    }
  }
  const schema = f.data.get("schema");
  if (schema !== undefined && schema !== null) out.push(...(await invalidMessageCheck(ws, schema, examples, valid)));
  out.push(...(await exchanges(f, ws)));
  const list = arr(f.data.get("exchanges"));
  const expectsClose = list !== undefined && list.some((x) => x instanceof Map && x.has("expect_close"));
  if (out.length === 0 && !expectsClose) {
    await ws.close(1000, "done");
    const reply = await receive(ws);
    if (reply.type !== "close" || reply.code !== 1000) out.push(`closing: expected the close reply 1000, got ${shown(reply)}`);
  }
}

async function invalidMessageCheck(ws: TestWebSocket, schema: Json, examples: Json[], valid: Valid | undefined): Promise<string[]> {
  const out: string[] = [];
  let firstValid: Json | undefined;
  for (const e of examples) {
    if (valid === undefined || (await valid(e))) {
      firstValid = e;
      break;
    }
  }
  const derived = invalidMessage(schema, firstValid !== undefined ? firstValid : examples[0]);
  if (derived === undefined || valid === undefined || (await valid(derived[0]))) return out;
  const [msg, field] = derived;
  await ws.sendText(dump(msg));
  const reply = await receive(ws);
  if (!isValidationFrame(frameJson(reply), field)) out.push(`invalid message ${dump(msg)}: expected the error frame, got ${shown(reply)}`);
  if (firstValid !== undefined) {
    await ws.sendText(dump(firstValid));
    if (!same(frameJson(await receive(ws)), firstValid)) out.push("the connection did not stay usable after the error frame");
  }
  return out;
}

async function exchanges(f: Fixture, ws: TestWebSocket): Promise<string[]> {
  const out: string[] = [];
  const list = arr(f.data.get("exchanges"));
  if (list === undefined) return out;
  for (const [i, item] of list.entries()) {
    const x: JsonObject = item instanceof Map ? item : new Map();
    try {
      const text = str(x.get("send_text"));
      const binary = str(x.get("send_binary_base64"));
      if (x.has("send")) await ws.sendText(dump(x.get("send") ?? null));
      else if (text !== undefined) await ws.sendText(text);
      else if (binary !== undefined) {
        const bytes = base64(binary);
        if (bytes === undefined) throw new Error(`invalid base64: ${JSON.stringify(binary)}`);
        await ws.sendBytes(bytes);
      } else throw new Error("nothing to send");
    } catch (e) {
      out.push(`exchange ${i}: ${message(e)}`);
      break;
    }
    const reply = await receive(ws);
    const expectText = str(x.get("expect_text"));
    const expectBinary = str(x.get("expect_binary_base64"));
    if (x.has("expect_close")) {
      const code = x.get("expect_close");
      if (!(reply.type === "close" && typeof code === "number" && reply.code === code)) {
        out.push(`exchange ${i}: expected close ${dump(code ?? null)}, got ${shown(reply)}`);
      }
    } else if (expectText !== undefined) {
      if (!(reply.type === "text" && reply.text === expectText)) out.push(`exchange ${i}: reply ${shown(reply)} != expected text ${JSON.stringify(expectText)}`);
    } else if (expectBinary !== undefined) {
      const want = base64(expectBinary);
      if (want === undefined) out.push(`exchange ${i}: expect_binary_base64 is not base64: ${JSON.stringify(expectBinary)}`);
      else if (!(reply.type === "bytes" && reply.bytes !== undefined && want.equals(reply.bytes))) {
        out.push(`exchange ${i}: reply ${shown(reply)} != expected bytes [${[...want].join(", ")}]`);
      }
    } else if (x.has("expect") && !same(frameJson(reply), x.get("expect") ?? null)) {
      out.push(`exchange ${i}: reply ${shown(reply)} != expected ${dump(x.get("expect") ?? null)}`);
    }
  }
  return out;
}
