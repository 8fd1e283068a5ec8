// The app: routes, hooks and dependencies registered as declarations with the core
// (docs/bindings.md); their functions and values live in the dispatcher's tables.
import { camelCase, renameKeys, type ServerConfig, snakeCase } from "./config";
import { argsFor, isAsyncFunction, isGeneratorFunction, jsonType, Provide } from "./di";
import { Dispatcher } from "./dispatch";
import { native as guarded, fromNative } from "./errors";
import type { ResponseHook } from "./hooks";
import type { NativeApp, NativeModule } from "./native";
import { type Infer, parametersOf, type Schema, toJsonSchema } from "./schema";
import type { Request } from "./request";
import type { WebSocketHandlers } from "./websocket";

/** A handler; its request is typed from the route's Zod schemas. */
export type Handler<O = object> = (req: Request<ParamsOf<O>, QueryOf<O>, BodyOf<O>>) => unknown;

type ParamsOf<O> = O extends { params: infer S } ? Infer<S, Record<string, unknown>> : Record<string, unknown>;
type QueryOf<O> = O extends { query: infer S } ? Infer<S, Record<string, unknown>> : Record<string, unknown>;
type BodyOf<O> = O extends { body: infer S } ? Infer<S> : unknown;
export type RequestHook = (req: Request) => unknown;

/** A route's schemas and settings: the core's RouteSpec fields (snake_case), all optional. */
export interface RouteOptions {
  /** Path parameters, an object schema (JSON Schema or Zod). */
  params?: Schema;
  /** Query parameters, an object schema (JSON Schema or Zod). */
  query?: Schema;
  /** Header parameters by lowercase name, an object schema. */
  headers?: Schema;
  /** Cookie parameters, an object schema. */
  cookies?: Schema;
  /** The request body's schema (JSON Schema or Zod); `body_schema` is the same. */
  body?: Schema;
  /** The schema the handler's JSON results are checked against (`response_model`). */
  response?: Schema;
  parameters?: {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
    headers?: Record<string, unknown>;
    cookies?: Record<string, unknown>;
    files?: Record<string, unknown>;
  };
  body_schema?: unknown;
  content_type?: string;
  max_body_size?: number;
  max_nesting_depth?: number;
  middleware?: Record<string, unknown>;
  cors?: Record<string, unknown>;
  response_schema?: unknown;
  status_code?: number;
  /** A JSON Schema the core checks the handler's JSON results against. */
  response_model?: unknown;
  /** Dependencies the handler receives in `req.deps` (registered with `app.provide`). */
  dependencies?: string[];
  /** Dependencies for this route only (values or `Provide`), replacing the app's of the same name. */
  dependency_overrides?: Record<string, unknown>;
  /** Dependencies resolved for every request though the handler does not take them (FastAPI's
   * `dependencies=[Depends(check)]`): a check that throws refuses the request. */
  run_dependencies?: string[];
  /** The JSON type each dependency must stand for (`object`, `integer`, ...): checked by the core. */
  expected_types?: Record<string, string>;
  /** Answer a broken dependency graph (a cycle, a missing dependency) per request, not at registration. */
  defer_dependency_errors?: boolean;
  /** OpenAPI fields and any other RouteSpec field. */
  [field: string]: unknown;
}

export interface RouteDefinition extends RouteOptions {
  method: string;
  path: string;
}

export interface HookOptions {
  /** Dependencies the hook receives in `req.deps`. */
  dependencies?: string[];
}

/** An app over a runtime's compiled module: `Spikard` of @spikard/node (a server) and of
 * @spikard/wasm (a `fetch` handler) extend it. */
export class SpikardCore<N extends NativeApp = NativeApp> {
  /** @internal */
  readonly native: N;
  private readonly dispatcher = new Dispatcher();

