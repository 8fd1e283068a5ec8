/**
 * Playing one fixture through the public API (mirrors `e2e/python/play.py` and
 * `e2e/rust/src/play.rs`): a `Spikard` app with one route described by the fixture's
 * `handler` (its schemas passed as route options), whose handler answers as the
 * fixture's application would; the fixture's request sent with the `TestClient`; the
 * response compared.
 */
import { appResponse, applicationAnswers, configuresMiddleware } from "./answer";
import { compare } from "./compare";
import { afterChecks, buildRoute, playWithoutRequest, type Handler } from "./features";
import { hint, sleep, warmup } from "./features/timing";
import { Fixture, decodePath, routePath, send } from "./fixture";
import { str, toPlain, uint } from "./json";
import type { Outcome } from "./known";
import { Spikard, TestClient, type Request, type RouteOptions } from "./spikard";

const SPEC_KEYS = [
  "body_schema", "body_optional", "content_type", "max_body_size", "max_nesting_depth", "middleware", "cors", "response_model", "response_schema", "status_code",
];

/** `[method, path, route options]` from the fixture's `handler`. */
export function routeOf(f: Fixture): [string, string, RouteOptions] {
  const handler = f.handler.has("route") ? f.handler : new Map();
  // A route is a path: a query string written into `handler.route` describes the request, not the route.
  const path = (str(handler.get("route")) || str(handler.get("path")) || "").split("?")[0] || decodePath(routePath(f.request));
  const method = (str(handler.get("method")) || str(f.request.get("method")) || "GET").toUpperCase();
  const options: RouteOptions = {};
  for (const k of SPEC_KEYS) {
    const v = handler.get(k);
    if (v !== undefined && v !== null) options[k] = toPlain(v);
  }
  const parameters = handler.get("parameters");
  if (parameters instanceof Map) options.parameters = toPlain(parameters) as RouteOptions["parameters"];
  return [method, path, options];
}

/** Server settings a fixture gives on its handler: `max_header_size` is checked before
 * routing, so it is a server setting here (one route per fixture). `max_uri_length` is not
 * read: a 414 is the application's answer in `status_codes`. */
export function serverConfig(f: Fixture): Record<string, unknown> {
  const limit = uint(f.handler.get("max_header_size"));
  return limit === undefined ? {} : { max_header_size: limit };
}

function defaultHandler(f: Fixture): Handler {
  const appAnswers = applicationAnswers(f);
  const keepHeaders = !configuresMiddleware(f);
  const expected = f.expected;
  const sleepMs = hint(f, "request_timeout", "sleep_ms");
  if (sleepMs !== undefined) {
    // The handler takes time, so the request deadline is exercised for real (no headers kept).
    return async (_req: Request) => {
      await sleep(sleepMs);
      return appAnswers ? appResponse(expected, false) : { handler_called: true };
    };
  }
  if (f.handler.has("returns")) {
    // What the handler returns, checked by the route's response model (a JSON Schema).
    const returns = toPlain(f.handler.get("returns") ?? null);
    return (_req: Request) => returns;
  }
  return (_req: Request) => (appAnswers ? appResponse(expected, keepHeaders) : { handler_called: true });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Play one fixture; its differences (none when it passes). */
export async function play(f: Fixture): Promise<string[]> {
  const appAnswers = applicationAnswers(f);
  const whole = await playWithoutRequest(f, compare, appAnswers);
  if (whole !== undefined) return whole;
  const [method, path, options] = routeOf(f);
  const notes: string[] = [];
  let app: Spikard;
  try {
    app = new Spikard(serverConfig(f));
    const fallback = defaultHandler(f);
    const built = buildRoute(f, app, notes, fallback);
    if (typeof built === "string") return [built];
    const handler = built?.handler ?? fallback;
    app.route({ ...options, ...built?.options, method, path }, handler);
  } catch (e) {
    return [`route registration failed: ${message(e)}`];
  }
  let client: TestClient;
  try {
    client = new TestClient(app);
  } catch (e) {
    return [`app did not build: ${message(e)}`];
  }
  const problems = await warmup(f, client);
  problems.push(...compare(f, await send(client, f.request), appAnswers));
  for (const check of afterChecks(f)) problems.push(...(await check(client)));
  // What the package lacked while playing explains the differences (listed only with some).
  return problems.length > 0 ? [...problems, ...notes.map((n) => `(package) ${n}`)] : problems;
}

export async function outcome(f: Fixture): Promise<Outcome> {
  try {
    const problems = await play(f);
    return problems.length === 0 ? { passed: true } : { passed: false, problems };
  } catch (e) {
    return { passed: false, problems: [`runner error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`] };
  }
}
