/**
 * Fixtures with a `streaming` section (mirrors `e2e/python/features/streaming.py`): the
 * handler streams the given chunks (`{"type": "text", "value"}` as UTF-8,
 * `{"type": "bytes", "base64"}` decoded) through `StreamingResponse` with the section's
 * `content_type`. The body must equal the chunks' concatenation byte for byte; the
 * fixture's `expected_response.body` string is only a display of it.
 */
import { MIDDLEWARE_HEADERS, configuresMiddleware } from "../answer";
import { Fixture } from "../fixture";
import { arr, get, obj, str } from "../json";
import { StreamingResponse, type Request } from "../spikard";
import type { Handler } from "./index";

export class ChunkError extends Error {}

/** The decoded chunks of the fixture's `streaming` section (`undefined` without one). */
export function chunks(f: Fixture): Buffer[] | undefined {
  const items = arr(get(f.data.get("streaming"), "chunks"));
  if (items === undefined) return undefined;
  return items.map((c, i) => {
    const kind = get(c, "type");
    const value = str(get(c, "value"));
    const b64 = str(get(c, "base64"));
    if (kind === "text" && value !== undefined) return Buffer.from(value, "utf8");
    if (kind === "bytes" && b64 !== undefined) {
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) throw new ChunkError(`streaming chunk ${i}: invalid base64`);
      return Buffer.from(b64, "base64");
    }
    throw new ChunkError(`streaming chunk ${i}: unknown type ${JSON.stringify(kind ?? null)} or missing value`);
  });
}

/** The body a streaming fixture expects: every chunk, in order. */
export function expectedBody(f: Fixture): Buffer | undefined {
  try {
    const parts = chunks(f);
    return parts === undefined ? undefined : Buffer.concat(parts);
  } catch (e) {
    if (e instanceof ChunkError) return undefined;
    throw e;
  }
}

/** The handler of a `streaming` fixture (chunks from an async generator); `undefined` otherwise. */
export function build(f: Fixture): Handler | undefined {
  const parts = chunks(f);
  if (parts === undefined) return undefined;
  const expected = f.expected;
  const rawStatus = expected.get("status_code");
  const status = typeof rawStatus === "number" && rawStatus ? rawStatus : 200;
  const contentType =
    str(get(f.data.get("streaming"), "content_type")) || str(get(expected.get("headers"), "content-type")) || "application/octet-stream";
  const headers: [string, string][] = [["content-type", contentType]];
  if (!configuresMiddleware(f)) {
    for (const [name, value] of obj(expected.get("headers")) ?? []) {
      const lower = name.toLowerCase();
      if (typeof value !== "string" || lower === "content-type" || lower.startsWith("access-control-") || MIDDLEWARE_HEADERS.includes(lower) || value.startsWith("<<") || value === ".*") continue;
      headers.push([name, value]);
    }
  }
  async function* stream(): AsyncGenerator<Buffer> {
    for (const part of parts ?? []) {
      await new Promise((resolve) => setImmediate(resolve));
      yield part;
    }
  }
  return (_req: Request) => new StreamingResponse(stream(), { status, headers });
}
