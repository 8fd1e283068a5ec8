/**
 * Loading fixtures and turning their request part into a test-client call.
 *
 * Mirrors `e2e/rust/src/fixture.rs` and `e2e/python/fixture.py`: the same folder walk,
 * categories, template expansion and request building, so every runner sends identical
 * requests (multipart bodies are encoded here exactly as the core's `encode_multipart`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

import type { TestClient, TestResponse } from "./spikard";
import { arr, dump, get, obj, parseJson, str, type Json, type JsonObject } from "./json";

/** The repository root (`e2e/node/dist/..` or `e2e/node/src/..`, two levels up). */
export const ROOT = path.resolve(__dirname, "..", "..", "..");

const EMPTY: JsonObject = new Map();

/** One fixture file: `id` is `category/file.json` relative to the fixture folder. */
export class Fixture {
  constructor(
    readonly id: string,
    readonly category: string,
    readonly data: JsonObject,
  ) {}

  get handler(): JsonObject {
    return obj(this.data.get("handler")) ?? EMPTY;
  }

  get request(): JsonObject {
    return obj(this.data.get("request")) ?? EMPTY;
  }

  get expected(): JsonObject {
    return obj(this.data.get("expected_response")) ?? EMPTY;
  }

  get expectedStatus(): number {
    const s = this.expected.get("status_code");
    return typeof s === "number" ? Math.trunc(s) : 0;
  }
}

/** `SPIKARD_FIXTURES` (absolute, relative to the working directory, or to the repository), or `testing_data`. */
export function fixtureDir(): string {
  const raw = process.env.SPIKARD_FIXTURES ?? "";
  if (!raw) return path.join(ROOT, "testing_data");
  return path.isAbsolute(raw) || fs.existsSync(raw) ? path.resolve(raw) : path.join(ROOT, raw);
}

/** Every `*.json` under `dir`, sorted by relative path, with its category (folder, else `category`). */
export function loadDir(dir: string): Fixture[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".json")) files.push(path.relative(dir, p).split(path.sep).join("/"));
    }
  };
  walk(dir);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return files.map((rel) => {
    let data: Json;
    try {
      data = parseJson(fs.readFileSync(path.join(dir, rel), "utf8"));
    } catch (e) {
      throw new Error(`${rel}: invalid JSON: ${(e as Error).message}`);
    }
    const json = obj(data);
    if (json === undefined) throw new Error(`${rel}: not a JSON object`);
    const category = rel.includes("/") ? (rel.split("/")[0] as string) : (str(json.get("category")) ?? "");
    return new Fixture(rel, category, json);
  });
}

const TEMPLATE = /\{\{(.*?)\}\}/g;

/** Expand `{{ repeat 'x' 2000 times }}` in strings. */
export function expandTemplates(value: Json): Json {
  if (typeof value === "string") {
    return value.replace(TEMPLATE, (whole: string, inner: string) => {
      const words = inner.split(/\s+/).filter((w) => w !== "");
      if (words.length === 4 && words[0] === "repeat" && words[3] === "times") {
        const what = (words[1] as string).replace(/^['"]+|['"]+$/g, "");
        return /^[0-9]+$/.test(words[2] as string) ? what.repeat(Number(words[2])) : "";
      }
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map(expandTemplates);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, expandTemplates(v)]));
  return value;
}

/** A JSON value as the text a query string or form carries (JSON text for non-strings, null as empty). */
export function scalar(value: Json | undefined): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  return dump(value);
}

export function pairsOf(mapping: JsonObject): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of mapping) {
    if (Array.isArray(value)) for (const v of value) out.push([key, scalar(v)]);
    else out.push([key, scalar(value)]);
  }
  return out;
}

/** Percent-encode every byte but ASCII letters and digits (`percent_encoding::NON_ALPHANUMERIC`). */
export function encodeComponent(text: string): string {
  let out = "";
  for (const b of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Percent-decode a path as the core does; malformed escapes or bad UTF-8 leave it unchanged. */
export function decodePath(raw: string): string {
  if (!raw.includes("%") || /%(?![0-9A-Fa-f]{2})/.test(raw)) return raw;
  const bytes: number[] = [];
  const src = Buffer.from(raw, "utf8");
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x25) {
      bytes.push(parseInt(src.subarray(i + 1, i + 3).toString("latin1"), 16));
      i += 2;
    } else bytes.push(src[i] as number);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return raw;
  }
}

export function routePath(request: JsonObject): string {
  return (str(request.get("path")) ?? scalar(request.get("path") ?? "/")).split("?")[0] as string;
}

export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

function fileOf(part: Json): UploadedFile {
  const magic = str(get(part, "magic_bytes"));
  let data: Buffer;
  if (magic !== undefined) {
    const bytes: number[] = [];
    for (let i = 0; i + 2 <= magic.length; i += 2) {
      const b = parseInt(magic.slice(i, i + 2), 16);
      if (!Number.isNaN(b) && /^[0-9a-fA-F]{2}$/.test(magic.slice(i, i + 2))) bytes.push(b);
    }
    data = Buffer.from(bytes);
  } else {
    const content = scalar(get(part, "content"));
    data = get(part, "content_encoding") === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
  }
  const p = obj(part);
  return {
    field: scalar(get(part, "field_name")),
    filename: scalar(get(part, "filename")),
    contentType: p?.has("content_type") ? scalar(p.get("content_type")) : "application/octet-stream",
    data,
  };
}

