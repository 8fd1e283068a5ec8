/**
 * Fixtures with lifecycle hooks (`handler.middleware.lifecycle_hooks.<phase>`:
 * `[{name, handler, config?, order?, dependencies?}]`), mirroring
 * `e2e/python/features/hooks.py` rule for rule. Hooks are application code, so the runner
 * writes them in TypeScript from the vocabulary keyed by words in the hook's `handler`
 * (`testing_data/README.md`) and registers them with `app.onRequest` / `preValidation` /
 * `preHandler` and its response hooks with `app.onResponse` / `onError` (one route per
 * app, so app hooks are the route's hooks).
 *
 * Every request hook appends its `name` to `req.state.hooks_run`; the handler refuses
 * (500) unless the request hooks ran exactly in the declared order. Guards decide by their
 * own rules and answer early with the fixture's expected error (or their own default).
 * Expected headers no vocabulary hook produces are set by one "carrier" hook: the first
 * hook declaring dependencies, else the last response hook of the expected response's
 * phase, else the first request hook.
 *
 * A hook declaring dependencies is registered with them (`{dependencies}`) and refuses
 * (500) unless each was resolved (`req.deps`); the fixture's dependencies are registered
 * by `di.configure`, whose route options the handler's route takes.
 */
import { STATUS_CODES } from "node:http";
import { FixtureError, appResponse, applicationAnswers } from "../answer";
import { Fixture } from "../fixture";
import { arr, get, obj, str, uint, type Json, type JsonObject } from "../json";
import { HttpError, Response, type HookRequest, type HookResponse, type Request, type RouteOptions, type Spikard } from "../spikard";
import { checkResolved, configure, handlerNeeds, hasDependencies, names } from "./di";
import type { Built, Handler } from "./index";

const PHASES = ["on_request", "pre_validation", "pre_handler", "on_response", "on_error"] as const;
/** Headers the security-headers hook sets (with these defaults unless the fixture expects other values). */
const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "x-xss-protection": "1; mode=block",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "referrer-policy": "strict-origin-when-cross-origin",
  "content-security-policy": "default-src 'self'",
};
const GUARDS = ["rate_limit", "authenticate", "authorize"];

interface HookDef {
  phase: number;
  name: string;
  kind: string;
  deps: string[];
  config: { max?: number; window?: number; admin?: boolean };
}

/** The vocabulary word of a hook's `handler` name, with what it needs to know. */
export function kindOf(handler: string, phase: number, config: JsonObject): [string, HookDef["config"]] {
  const h = handler.toLowerCase();
  const requestPhase = phase < 3;
  const has = (w: string): boolean => h.includes(w);
  if (has("panic") || has("raise") || has("throw") || h.startsWith("fail")) return ["fail", {}];
  if (has("rate_limit") || has("ratelimit")) {
    return ["rate_limit", { max: uint(config.get("max_requests")) ?? 2 ** 63, window: uint(config.get("window_seconds")) ?? 60 }];
  }
  if (has("request_id")) return ["request_id", {}];
  if (has("security")) return ["security", {}];
  if (has("error") && (has("format") || has("transform"))) return ["error_format", {}];
  if (has("response_time") || (!requestPhase && (has("timing") || has("timer")))) return ["response_time", {}];
  if (requestPhase && (has("start_time") || has("timer"))) return ["start_timer", {}];
  if (has("admin") || has("role") || has("permission") || has("authoriz")) return ["authorize", { admin: has("admin") || has("role") }];
  if (has("auth") || has("token")) return ["authenticate", {}];
  if (has("log") || has("audit")) return ["log", {}];
  return ["other", {}];
}

/** The fixture's hooks, phase by phase, each phase sorted by `order` (stable). */
function hookDefs(f: Fixture): HookDef[] | undefined {
  const config = obj(get(f.handler.get("middleware"), "lifecycle_hooks")) ?? obj(f.data.get("lifecycle_hooks"));
  if (config === undefined) return undefined;
  const defs: HookDef[] = [];
  PHASES.forEach((key, phase) => {
    const entries = (arr(config.get(key)) ?? []).filter((e): e is JsonObject => e instanceof Map);
    const order = (e: JsonObject): number => {
      const o = e.get("order");
      return typeof o === "number" ? o : Infinity;
    };
    entries.sort((a, b) => order(a) - order(b) || 0);
    for (const e of entries) {
      const name = str(e.get("name")) || "hook";
      const [kind, settings] = kindOf(str(e.get("handler")) || name, phase, obj(e.get("config")) ?? new Map());
      defs.push({ phase, name, kind, deps: names(e.get("dependencies")), config: settings });
    }
  });
  return defs;
}

/** A header value standing for a fixture placeholder. */
function concrete(want: string): string | undefined {
  if (want === "<<absent>>") return undefined;
  if (want === "<<uuid>>" || want === "<<present>>" || want === ".*") return crypto.randomUUID();
  return want.split(".*").join("0");
}

