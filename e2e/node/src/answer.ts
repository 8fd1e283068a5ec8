/**
 * What the fixture's application answers (mirrors `e2e/python/answer.py` and the
 * application side of `e2e/rust/src/play.rs`): whether the application (not the
 * framework) produces the expected response, and that response built from the fixture.
 */
import { Fixture } from "./fixture";
import { get, obj, str, toPlain, type Json, type JsonObject } from "./json";
import { HttpError, Response } from "./spikard";

/** Statuses the framework answers even in `status_codes`/`lifecycle_hooks`. */
export const FRAMEWORK_STATUSES = [400, 405, 413, 422, 431];
/** Headers owned by middleware, never returned by the application. */
export const MIDDLEWARE_HEADERS = ["vary", "content-encoding", "content-length", "x-request-id", "transfer-encoding"];

/** The handler raises as the fixture asks (an expected 500 internal-server-error). */
export class FixtureError extends Error {}

/** Whether the application (the handler) produces the expected response. */
export function applicationAnswers(f: Fixture): boolean {
  const status = f.expectedStatus;
  return status < 400 || ((f.category === "status_codes" || f.category === "lifecycle_hooks") && !FRAMEWORK_STATUSES.includes(status));
}

export function configuresMiddleware(f: Fixture): boolean {
  return f.handler.has("middleware") || f.handler.has("cors") || f.data.has("lifecycle_hooks");
}

/** Whether a body is an RFC 9457 problem object (`type`, `title` and `status`). */
export function isProblem(value: Json | undefined): boolean {
  const o = obj(value);
  return o !== undefined && o.has("type") && o.has("title") && o.has("status");
}

/** The detail of the HTTP error the application raises when the expected body is the
 * problem the framework builds for one (`type`, `title`, `status`, `detail`, nothing else). */
function raisedHttpError(status: number, body: Json | undefined): string | undefined {
  const o = obj(body);
  if (status < 400 || o === undefined || o.size !== 4 || !["type", "title", "status", "detail"].every((k) => o.has(k))) return undefined;
  const type = o.get("type");
  const ours = typeof type === "string" && type.startsWith("https://spikard.dev/errors/");
  return ours ? str(o.get("detail")) : undefined;
}

/** The `Set-Cookie` value for a fixture cookie (as the Rust `Cookie::to_header_value`):
 * `{value, max_age, path, domain, secure, httponly, samesite}` or a plain string. */
export function setCookieValue(name: string, spec: Json | undefined): string {
  const m = obj(spec) ?? new Map<string, Json>();
  const value = typeof spec === "string" ? spec : (str(m.get("value")) ?? "");
  let out = `${name}=${value}`;
  const maxAge = m.get("max_age");
  if ((typeof maxAge === "number" && Number.isInteger(maxAge)) || typeof maxAge === "bigint") out += `; Max-Age=${maxAge}`;
  const domain = str(m.get("domain"));
  if (domain !== undefined) out += `; Domain=${domain}`;
  const path = str(m.get("path"));
  if (path !== undefined) out += `; Path=${path}`;
  if (m.get("secure") === true) out += "; Secure";
  if ((m.has("httponly") ? m.get("httponly") : m.get("http_only")) === true) out += "; HttpOnly";
  const sameSite = str(m.get("samesite")) ?? str(m.get("same_site"));
  if (sameSite !== undefined) out += `; SameSite=${sameSite.slice(0, 1).toUpperCase()}${sameSite.slice(1).toLowerCase()}`;
  return out;
}

/** The application's response as the fixture expects it (throws the fixture's error when it asks). */
export function appResponse(expected: JsonObject, keepHeaders: boolean): Response {
  const rawStatus = expected.get("status_code");
  const status = typeof rawStatus === "number" && rawStatus ? Math.trunc(rawStatus) : 200;
  const body = expected.get("body");
  const type = get(body, "type");
  if (status === 500 && typeof type === "string" && type.endsWith("/internal-server-error")) {
    throw new FixtureError("handler raised as the fixture asks");
  }
  const detail = raisedHttpError(status, body);
  if (detail !== undefined) throw new HttpError(status, detail);
  const headers: [string, string][] = [];
  if (keepHeaders) {
    for (const [name, value] of obj(expected.get("headers")) ?? []) {
      const lower = name.toLowerCase();
      if (typeof value !== "string" || lower.startsWith("access-control-") || MIDDLEWARE_HEADERS.includes(lower) || value.startsWith("<<") || value === ".*") {
        continue;
      }
      headers.push([name, value]);
    }
  }
  // JavaScript has no cookie jar on responses: a handler writes its Set-Cookie headers.
  for (const [name, spec] of obj(expected.get("cookies")) ?? []) headers.push(["set-cookie", setCookieValue(name, spec)]);
  // A string body goes as text (`text/plain; charset=utf-8` unless the headers name a type).
  if (body === undefined || body === null) return new Response(undefined, { status, headers });
  if (typeof body === "string") return Response.text(body, { status, headers });
  return Response.json(toPlain(body), { status, headers });
}
