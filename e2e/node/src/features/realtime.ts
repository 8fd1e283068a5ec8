/**
 * SSE and WebSocket message fixtures (`channel`, `protocol`, `schema`, `examples`; no
 * request), recognised as `e2e/python/features/realtime.py` does. SSE channels are played
 * through the package (mirroring `play_sse` there and `e2e/rust/src/features/realtime.rs`):
 *
 * - a route (`kind: "sse"`, with `schema` as its `event_schema`) emitting every example as
 *   an event (JSON data, named after the fixture) through `EventSourceResponse`; each
 *   received event's data must equal its example. The framework ends the stream at the
 *   first example that breaks the schema, so only the examples before it may arrive
 *   (validity is asked of the core, through a route with the schema as its body schema).
 * - project extension: `sse_events` (events to emit: `event`, `id`, `data` (string or
 *   JSON), `retry`, `comment`) with `expected_body` (the exact stream), and
 *   `keep_alive_ms` (after the events, a keep-alive comment must follow).
 *
 * The stream is read as it arrives (`TestClient.stream`, as the Python runner reads it with
 * the blocking client's `stream()`): event blocks one by one, exactly as sent (each with its
 * blank line), then the keep-alive comment. A keep-alive stream stays open, quiet after its
 * events, until the client leaves: the runner closes the stream as a client would.
 *
 * WebSocket channels are played by `./websocket.ts` (`playWebsocket`).
 */
import { Fixture } from "../fixture";
import { arr, dump, jsonEqual, parseJson, str, toPlain, type Json } from "../json";
import { EventSourceResponse, Spikard, TestClient, type SseEvent } from "../spikard";
import { playWebsocket } from "./websocket";

export function protocol(f: Fixture): "sse" | "websocket" | undefined {
  if (f.data.has("request")) return undefined;
  const named = (str(f.data.get("protocol")) || f.category).toLowerCase();
  if (named === "sse" || named === "server-sent-events") return "sse";
  if (["websocket", "websockets", "ws", "wss"].includes(named)) return "websocket";
  return undefined;
}

/** The channel as a route pattern and as a concrete path (`{param}` filled in). */
export function channel(f: Fixture, fallback: string): [string, string] {
  const raw = str(f.data.get("channel"));
  const pattern = !raw ? fallback : raw.startsWith("/") ? raw : `/${raw}`;
  return [pattern, pattern.replace(/\{[^}]*\}/g, "sample")];
}

/** A response read as it arrives (the package's `TestStream`). */
type TestStream = Awaited<ReturnType<TestClient["stream"]>>;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether a value satisfies the fixture's `schema`, as the core's validator says
 * (`undefined` without a schema). Throws when the schema cannot be compiled. */
export function schemaCheck(f: Fixture): ((value: Json) => Promise<boolean>) | undefined {
  const schema = f.data.get("schema");
  if (schema === undefined || schema === null) return undefined;
  const app = new Spikard();
  app.route({ method: "POST", path: "/check", body_schema: toPlain(schema) }, () => ({ ok: true }));
  const client = new TestClient(app);
  return async (value: Json) =>
    (await client.post("/check", { headers: [["content-type", "application/json"]], body: dump(value) })).status === 200;
}

/** An `sse_events` entry as the event the handler emits. */
function eventOf(spec: Json): SseEvent {
  const m = spec instanceof Map ? spec : new Map<string, Json>();
  const text = (key: string): string | undefined => str(m.get(key));
  const data = m.get("data");
  const retry = m.get("retry");
  const event: SseEvent = {};
  if (data !== undefined && data !== null) event.data = typeof data === "string" ? data : dump(data);
  const name = text("event");
  if (name !== undefined) event.event = name;
  const id = text("id");
  if (id !== undefined) event.id = id;
  if (typeof retry === "number" && Number.isInteger(retry)) event.retry = retry;
  const comment = text("comment");
  if (comment !== undefined) event.comment = comment;
  return event;
}

/** One parsed `text/event-stream` block: `data` lines joined with `\n`, comments listed. */
export interface Block {
  event: string | null;
  id: string | null;
  data: string | null;
  retry: number | null;
  comments: string[];
}

