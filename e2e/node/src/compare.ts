/**
 * Comparing a response with a fixture's expectation (mirrors `e2e/rust/src/compare.rs`
 * and `e2e/python/compare.py`).
 *
 * JSON values compare as serde_json does ([[jsonEqual]]): `1` and `1.0` differ, `true`
 * and `1` differ, member order does not matter. Nothing here is loosened.
 */
import { isProblem, setCookieValue } from "./answer";
import { expectedBody } from "./features/streaming";
import { Fixture, type Answer } from "./fixture";
import { arr, dump, get, jsonEqual, obj, str, tryParseJson, type Json } from "./json";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The body as text (invalid UTF-8 replaced, as `String::from_utf8_lossy`). */
export function text(res: Answer): string {
  return res.body.toString("utf8");
}

/** The body as JSON; `null` if empty, not UTF-8 or not JSON (as the Rust `TestResponse::json`). */
export function bodyJson(res: Answer): Json {
  try {
    return tryParseJson(UTF8.decode(res.body));
  } catch {
    return null;
  }
}

/** Every value of a header (case-insensitive), in order. */
export function headerValues(res: Answer, name: string): string[] {
  const lower = name.toLowerCase();
  return res.headerList.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
}

export function truncate(s: string): string {
  return s.length <= 300 ? s : `${s.slice(0, 300)}...`;
}

function shown(v: Json | undefined): string {
  return v === undefined ? "None" : truncate(dump(v));
}

/** What `uuid::Uuid::parse_str` accepts: hyphenated, simple, braced or URN. */
export function isUuid(s: string): boolean {
  const h = "[0-9a-fA-F]";
  const hyphenated = `${h}{8}-${h}{4}-${h}{4}-${h}{4}-${h}{12}`;
  return new RegExp(`^(?:${hyphenated}|${h}{32}|\\{${hyphenated}\\}|urn:uuid:${hyphenated})$`).test(s);
}

/** A header pattern where each `.*` stands for any run of characters (`.*ms`). */
export function matchesPattern(pattern: string, got: string): boolean {
  const parts = pattern.split(".*");
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!got.startsWith(first) || got.length < first.length + last.length || !got.endsWith(last)) return false;
  let rest = got.slice(first.length, got.length - last.length);
  for (const part of parts.slice(1, -1)) {
    const at = rest.indexOf(part);
    if (at < 0) return false;
    rest = rest.slice(at + part.length);
  }
  return true;
}

export function headerOk(want: string, got: string | undefined): boolean {
  if (want === "<<absent>>") return got === undefined;
  if (want === "<<present>>" || want === ".*") return got !== undefined;
  if (got === undefined) return false;
  if (want === "<<uuid>>") return isUuid(got);
  if (want.includes(".*")) return matchesPattern(want, got);
  return want === got;
}

function compareBody(f: Fixture, res: Answer, appAnswers: boolean): string[] {
  const body = f.expected.get("body");
  if (body === undefined || body === null || body === "") return [];
  const streamed = expectedBody(f);
  if (typeof body === "string" && streamed !== undefined) {
    if (res.body.equals(streamed)) return [];
    return [`streamed body ${JSON.stringify(truncate(text(res)))} != the chunks ${JSON.stringify(truncate(streamed.toString("utf8")))}`];
  }
  if (typeof body === "string") {
    return text(res) === body ? [] : [`body ${JSON.stringify(truncate(text(res)))} != expected ${JSON.stringify(truncate(body))}`];
  }
  const got = bodyJson(res);
  if (!appAnswers && !isProblem(body)) {
    const detail = str(get(got, "detail"));
    if (!isProblem(got) || detail === undefined || detail === "") return [`expected a problem object with a detail, got ${truncate(text(res))}`];
    return [];
  }
  return jsonEqual(got, body) ? [] : [`body ${shown(got)} != expected ${shown(body)}`];
}

/** Every difference, one line each; empty when the response matches. */
export function compare(f: Fixture, res: Answer, appAnswers: boolean): string[] {
  const expected = f.expected;
  if (res.status !== f.expectedStatus) return [`status ${res.status} != expected ${f.expectedStatus}; body ${truncate(text(res))}`];
  const out = compareBody(f, res, appAnswers);
  const wantErrors = arr(expected.get("validation_errors"));
  if (wantErrors !== undefined) {
    const errors = get(bodyJson(res), "errors") ?? null;
    if (!jsonEqual(errors, wantErrors)) out.push(`errors ${shown(errors)} != expected ${shown(wantErrors)}`);
  }
  const partial = obj(expected.get("body_partial"));
  if (partial !== undefined) {
    const got = obj(bodyJson(res));
    for (const [key, want] of partial) {
      const value = got?.get(key);
      if (value === undefined || !jsonEqual(value, want)) out.push(`body.${key} = ${shown(value)}, expected ${shown(want)}`);
    }
  }
  for (const [name, want] of obj(expected.get("headers")) ?? []) {
    const got = headerValues(res, name)[0];
    // A header expected as JSON null must not be sent (as `<<absent>>`).
    const wantText = want === null ? "<<absent>>" : typeof want === "string" ? want : "";
    if (!headerOk(wantText, got)) out.push(`header ${name}: ${got === undefined ? "None" : JSON.stringify(got)}, expected ${shown(want)}`);
  }
  const setCookies = headerValues(res, "set-cookie");
  for (const [name, spec] of obj(expected.get("cookies")) ?? []) {
    const want = setCookieValue(name, spec);
    if (!setCookies.includes(want)) out.push(`set-cookie ${JSON.stringify(want)} missing; got ${JSON.stringify(setCookies)}`);
  }
  return out;
}
