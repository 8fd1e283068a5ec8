// The app: routes and hooks registered as declarations with the core (docs/bindings.md);
// their functions live in one table here, called by the core's dispatcher in batches.
import { describe, native as guarded, fromNative } from "./errors";
import { leftAs, type HookRequest, type ResponseHook, type ShownResponse } from "./hooks";
import { stringify } from "./json";
import { native, type Effects, type NativeApp, type NativeCall } from "./native";
import { Request, type RequestData } from "./request";
import { toInit } from "./response";

export type Handler = (req: Request) => unknown;
export type RequestHook = (req: Request) => unknown;

/** A route's schemas and settings: the core's RouteSpec fields (snake_case), all optional. */
export interface RouteOptions {
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
  /** OpenAPI fields and any other RouteSpec field. */
  [field: string]: unknown;
}

export interface RouteDefinition extends RouteOptions {
  method: string;
  path: string;
}

export interface ListenOptions {
  host?: string;
  port?: number;
}

/** A registered function: one taking the request, or a response hook. */
interface Registered {
  request?: (req: Request) => unknown;
  response?: ResponseHook;
}

const REQUEST_ARG = [{ name: "request", source: "request", positional: true }];

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

export class Spikard {
  /** @internal */
  readonly native: NativeApp;
  /** Functions by index: request functions take the request, response hooks the response. */
  private readonly functions: Registered[] = [];
  private keepAlive: NodeJS.Timeout | undefined;
  private signals: (() => void) | undefined;

  constructor(config: Record<string, unknown> = {}) {
    this.native = guarded(() => new native.NativeApp(config, (calls) => this.dispatch(calls)));
  }

  /** Register a route: `method`, `path` (`/users/{id:int}`) and the core's route settings. */
  route(definition: RouteDefinition, handler: Handler): this {
    const { method, path, response_model, ...spec } = definition;
    const func = this.register({ request: handler });
    const decl: Record<string, unknown> = {
      route: { ...spec, method: method.toUpperCase(), path, handler_name: handler.name || undefined },
      handler: { function: 0, is_async: false, args: REQUEST_ARG },
    };
    if (response_model !== undefined) {
      decl.response_model = response_model;
    }
    guarded(() => this.native.addRoute(decl, [func]));
    return this;
  }

  get(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("GET", path, rest);
  }

  post(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("POST", path, rest);
  }

  put(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("PUT", path, rest);
  }

  patch(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("PATCH", path, rest);
  }

  delete(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("DELETE", path, rest);
  }

  head(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("HEAD", path, rest);
  }

  options(path: string, ...rest: [Handler] | [RouteOptions, Handler]): this {
    return this.verb("OPTIONS", path, rest);
  }

  /** A hook run for every request before routing's result is validated; return a response to answer early. */
  onRequest(hook: RequestHook): this {
    return this.hook("on_request", hook);
  }

  /** A hook run before validation; return a response to answer early. */
  preValidation(hook: RequestHook): this {
    return this.hook("pre_validation", hook);
  }

  /** A hook run before the handler; return a response to answer early. */
  preHandler(hook: RequestHook): this {
    return this.hook("pre_handler", hook);
  }

  /** A hook run on every successful response (status < 400): change it in place or return another. */
  onResponse(hook: ResponseHook): this {
    return this.responseHook("on_response", hook);
  }

  /** A hook run on every error response (status >= 400): change it in place or return another. */
  onError(hook: ResponseHook): this {
    return this.responseHook("on_error", hook);
  }

  /** The server settings in effect (the core's ServerConfig). */
  get config(): Record<string, unknown> {
    return guarded(() => this.native.config());
  }