/** `spikard_core::body::encode_multipart`: the same boundary and bytes. */
export function encodeMultipart(fields: [string, string][], files: UploadedFile[]): [string, Buffer] {
  const quote = (v: string): string => v.replace(/[\\"\r\n]/g, (c) => ({ '"': '\\"', "\\": "\\\\", "\r": "%0D", "\n": "%0A" })[c] as string);
  let hash = 0xcbf29ce484222325n;
  const names = [...fields.map(([n]) => n), ...files.flatMap((f) => [f.field, f.filename])];
  for (const name of names) {
    for (const b of [...Buffer.from(name, "utf8"), 0]) {
      hash ^= BigInt(b);
      hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  let boundary = "";
  for (let attempt = 0n; ; attempt++) {
    boundary = `----SpikardFormBoundary${((hash + attempt) & 0xffffffffffffffffn).toString(16).padStart(16, "0")}`;
    const needle = Buffer.from(boundary);
    const collides = fields.some(([, v]) => Buffer.from(v).includes(needle)) || files.some((f) => f.data.includes(needle));
    if (!collides) break;
  }
  const parts: Buffer[] = [];
  const start = (name: string): void => void parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"`));
  for (const [name, value] of fields) {
    start(name);
    parts.push(Buffer.from(`\r\n\r\n${value}\r\n`));
  }
  for (const f of files) {
    start(f.field);
    const ct = f.contentType.replace(/[\r\n]/g, "").trim() || "application/octet-stream";
    parts.push(Buffer.from(`; filename="${quote(f.filename)}"\r\nContent-Type: ${ct}\r\n\r\n`), f.data, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return [`multipart/form-data; boundary=${boundary}`, Buffer.concat(parts)];
}

/** A response read whole, its body decoded when gzip/br encoded (as the Rust `TestResponse`). */
export interface Answer {
  status: number;
  headerList: [string, string][];
  body: Buffer;
}

export function answerOf(res: TestResponse): Answer {
  const headerList = res.headerList.map(([k, v]): [string, string] => [k.toLowerCase(), v]);
  const coding = headerList.find(([k]) => k === "content-encoding")?.[1].trim();
  const raw = Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  let body = raw;
  try {
    if (coding === "gzip") body = zlib.gunzipSync(raw);
    else if (coding === "br") body = zlib.brotliDecompressSync(raw);
  } catch {
    body = raw;
  }
  return { status: res.status, headerList, body };
}

export async function request(client: TestClient, method: string, uri: string, headers: [string, string][], body?: Buffer | string): Promise<Answer> {
  return answerOf(await client.request(method, uri, body === undefined ? { headers } : { headers, body }));
}

/** Send the request a fixture describes (the same bytes the Rust runner sends). */
export async function send(client: TestClient, raw: JsonObject): Promise<Answer> {
  const req = obj(expandTemplates(raw)) ?? EMPTY;
  const method = str(req.get("method")) ?? "GET";
  let uri = str(req.get("path")) ?? "/";
  const query: string[] = [];
  const qp = obj(req.get("query_params"));
  // Values already written into the path are not sent twice.
  if (qp !== undefined && !uri.includes("?")) query.push(...pairsOf(qp).map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`));
  const qs = str(req.get("query_string"));
  if (qs !== undefined) query.push(qs.replace(/^\?+/, ""));
  if (query.length > 0) uri += (uri.includes("?") ? "&" : "?") + query.join("&");
  const headers: [string, string][] = [];
  let contentType = str(req.get("content_type"));
  for (const [key, value] of obj(req.get("headers")) ?? EMPTY) {
    if (key.toLowerCase() === "content-type") contentType = scalar(value);
    else headers.push([key, scalar(value)]);
  }
  const cookies = obj(req.get("cookies"));
  if (cookies !== undefined && cookies.size > 0) headers.push(["cookie", [...cookies].map(([k, v]) => `${k}=${scalar(v)}`).join("; ")]);
  const files = (arr(req.get("files")) ?? []).map(fileOf);
  const fields: [string, string][] = [];
  for (const key of ["data", "form_data"]) {
    const m = obj(req.get(key));
    if (m !== undefined) fields.push(...pairsOf(m));
  }
  const ct = contentType ?? "";
  const isMultipart = ct.startsWith("multipart/") || req.has("files");
  // A multipart Content-Type without a boundary and with no parts to encode is what the
  // fixture tests: send it as is (with parts, the runner encodes them and adds the boundary).
  const explicitWithoutBoundary = files.length === 0 && fields.length === 0 && ct.startsWith("multipart/") && !ct.toLowerCase().includes("boundary=");
  if (isMultipart && !explicitWithoutBoundary) {
    const [type, body] = encodeMultipart(fields, files);
    return request(client, method, uri, [...headers, ["content-type", type]], body);
  }
  if (contentType !== undefined) headers.push(["content-type", contentType]);
  const bodyRaw = str(req.get("body_raw"));
  if (bodyRaw !== undefined) return request(client, method, uri, headers, bodyRaw);
  const body = req.get("body");
  // A string body is the literal bytes when the fixture names the content type or the text
  // looks like (possibly malformed) JSON; otherwise it is a JSON string value.
  if (typeof body === "string" && (contentType !== undefined || /^\s*[{[]/.test(body))) return request(client, method, uri, headers, body);
  if ((body === undefined || body === null) && req.has("form_data")) {
    if (contentType === undefined) headers.push(["content-type", "application/x-www-form-urlencoded"]);
    return request(client, method, uri, headers, fields.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join("&"));
  }
  if (body === undefined || body === null) return request(client, method, uri, headers);
  return request(client, method, uri, headers, dump(body));
}
