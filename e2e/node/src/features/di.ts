/**
 * Fixtures with dependency injection (`handler.dependencies`, `handler_dependencies`,
 * `route_overrides`, `expected_types`, hooks' `dependencies`), mirroring
 * `e2e/python/features/di.py` rule for rule (and `e2e/rust/src/features/di.rs`). The
 * runner registers them through the package's public API as an application would, with
 * the vocabulary of `testing_data/README.md`:
 *
 * - values are `app.provide(name, value)` (the fixture's JSON as a plain value; an
 *   integral float such as `2.0` is a JavaScript number, which the package types as
 *   `integer`); `injection_strategy` / `python_type` describe Python's binding by type and
 *   are ignored here, as in the Rust runner;
 * - a factory is `app.provide(name, new Provide(factory, {dependsOn, lifetime}))`
 *   (`per_use`, or `per_request` when `cacheable`, `singleton` when `singleton`); it
 *   creates `{"factory", "id", "created_at", "count", "inputs"}` (`count`: how many times
 *   this registration has created a value; `inputs`: the dependencies it received); an
 *   `async_factory` is an `async` function that yields to the event loop first;
 * - a factory with `parameters` is `Provide(..., {parameters})`: it reads them from the
 *   request (validated with the route's by the core) and creates the object of what it
 *   read and got, by name; `handler.returns_dependency` makes the handler answer with that
 *   dependency's value;
 * - `cleanup: true` makes the factory a (async) generator function: creating records
 *   `<label>_opened` in the fixture's state log, the code after `yield` `<label>_closed`
 *   (also when the request failed: its error is thrown at the `yield`); the log is served
 *   at `background.state_path` as `{<state_key>: [...]}`;
 * - a factory whose name contains `fail`, `raise` or `throw` throws: an `HttpError` with
 *   the fixture's expected status when it is an error status below 500, else a plain
 *   error (a 500).
 *
 * `expected_types` are the route's `expected_types` (checked by the core against the
 * resolved values). Routes defer graph errors (cycles, missing dependencies) to request
 * time (`defer_dependency_errors`), since the fixtures pin the request-time problem. The
 * handler (and a hook) checks that every dependency it declares was resolved before
 * answering.
 */
import { appResponse, applicationAnswers, configuresMiddleware } from "../answer";
import { Fixture, request } from "../fixture";
import { dump, get, jsonEqual, obj, str, toPlain, tryParseJson, type Json, type JsonObject } from "../json";
import { HttpError, Provide, type Request, type RouteOptions, type Spikard } from "../spikard";
import type { Built, Check, Handler } from "./index";

export function hasDependencies(f: Fixture): boolean {
  return ["dependencies", "handler_dependencies", "route_overrides", "run_dependencies"].some((k) => f.handler.has(k));
}