  /** Serve until `close()`; resolves with the port bound. SIGINT and SIGTERM close it gracefully. */
  async listen(options: ListenOptions = {}): Promise<number> {
    const config = this.config;
    const host = options.host ?? String(config.host ?? "127.0.0.1");
    const port = options.port ?? Number(config.port ?? 8000);
    let bound: number;
    try {
      bound = await this.native.listen(host, port);
    } catch (err) {
      throw fromNative(err);
    }
    // The server runs on its own thread: this handle keeps the process alive meanwhile.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (): void => void this.close();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    this.signals = () => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
    };
    return bound;
  }

  /** Stop accepting, finish the requests in flight, and let the process exit. */
  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    this.signals?.();
    this.signals = undefined;
    try {
      await this.native.close();
    } catch (err) {
      throw fromNative(err);
    }
  }

  private verb(method: string, path: string, rest: [Handler] | [RouteOptions, Handler]): this {
    const [options, handler] = rest.length === 1 ? [{}, rest[0]] : rest;
    return this.route({ ...options, method, path }, handler);
  }

  private hook(phase: string, hook: RequestHook): this {
    const func = this.register({ request: hook });
    const decl = { phase, name: hook.name || phase, function: 0, is_async: false, args: REQUEST_ARG };
    guarded(() => this.native.addHook(decl, [func]));
    return this;
  }

  private responseHook(phase: string, hook: ResponseHook): this {
    const func = this.register({ response: hook });
    const decl = { phase, name: hook.name || phase, function: 0, is_async: false, with_request: true };
    guarded(() => this.native.addHook(decl, [func]));
    return this;
  }

  private register(f: Registered): number {
    this.functions.push(f);
    return this.functions.length - 1;
  }

  /** Run a batch of calls from the core; each is settled by id, a sync result at once. */
  private dispatch(calls: NativeCall[]): void {
    for (const call of calls) {
      const entry = this.functions[call.func];
      if (entry?.response !== undefined) {
        this.callResponseHook(call, entry.response);
        continue;
      }
      const req = new Request(call.args[0] as RequestData);
      try {
        if (entry?.request === undefined) {
          throw new Error(`no function ${call.func}`);
        }
        const result = entry.request(req);
        if (isPromise(result)) {
          result.then(
            (value) => this.settle(call.id, value, req),
            (err: unknown) => this.native.settleError(call.id, describe(err)),
          );
        } else {
          this.settle(call.id, result, req);
        }
      } catch (err) {
        this.native.settleError(call.id, describe(err));
      }
    }
  }

  private callResponseHook(call: NativeCall, hook: ResponseHook): void {
    const shown = call.args[0] as ShownResponse;
    const original = shown.body;
    const res = { status: shown.status, headers: shown.headers, body: shown.body };
    const done = (value: unknown): void => {
      if (value === undefined || value === null) {
        this.native.settleResponse(call.id, leftAs(res, shown, original), null);
      } else {
        this.settle(call.id, value, undefined);
      }
    };
    try {
      const result = hook(res, call.args[1] as HookRequest);
      if (isPromise(result)) {
        result.then(done, (err: unknown) => this.native.settleError(call.id, describe(err)));
      } else {
        done(result);
      }
    } catch (err) {
      this.native.settleError(call.id, describe(err));
    }
  }

  private settle(id: number, value: unknown, req: Request | undefined): void {
    if (value instanceof Error) {
      // An error returned is answered as one thrown.
      this.native.settleError(id, describe(value));
      return;
    }
    try {
      const effects = req === undefined ? null : effectsOf(req);
      const init = toInit(value);
      if (init !== undefined) {
        this.native.settleResponse(id, init, effects);
        return;
      }
      this.native.settleJson(id, stringify(value), effects);
    } catch (err) {
      this.native.settleError(id, describe(err));
    }
  }
}

/** The state (when there is any) and reply headers a call left on its request. */
function effectsOf(req: Request): Effects | null {
  const hasState = req.hadState || Object.keys(req.state).length > 0;
  if (!hasState && req.replied === undefined) {
    return null;
  }
  return { state: hasState ? stringify(req.state) : undefined, headers: req.replied };
}