interface Scenario {
  expected: JsonObject;
  expectedStatus: number;
  /** The application answers errors itself (lifecycle category, not a framework status). */
  appError: boolean;
  /** Headers the carrier hook sets. */
  carried: [string, string][];
  /** Expected values of security headers (lowercase names). */
  security: [string, string][];
  timeHeader: string;
}

function earlyAnswer(s: Scenario, status: number, error: string, message: string): Response {
  if (s.appError) {
    try {
      return appResponse(s.expected, false);
    } catch (e) {
      if (!(e instanceof FixtureError)) throw e;
    }
  }
  return Response.json({ error, message }, { status });
}

/** Expected headers no vocabulary hook (or configured middleware) produces. */
function unclaimedHeaders(f: Fixture, defs: HookDef[]): [string, string][] {
  const kinds = new Set(defs.map((d) => d.kind));
  const middleware = obj(f.handler.get("middleware")) ?? new Map<string, Json>();
  const out = new Map<string, string>();
  for (const [name, want] of obj(f.expected.get("headers")) ?? []) {
    const lower = name.toLowerCase();
    const claimed =
      lower === "content-type" ||
      lower.startsWith("access-control-") ||
      ["vary", "content-encoding", "content-length", "transfer-encoding"].includes(lower) ||
      (lower === "x-request-id" && (kinds.has("request_id") || middleware.has("request_id"))) ||
      (lower.includes("response-time") && kinds.has("response_time")) ||
      (Object.hasOwn(SECURITY_HEADERS, lower) && kinds.has("security")) ||
      (lower === "retry-after" && kinds.has("rate_limit"));
    const value = typeof want === "string" && !claimed ? concrete(want) : undefined;
    if (value !== undefined) out.set(lower, value);
  }
  return [...out];
}

/** The security headers and response-time header name the fixture expects. */
function scenario(f: Fixture, defs: HookDef[]): Scenario {
  const security = new Map<string, string>();
  let timeHeader = "x-response-time";
  for (const [name, want] of obj(f.expected.get("headers")) ?? []) {
    const lower = name.toLowerCase();
    if (typeof want !== "string") continue;
    if (lower.includes("response-time")) timeHeader = lower;
    if (Object.hasOwn(SECURITY_HEADERS, lower) && !want.startsWith("<<") && !want.includes(".*")) security.set(lower, want);
  }
  return {
    expected: f.expected,
    expectedStatus: f.expectedStatus,
    appError: applicationAnswers(f) && f.expectedStatus >= 400,
    carried: unclaimedHeaders(f, defs),
    security: [...security],
    timeHeader,
  };
}

function bearer(req: Request): string | undefined {
  const raw = req.headers["authorization"];
  const [scheme = "", ...rest] = (typeof raw === "string" ? raw : "").split(" ");
  const token = rest.join(" ").trim();
  return scheme.toLowerCase() === "bearer" && token ? token : undefined;
}

function valid(token: string | undefined): boolean {
  return token !== undefined && !token.toLowerCase().includes("invalid") && !token.toLowerCase().includes("expired");
}

function requestHook(d: HookDef, s: Scenario, carrier: boolean, answers: boolean, notes: string[]): (req: Request) => unknown {
  let count = 0;
  const hook = (req: Request): unknown => {
    checkResolved(req, d.deps);
    const state = req.state;
    const run = Array.isArray(state.hooks_run) ? (state.hooks_run as unknown[]) : (state.hooks_run = []);
    run.push(d.name);
    if (d.kind === "fail") throw new Error(`hook ${d.name} failed as the fixture asks`);
    if (d.kind === "rate_limit" && ++count > (d.config.max as number)) {
      const answer = earlyAnswer(s, 429, "Rate limit exceeded", "Too many requests, please try again later");
      answer.headers.push(["retry-after", String(d.config.window)]);
      return answer;
    } else if (d.kind === "rate_limit") {
      state.rate_limit_checked = true;
    } else if (d.kind === "authenticate") {
      const token = bearer(req);
      if (!valid(token)) return earlyAnswer(s, 401, "Unauthorized", "Invalid or expired authentication token");
      Object.assign(state, { authenticated: true, token });
    } else if (d.kind === "authorize") {
      const token = bearer(req);
      if (!(valid(token) && (!d.config.admin || String(token).toLowerCase().includes("admin")))) {
        return earlyAnswer(s, 403, "Forbidden", "Insufficient permissions for this endpoint");
      }
      state.authorized = true;
    } else if (d.kind === "request_id") {
      state.request_id = crypto.randomUUID();
      req.replyHeader("x-request-id", state.request_id as string);
    } else if (d.kind === "start_timer") {
      state.start_time = Date.now() / 1000;
    } else if (d.kind === "log") {
      state.request_logged = true;
    }
    if (carrier) for (const [name, value] of s.carried) req.replyHeader(name, value);
    if (answers) return earlyAnswer(s, 500, "Error", "hook answered");
    return undefined;
  };
  Object.defineProperty(hook, "name", { value: d.name });
  return hook;
}

