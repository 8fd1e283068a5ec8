/**
 * OpenAPI fixtures (mirrors `e2e/python/features/openapi.py`): an app of several routes,
 * a request for one of the documents or docs pages, and the expected response.
 *
 * The app is described under `handler.middleware.openapi`: `config` (the `OpenApiConfig`;
 * omitted: defaults; `null`: no OpenAPI at all), `server` (other `ServerConfig` settings)
 * and `routes` (route specs with the documentation keys), registered through
 * `app.route(...)`. A route's `handler_name` is its function's name (the package names
 * the route after its handler, as `name=` does in Python); unnamed routes get an
 * anonymous function, so no summary is derived from it.
 */
import { Fixture, send, type Answer } from "../fixture";
import { get, obj, str, toPlain, type JsonObject } from "../json";
import { Spikard, TestClient, type RouteOptions } from "../spikard";

const ROUTE_KEYS = [
  "parameters", "body_schema", "content_type", "middleware", "event_schema", "tags", "summary", "description",
  "operation_id", "deprecated", "include_in_schema", "response_schema", "responses", "status_code",
];

export function section(f: Fixture): JsonObject | undefined {
  return obj(get(f.handler.get("middleware"), "openapi"));
}

function named(name: string | undefined): () => unknown {
  const handler = (): unknown => ({ handler_called: true });
  Object.defineProperty(handler, "name", { value: name ?? "" });
  return handler;
}

/** The app a fixture's `handler.middleware.openapi` section describes. */
export function buildApp(sec: JsonObject): Spikard {
  const config = (toPlain(obj(sec.get("server")) ?? new Map()) ?? {}) as Record<string, unknown>;
  config.openapi = !sec.has("config") ? {} : toPlain(sec.get("config") ?? null);
  const app = new Spikard(config);
  const routes = sec.get("routes");
  (Array.isArray(routes) ? routes : []).forEach((route, i) => {
    const path = str(get(route, "route")) || str(get(route, "path")) || "";
    const kind = (str(get(route, "kind")) ?? "http").toLowerCase();
    if (kind === "websocket" || kind === "ws" || kind === "sse") {
      throw new Error(`openapi.routes[${i}]: ${kind} route ${path}: the package has no ${kind === "sse" ? "SSE routes" : "WebSocket routes"} (not in its first slice)`);
    }
    const options: RouteOptions = {};
    for (const k of ROUTE_KEYS) {
      const v = get(route, k);
      if (v !== undefined && v !== null) options[k] = toPlain(v);
    }
    try {
      app.route({ ...options, method: (str(get(route, "method")) ?? "GET").toUpperCase(), path }, named(str(get(route, "handler_name"))));
    } catch (e) {
      throw new Error(`openapi.routes[${i}] registration failed: ${(e as Error).message}`);
    }
  });
  return app;
}

/** Play an OpenAPI fixture (its problems), or `undefined` when the fixture is not one. */
export async function play(f: Fixture, compare: (f: Fixture, res: Answer, appAnswers: boolean) => string[], appAnswers: boolean): Promise<string[] | undefined> {
  const sec = section(f);
  if (sec === undefined) return undefined;
  let client: TestClient;
  try {
    client = new TestClient(buildApp(sec));
  } catch (e) {
    return [(e as Error).message];
  }
  return compare(f, await send(client, f.request), appAnswers);
}