  /** An app with the core's server settings (camelCase, or snake_case as in the core). */
  constructor(config: ServerConfig, module: NativeModule<N>) {
    const dispatcher = this.dispatcher;
    const core = renameKeys(config, snakeCase);
    this.native = guarded(() => new module.NativeApp(core, (calls) => dispatcher.run(calls)));
    dispatcher.native = this.native;
  }

  /** Register a route: `method`, `path` (`/users/{id:int}`) and the core's route settings. */
  route<O extends RouteDefinition>(definition: O, handler: Handler<O>): this {
    const { method, path, dependencies, dependency_overrides, run_dependencies, expected_types, defer_dependency_errors, ...rest } =
      definition;
    const { spec, response_model } = routeSpec(rest);
    const deps = dependencies ?? [];
    const f = handler as (req: Request) => unknown;
    const objects = [{ id: this.dispatcher.register({ kind: "request", f, deps }) }];
    const decl: Record<string, unknown> = {
      route: { ...spec, method: method.toUpperCase(), path, handler_name: handler.name || undefined },
      handler: { function: 0, is_async: isAsyncFunction(handler), args: argsFor(deps) },
    };
    if (response_model !== undefined) decl.response_model = response_model;
    if (expected_types !== undefined) decl.expected_types = expected_types;
    if (defer_dependency_errors !== undefined) decl.defer_dependency_errors = defer_dependency_errors;
    if (run_dependencies !== undefined) decl.run_dependencies = run_dependencies;
    if (dependency_overrides !== undefined) {
      const overrides: Record<string, unknown> = {};
      for (const [name, given] of Object.entries(dependency_overrides)) {
        overrides[name] = this.dependency(given, objects);
      }
      decl.dependencies = overrides;
    }
    guarded(() => this.native.addRoute(decl, objects));
    return this;
  }

  /** A WebSocket route: `options` are the core's route settings (`message_schema`, `parameters`, ...). */
  websocket(path: string, options: RouteOptions, handlers: WebSocketHandlers): this {
    const handler_name = options.handler_name ?? `WS ${path}`;
    const ids = (["open", "message", "close"] as const).map((role) =>
      this.dispatcher.register({ kind: "ws", role, handlers }),
    );
    guarded(() => this.native.addWebsocket({ ...options, method: "GET", path, kind: "websocket", handler_name }, ids));
    return this;
  }

  /** Register a dependency by name: a value, or a `Provide` factory (a generator function is cleaned up after the response). */
  provide(name: string, given: unknown): this {
    const objects: { id: number; jsonType?: string }[] = [];
    const decl = this.dependency(given, objects);
    guarded(() => this.native.provide(name, decl, objects));
    return this;
  }

  get<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  get(path: string, handler: Handler): this;
  get(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("GET", path, rest);
  }

  post<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  post(path: string, handler: Handler): this;
  post(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("POST", path, rest);
  }

  put<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  put(path: string, handler: Handler): this;
  put(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("PUT", path, rest);
  }

  patch<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  patch(path: string, handler: Handler): this;
  patch(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("PATCH", path, rest);
  }

  delete<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  delete(path: string, handler: Handler): this;
  delete(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("DELETE", path, rest);
  }

  head<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  head(path: string, handler: Handler): this;
  head(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("HEAD", path, rest);
  }

  options<O extends RouteOptions>(path: string, options: O, handler: Handler<O>): this;
  options(path: string, handler: Handler): this;
  options(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("OPTIONS", path, rest);
  }

  /** A hook run for every request when it arrives; return a response (or an HttpError) to answer early. */
  onRequest(hook: RequestHook, options: HookOptions = {}): this {
    return this.hook("on_request", hook, options);
  }

  /** A hook run before validation; return a response to answer early. */
  preValidation(hook: RequestHook, options: HookOptions = {}): this {
    return this.hook("pre_validation", hook, options);
  }

  /** A hook run before the handler; return a response to answer early. */
  preHandler(hook: RequestHook, options: HookOptions = {}): this {
    return this.hook("pre_handler", hook, options);
  }