/** Set `name` (lowercase) on a response's header pairs, replacing its values. */
function setPair(headers: [string, string][], name: string, value: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0].toLowerCase() === name) headers.splice(i, 1);
  headers.push([name, value]);
}

/** A response-phase hook of the vocabulary (it takes the hook's view of the request). */
function responseHook(d: HookDef, s: Scenario, carrier: boolean): (res: HookResponse, req: HookRequest) => unknown {
  const hook = (res: HookResponse, req: HookRequest): unknown => {
    let replaced: Response | undefined;
    if (d.kind === "fail") {
      throw new Error(`hook ${d.name} failed as the fixture asks`);
    } else if (d.kind === "security") {
      Object.assign(res.headers, SECURITY_HEADERS, Object.fromEntries(s.security));
    } else if (d.kind === "response_time") {
      res.headers[s.timeHeader] = `${(req.elapsed * 1000).toFixed(3)}ms`;
    } else if (d.kind === "request_id") {
      const id = req.state.request_id;
      res.headers["x-request-id"] = id ? String(id) : crypto.randomUUID();
    } else if (d.kind === "error_format" && res.status >= 400) {
      replaced = formatted(res, s);
    }
    if (carrier) {
      for (const [name, value] of s.carried) {
        if (replaced !== undefined) setPair(replaced.headers, name, value);
        else res.headers[name] = value;
      }
    }
    return replaced;
  };
  Object.defineProperty(hook, "name", { value: d.name });
  return hook;
}

/** The application's error body for an error response, keeping its headers (but its type). */
function formatted(res: HookResponse, s: Scenario): Response {
  const status = res.status;
  const out =
    s.appError && status === s.expectedStatus
      ? earlyAnswer(s, status, "", "")
      : Response.json({ error: STATUS_CODES[status] ?? "Error", message: "An unexpected error occurred" }, { status });
  const present = new Set(out.headers.map(([k]) => k.toLowerCase()));
  for (const [name, value] of Object.entries(res.headers)) {
    const lower = name.toLowerCase();
    if (lower === "content-type" || present.has(lower)) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.headers.push([name, v]);
  }
  return out;
}

/** The handler of a fixture with hooks, its hooks registered on `app`; a reason when it cannot be played. */
export function build(f: Fixture, app: Spikard, notes: string[]): Built | string | undefined {
  const defs = hookDefs(f);
  if (defs === undefined) return undefined;
  const s = scenario(f, defs);
  const formatsErrors = defs.some((d) => d.phase === 4 && d.kind === "error_format");
  const expectedRun = defs.filter((d) => d.phase < 3).map((d) => d.name);
  const guarded = defs.some((d) => d.phase < 3 && GUARDS.includes(d.kind));
  const others = defs.flatMap((d, i) => (d.phase < 3 && d.kind === "other" ? [i] : []));
  const answering = s.appError && !guarded && others.length > 0 ? others[others.length - 1] : undefined;
  const responsePhase = f.expectedStatus >= 400 ? 4 : 3;
  const withDeps = defs.flatMap((d, i) => (d.deps.length > 0 ? [i] : []));
  const inPhase = defs.flatMap((d, i) => (d.phase === responsePhase ? [i] : []));
  const requests = defs.flatMap((d, i) => (d.phase < 3 ? [i] : []));
  const carrier = withDeps[0] ?? inPhase[inPhase.length - 1] ?? requests[0];
  const register = [app.onRequest, app.preValidation, app.preHandler];
  defs.forEach((d, i) => {
    if (d.phase === 3) app.onResponse(responseHook(d, s, carrier === i));
    else if (d.phase === 4) app.onError(responseHook(d, s, carrier === i));
    else register[d.phase]?.call(app, requestHook(d, s, carrier === i, answering === i, notes), { dependencies: d.deps });
  });
  const options: RouteOptions = hasDependencies(f) ? configure(f, app) : {};
  const needs = handlerNeeds(f);
  const appAnswers = applicationAnswers(f);
  const status = f.expectedStatus;
  const handler: Handler = (req: Request) => {
    const run = Array.isArray(req.state.hooks_run) ? req.state.hooks_run : [];
    if (JSON.stringify(run) !== JSON.stringify(expectedRun)) throw new Error(`request hooks ran as ${JSON.stringify(run)}, expected ${JSON.stringify(expectedRun)}`);
    checkResolved(req, needs);
    if (s.appError && formatsErrors) {
      if (status === 500) throw new Error("handler raised as the fixture asks");
      throw new HttpError(status, "handler raised as the fixture asks");
    }
    return appAnswers ? appResponse(s.expected, false) : { handler_called: true };
  };
  return { handler, options };
}