export function parseBlock(block: string): Block {
  const parsed: Block = { event: null, id: null, data: null, retry: null, comments: [] };
  for (const line of block.split("\n")) {
    if (!line) continue;
    if (line.startsWith(":")) {
      parsed.comments.push(line.slice(1).replace(/^ /, ""));
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = (colon < 0 ? "" : line.slice(colon + 1)).replace(/^ /, "");
    if (field === "data") parsed.data = parsed.data === null ? value : `${parsed.data}\n${value}`;
    else if (field === "event") parsed.event = value;
    else if (field === "id") parsed.id = value;
    else if (field === "retry") parsed.retry = /^[0-9]+$/.test(value) ? Number(value) : null;
  }
  return parsed;
}

function shown(value: unknown): string {
  return value === undefined ? "None" : JSON.stringify(value);
}

/** The fixture's problems when it is a message fixture, else `undefined`. */
export async function play(f: Fixture): Promise<string[] | undefined> {
  const p = protocol(f);
  if (p === undefined) return undefined;
  if (p === "sse") return playSse(f);
  return playWebsocket(f);
}

async function playSse(f: Fixture): Promise<string[]> {
  let valid: ((value: Json) => Promise<boolean>) | undefined;
  try {
    valid = schemaCheck(f);
  } catch (e) {
    return [`fixture schema: ${message(e)}`];
  }
  const examples = arr(f.data.get("examples")) ?? [];
  const name = str(f.data.get("name"));
  const specs = arr(f.data.get("sse_events"));
  const events: SseEvent[] =
    specs !== undefined ? specs.map(eventOf) : examples.map((e) => (name === undefined ? { data: dump(e) } : { data: dump(e), event: name }));
  const keepAliveMs = f.data.get("keep_alive_ms");
  const keepAlive = typeof keepAliveMs === "number" && Number.isInteger(keepAliveMs) ? keepAliveMs : undefined;
  const [pattern, path] = channel(f, "/events");
  const client = sseClient(f, pattern, events, keepAlive);
  if (typeof client === "string") return [client];
  const res = await client.stream("GET", path);
  try {
    return await readSse(f, res, path, events, examples, specs, keepAlive, valid);
  } finally {
    // Leave as a client would (the server closes its iterator); a keep-alive stream never ends by itself.
    await res.close();
  }
}

/** The problems of the event stream `res` (read as it arrives) of the route emitting `events`. */
async function readSse(
  f: Fixture,
  res: TestStream,
  path: string,
  events: SseEvent[],
  examples: Json[],
  specs: Json[] | undefined,
  keepAlive: number | undefined,
  valid: ((value: Json) => Promise<boolean>) | undefined,
): Promise<string[]> {
  const out: string[] = [];
  if (res.status !== 200) return [`GET ${path}: status ${res.status}`];
  for (const [header, want] of [["content-type", "text/event-stream"], ["cache-control", "no-cache"]] as const) {
    if (res.headers[header] !== want) out.push(`header ${header}: ${shown(res.headers[header])}, expected ${JSON.stringify(want)}`);
  }
  let deliverable = events.length;
  if (valid !== undefined && specs === undefined) {
    deliverable = 0;
    for (const example of examples) {
      if (!(await valid(example))) break;
      deliverable += 1;
    }
  }
  const received: Block[] = [];
  let body = "";
  while (received.length < deliverable) {
    const block = (await res.nextEvent())?.raw;
    if (block === undefined) break;
    received.push(parseBlock(block));
    body += block;
  }
  if (received.length !== deliverable) out.push(`received ${received.length} events, expected ${deliverable}`);
  if (deliverable < events.length) {
    const extra = (await res.nextEvent())?.raw;
    if (extra !== undefined) out.push(`example ${deliverable} breaks the schema, yet the stream went on: ${JSON.stringify(extra)}`);
  }
  if (keepAlive !== undefined) {
    const block = await res.nextEvent();
    const ok = block !== null && block.comments.length === 1 && block.comments[0] === "keep-alive" && block.data === undefined;
    if (!ok) out.push(`expected a keep-alive comment after ${keepAlive} ms, got ${shown(block ?? undefined)}`);
  }
  const wantBody = str(f.data.get("expected_body"));
  if (wantBody !== undefined && body !== wantBody) out.push(`event stream ${JSON.stringify(body)} != expected ${JSON.stringify(wantBody)}`);
  if (specs === undefined) out.push(...(await checkExamples(received, examples, valid)));
  return out;
}

/** A client of an app whose SSE route at `pattern` emits `events` (or the problem). */
function sseClient(f: Fixture, pattern: string, events: SseEvent[], keepAlive: number | undefined): TestClient | string {
  // A keep-alive stream stays quiet after its events until the client leaves (the core sends
  // keep-alive comments meanwhile): the core then closes the iterator, which ends the wait
  // (as cancelling the Python runner's endless wait does; a generator's `return()` would
  // otherwise queue behind the pending wait).
  function emit(): AsyncIterableIterator<SseEvent> {
    let leave = (): void => {};
    const left = new Promise<void>((resolve) => (leave = resolve));
    async function* generate(): AsyncGenerator<SseEvent, undefined> {
      for (const event of events) yield event;
      if (keepAlive !== undefined) await left;
      return undefined;
    }
    const gen = generate();
    return {
      next: () => gen.next(),
      return: () => {
        leave();
        return gen.return(undefined);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
  const handler = () => new EventSourceResponse(emit(), keepAlive === undefined ? {} : { keepAlive: keepAlive / 1000 });
  const app = new Spikard();
  const schema = f.data.get("schema");
  try {
    if (schema !== undefined && schema !== null) app.route({ method: "GET", path: pattern, kind: "sse", event_schema: toPlain(schema) }, handler);
    else app.route({ method: "GET", path: pattern, kind: "sse" }, handler);
  } catch (e) {
    return `SSE route ${pattern}: ${message(e)}`;
  }
  try {
    return new TestClient(app);
  } catch (e) {
    return `app did not build: ${message(e)}`;
  }
}

/** Each received event's data must be its example, valid against the schema. */
async function checkExamples(received: Block[], examples: Json[], valid: ((value: Json) => Promise<boolean>) | undefined): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < Math.min(received.length, examples.length); i++) {
    const raw = (received[i] as Block).data;
    const example = examples[i] as Json;
    let data: Json;
    try {
      // An event without data has the data null.
      data = raw === null ? null : parseJson(raw);
    } catch {
      out.push(`event ${i}: data ${JSON.stringify(raw)} is not JSON`);
      continue;
    }
    if (!jsonEqual(data, example)) out.push(`event ${i}: data ${dump(data)} != example ${dump(example)}`);
    if (valid !== undefined && !(await valid(data))) out.push(`event ${i}: data does not validate against the schema`);
  }
  return out;
}