  /** A hook run on every successful response (status < 400): change it in place or return another. */
  onResponse(hook: ResponseHook): this {
    return this.responseHook("on_response", hook);
  }

  /** A hook run on every error response (status >= 400): change it in place or return another. */
  onError(hook: ResponseHook): this {
    return this.responseHook("on_error", hook);
  }

  /** The server settings in effect (every field, camelCase). */
  get config(): ServerConfig {
    return renameKeys(guarded(() => this.native.config()), camelCase) as ServerConfig;
  }

  /** Replace the server settings (they apply to every route, including those already added). */
  configure(config: ServerConfig): this {
    guarded(() => this.native.configure(renameKeys(config, snakeCase)));
    return this;
  }

  private verb(method: string, path: string, rest: [Handler] | [RouteOptions, Handler]): this {
    const [options, handler] = rest.length === 1 ? [{}, rest[0]] : rest;
    return this.route({ ...options, method, path }, handler);
  }

  private hook(phase: string, hook: RequestHook, options: HookOptions): this {
    const deps = options.dependencies ?? [];
    const func = this.dispatcher.register({ kind: "request", f: hook, deps });
    const decl = { phase, name: hook.name || phase, function: 0, is_async: isAsyncFunction(hook), args: argsFor(deps) };
    guarded(() => this.native.addHook(decl, [{ id: func }]));
    return this;
  }

  private responseHook(phase: string, hook: ResponseHook): this {
    const func = this.dispatcher.register({ kind: "response", f: hook });
    const decl = { phase, name: hook.name || phase, function: 0, is_async: isAsyncFunction(hook), with_request: true };
    guarded(() => this.native.addHook(decl, [{ id: func }]));
    return this;
  }

  /** The declaration of a dependency (a value or a `Provide`), its objects appended to `objects`. */
  private dependency(given: unknown, objects: { id: number; jsonType?: string }[]): Record<string, unknown> {
    const index = objects.length;
    if (!(given instanceof Provide)) {
      objects.push({ id: this.dispatcher.hold(given), jsonType: jsonType(given) });
      return { kind: "value", function: index };
    }
    const { factory, options } = given;
    const deps = options.dependsOn ?? [];
    objects.push({ id: this.dispatcher.register({ kind: "factory", f: factory, deps }) });
    const decl: Record<string, unknown> = {
      kind: isGeneratorFunction(factory) ? "generator" : "factory",
      function: index,
      is_async: isAsyncFunction(factory),
      args: argsFor(deps),
      lifetime: options.lifetime ?? "per_request",
    };
    if (options.parameters !== undefined) decl.parameters = options.parameters;
    if (options.body_schema !== undefined) decl.body_schema = options.body_schema;
    return decl;
  }
}

/** The core's RouteSpec from route options: schemas converted (Zod to JSON Schema) and
 * the `params`/`query`/`headers`/`cookies`/`body`/`response` shorthands merged in. */
function routeSpec(options: RouteOptions): { spec: Record<string, unknown>; response_model: unknown } {
  const { params, query, headers, cookies, body, response, response_model, body_schema, parameters, ...spec } = options;
  const merged: Record<string, unknown> = { ...(parameters ?? {}) };
  for (const [key, schema] of [["path", params], ["query", query], ["headers", headers], ["cookies", cookies]] as const) {
    if (schema !== undefined) merged[key] = { ...((merged[key] as object | undefined) ?? {}), ...parametersOf(schema) };
  }
  if (Object.keys(merged).length > 0) spec.parameters = merged;
  const bodySchema = body ?? (body_schema as Schema | undefined);
  if (bodySchema !== undefined) spec.body_schema = toJsonSchema(bodySchema);
  const model = response ?? (response_model as Schema | undefined);
  return { spec, response_model: model === undefined ? undefined : toJsonSchema(model) };
}