export function names(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The dependencies the handler takes (a name listed twice is one: both uses get the same value). */
export function handlerNeeds(f: Fixture): string[] {
  return [...new Set(names(f.handler.get("handler_dependencies")))];
}

/** Fail unless every named dependency was resolved for this call (`req.deps`). */
export function checkResolved(req: Request, needs: readonly string[]): void {
  for (const name of needs) {
    if (req.deps[name] === undefined) throw new Error(`dependency '${name}' was not resolved`);
  }
}

function labelFor(name: string, f: Fixture): string {
  const expected = names(get(f.data.get("background"), "expected_state"));
  const labels = expected.filter((e) => e.endsWith("_opened")).map((e) => e.slice(0, -"_opened".length));
  const matching = labels.filter((label) => name.includes(label));
  // The longest (the first of equal lengths, as Python's `max`).
  return matching.reduce<string | undefined>((best, l) => (best === undefined || l.length > best.length ? l : best), undefined) ?? name;
}

/** How long a factory's value lives. */
function lifetimeOf(d: JsonObject): "per_use" | "per_request" | "singleton" {
  if (d.get("singleton") === true) return "singleton";
  return d.get("cacheable") === true ? "per_request" : "per_use";
}

/** What a factory with `parameters` read from the request, by parameter name (absent ones left out). */
function readValues(reads: JsonObject, req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sources: [string, Record<string, unknown>, boolean][] = [
    ["path", req.params as Record<string, unknown>, false],
    ["query", req.query as Record<string, unknown>, false],
    ["headers", req.headers, true],
    ["cookies", req.cookies, false],
  ];
  for (const [section, values, lowercase] of sources) {
    for (const name of (obj(reads.get(section)) ?? new Map<string, Json>()).keys()) {
      const key = lowercase ? name.toLowerCase() : name;
      if (Object.hasOwn(values, key) && values[key] !== undefined) out[name] = values[key];
    }
  }
  return out;
}

/** One fixture dependency definition as what `app.provide` takes (a value or a `Provide`). */
class Registration {
  private count = 0;

  constructor(
    private readonly f: Fixture,
    private readonly name: string,
    private readonly definition: JsonObject,
    private readonly log: string[],
  ) {}

  provide(): unknown {
    const d = this.definition;
    const kind = str(d.get("type")) ?? "value";
    if (kind === "value") return toPlain(d.get("value") ?? null);
    if (kind !== "factory" && kind !== "async_factory") throw new Error(`dependency '${this.name}': unknown type '${kind}'`);
    const factory = str(d.get("factory")) || this.name;
    const reads = obj(d.get("parameters"));
    const fn = this.factory(factory, kind === "async_factory", d.get("cleanup") === true, reads);
    Object.defineProperty(fn, "name", { value: factory });
    return new Provide(fn, {
      dependsOn: names(d.get("depends_on")),
      lifetime: lifetimeOf(d),
      ...(reads === undefined ? {} : { parameters: toPlain(reads) as Record<string, Record<string, unknown>> }),
    });
  }

  private create(factory: string, deps: Record<string, unknown>, req: Request, reads: JsonObject | undefined): unknown {
    if (["fail", "raise", "throw"].some((w) => factory.includes(w))) {
      const status = this.f.expectedStatus;
      if (status >= 400 && status < 500) throw new HttpError(status, `factory ${factory} refused the request`);
      throw new Error(`factory ${factory} failed`);
    }
    // The parameters it read and the dependencies it got, by name.
    if (reads !== undefined) return { ...readValues(reads, req), ...deps };
    return {
      factory,
      id: crypto.randomUUID(),
      created_at: Date.now() / 1000,
      count: ++this.count,
      inputs: { ...deps },
    };
  }

  private factory(
    factory: string,
    isAsync: boolean,
    cleanup: boolean,
    reads: JsonObject | undefined,
  ): (deps: Record<string, unknown>, req: Request) => unknown {
    const label = labelFor(this.name, this.f);
    const log = this.log;
    const create = (deps: Record<string, unknown>, req: Request): unknown => this.create(factory, deps, req, reads);
    const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    // A cleaned-up dependency: a generator function (async or not) delegating to `opened`.
    const opened = function* (value: unknown) {
      log.push(`${label}_opened`);
      try {
        yield value;
      } finally {
        // The request's failure, if any, is thrown at the yield.
        log.push(`${label}_closed`);
      }
    };
    if (cleanup && isAsync) {
      return async function* (deps: Record<string, unknown>, req: Request) {
        await yieldToLoop();
        yield* opened(create(deps, req));
      };
    }
    if (cleanup) {
      return function* (deps: Record<string, unknown>, req: Request) {
        yield* opened(create(deps, req));
      };
    }
    if (isAsync) {
      return async (deps: Record<string, unknown>, req: Request) => {
        await yieldToLoop();
        return create(deps, req);
      };
    }
    return (deps: Record<string, unknown>, req: Request) => create(deps, req);
  }
}

/** Where the cleanup log is served: `[background.state_path, background.state_key]`. */
function stateRoute(f: Fixture): [string, string] | undefined {
  const bg = obj(f.data.get("background"));
  const path = str(bg?.get("state_path"));
  if (bg === undefined || path === undefined) return undefined;
  return [path, str(bg.get("state_key")) ?? "events"];
}

/**
 * Register the fixture's app-level dependencies (and its state route) on `app`; the
 * route's options: the handler's dependencies, its overrides and expected types,
 * deferred graph errors.
 */
export function configure(f: Fixture, app: Spikard): RouteOptions {
  const log: string[] = [];
  for (const [name, definition] of obj(f.handler.get("dependencies")) ?? []) {
    app.provide(name, new Registration(f, name, obj(definition) ?? new Map(), log).provide());
  }
  const overrides: Record<string, unknown> = {};
  for (const [name, definition] of obj(f.handler.get("route_overrides")) ?? []) {
    overrides[name] = new Registration(f, name, obj(definition) ?? new Map(), log).provide();
  }
  const expectedTypes: Record<string, string> = {};
  for (const [name, t] of obj(f.handler.get("expected_types")) ?? []) {
    if (typeof t === "string") expectedTypes[name] = t;
  }
  const state = stateRoute(f);
  if (state !== undefined) {
    const [path, key] = state;
    app.get(path, function read_state() {
      return { [key]: [...log] };
    });
  }
  return {
    dependencies: handlerNeeds(f),
    dependency_overrides: overrides,
    run_dependencies: names(f.handler.get("run_dependencies")),
    expected_types: expectedTypes,
    defer_dependency_errors: true,
  };
}

/** The handler and route options of a DI fixture without hooks (`hooks` builds DI fixtures with hooks). */
export function build(f: Fixture, app: Spikard): Built | undefined {
  if (!hasDependencies(f)) return undefined;
  const options = configure(f, app);
  const needs = handlerNeeds(f);
  const appAnswers = applicationAnswers(f);
  const keepHeaders = !configuresMiddleware(f);
  const expected = f.expected;
  const returns = str(f.handler.get("returns_dependency"));
  const handler: Handler = function di_handler(req: Request) {
    checkResolved(req, needs);
    if (returns !== undefined) {
      // The handler answers with that dependency's value.
      checkResolved(req, [returns]);
      return req.deps[returns];
    }
    return appAnswers ? appResponse(expected, keepHeaders) : { handler_called: true };
  };
  return { handler, options };
}

/** After the request: the state log at `background.state_path` must equal `expected_state`. */
export function afterCheck(f: Fixture): Check | undefined {
  const state = stateRoute(f);
  if (!hasDependencies(f) || state === undefined) return undefined;
  const [path, key] = state;
  const expected = get(f.data.get("background"), "expected_state") ?? null;
  return async (client) => {
    const res = await request(client, "GET", path, []);
    const got = get(tryParseJson(res.body.toString("utf8")), key);
    return jsonEqual(got ?? null, expected) ? [] : [`state ${path} ${key} = ${dump(got ?? null)}, expected ${dump(expected)}`];
  };
}
