// The JavaScript side of the core's dispatcher: the tables of functions and values the
// core refers to by index, and the batches of calls it hands over (crates/spikard-node,
// dispatch.rs). Each call is settled by id: a sync result at once, a Promise when it settles.
import { type AnyGenerator, jsonType } from "./di";
import { describe } from "./errors";
import { leftAs, type HookRequest, type ResponseHook, type ShownResponse } from "./hooks";
import { stringify } from "./json";
import type { Effects, NativeApp, NativeCall } from "./native";
import { Request, type RequestData } from "./request";
import { toInit } from "./response";
import { chunkBytes, eventOf } from "./streams";
import { messageData, socketsOf, WebSocket, type WebSocketHandlers } from "./websocket";

/** `func` of a batch entry listing value handles the core let go of. */
const RELEASE = 0xffffffff;
/** `func` of a generator dependency's cleanup after the response. */
const RESUME = 0xfffffffe;
/** `func` of the pull of a streamed body's next chunk. */
const NEXT_CHUNK = 0xfffffffd;
/** `func` of the pull of an event stream's next event. */
const NEXT_EVENT = 0xfffffffc;
/** `func` of the close of an iterator the client left before its end. */
const CLOSE = 0xfffffffb;
/** `func` of a background task's run. */
const RUN_TASK = 0xfffffffa;
/** `func` of the notice that nobody waits for a call any more (its request's signal aborts). */
const ABORT = 0xfffffff9;

/** A registered function and how the core calls it. */
export type Registered =
  | { kind: "request"; f: (req: Request) => unknown; deps: readonly string[] }
  | { kind: "factory"; f: (deps: Record<string, unknown>, req: Request) => unknown; deps: readonly string[] }
  | { kind: "response"; f: ResponseHook }
  | { kind: "ws"; role: "open" | "message" | "close"; handlers: WebSocketHandlers };

function emptyRequest(): RequestData {
  return { method: "GET", path: "", params: {}, query: {}, headers: {}, cookies: {}, body: null, state: {} };
}

/** Why the request failed, as the core tells a generator's cleanup. */
interface FailureArg {
  cancelled?: boolean;
  raised?: { h: number };
  status?: number;
  detail?: string;
  code?: string;
}

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function isGenerator(value: unknown): value is AnyGenerator {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { next?: unknown }).next === "function" &&
    typeof (value as { throw?: unknown }).throw === "function" &&
    (Symbol.iterator in value || Symbol.asyncIterator in value)
  );
}

/** The error a failed request leaves at a generator's `yield`. */
export class RequestFailed extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = "RequestFailed";
  }
}

export class Dispatcher {
  private readonly functions: Registered[] = [];
  private readonly values = new Map<number, unknown>();
  private readonly sockets = new Map<number, WebSocket>();
  /** Requests whose async calls are running, by call id (their signal aborts if the client leaves). */
  private readonly inFlight = new Map<number, Request>();
  private nextValue = 1;
  /** @internal set once the native app exists. */
  native!: NativeApp;

  private flushScheduled = false;

  /** The native app, to settle a call with; the requests settled in this turn of the event
   * loop are woken together once it ends (one wake-up of the server's thread). */
  private settled(): NativeApp {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.native.flush();
      });
    }
    return this.native;
  }

  /** Register a function; its index. */
  register(entry: Registered): number {
    this.functions.push(entry);
    return this.functions.length - 1;
  }

  /** Keep `value` for the core; its handle. */
  hold(value: unknown): number {
    const id = this.nextValue++;
    this.values.set(id, value);
    return id;
  }

  /** Run a batch of calls from the core. */
  run(calls: NativeCall[]): void {
    for (const call of calls) {
      if (call.json !== undefined && call.json !== null) call.args = JSON.parse(call.json) as unknown[];
      if (call.func === RELEASE) {
        for (const h of call.args) this.values.delete(h as number);
        continue;
      }
      if (call.func === ABORT) {
        const req = this.inFlight.get(call.args[0] as number);
        this.inFlight.delete(call.args[0] as number);
        req?.abort();
        continue;
      }
      if (call.func >= RUN_TASK && call.func <= RESUME) {
        this.special(call);
        continue;
      }
      const entry = this.functions[call.func];
      if (entry === undefined) {
        this.settled().settleError(call.id, describe(new Error(`no function ${call.func}`)), null);
      } else if (entry.kind === "response") {
        this.responseHook(call, entry.f);
      } else if (entry.kind === "ws") {
        this.socketCall(call, entry.role, entry.handlers);
      } else {
        this.requestCall(call, entry);
      }
    }
  }

  private arg(value: unknown): unknown {
    const dep = value as { h?: number; v?: unknown };
    return dep.h !== undefined ? this.values.get(dep.h) : dep.v;
  }

  private requestCall(call: NativeCall, entry: Registered & { kind: "request" | "factory" }): void {
    const req = new Request(call.args[0] as RequestData);
    const deps: Record<string, unknown> = {};
    entry.deps.forEach((name, i) => (deps[name] = this.arg(call.args[i + 1])));
    req.deps = deps;
    const settle = entry.kind === "factory" ? (v: unknown) => this.settleFactory(call.id, v) : (v: unknown) => this.settle(call.id, v, req);
    try {
      const result = entry.kind === "factory" ? entry.f(deps, req) : entry.f(req);
      if (isPromise(result)) {
        this.inFlight.set(call.id, req);
        const forget = (): void => void this.inFlight.delete(call.id);
        result.then(
          (v) => (forget(), settle(v)),
          (err: unknown) => (forget(), this.fail(call.id, err)),
        );
      } else {
        settle(result);
      }
    } catch (err) {
      this.fail(call.id, err);
    }
  }

  private fail(id: number, err: unknown): void {
    this.settled().settleError(id, describe(err), this.hold(err));
  }

  /** A factory's value; a generator's first value, the generator kept for its cleanup. */
  private settleFactory(id: number, value: unknown): void {
    if (!isGenerator(value)) {
      this.settled().settleDependency(id, this.hold(value), jsonType(value) ?? null, null);
      return;
    }
    const generator = value;
    const first = (step: IteratorResult<unknown>): void => {
      if (step.done === true) {
        this.fail(id, new Error("the dependency's generator ended without a value"));
        return;
      }
      const v = step.value;
      this.settled().settleDependency(id, this.hold(v), jsonType(v) ?? null, this.hold(generator));
    };
    try {
      const step = generator.next();
      if (isPromise(step)) {
        step.then(first, (err: unknown) => this.fail(id, err));
      } else {
        first(step);
      }
    } catch (err) {
      this.fail(id, err);
    }
  }

  /** A WebSocket handler's call: the connection's socket object, made on `open`, forgotten after `close`. */
  private socketCall(call: NativeCall, role: "open" | "message" | "close", handlers: WebSocketHandlers): void {
    const { ws: id, request } = call.args[0] as { ws: number; request?: RequestData };
    let socket = this.sockets.get(id);
    if (socket === undefined) {
      socket = new WebSocket(socketsOf(this.native), id, new Request(request ?? emptyRequest()));
      this.sockets.set(id, socket);
    }
    const done = (): void => this.settled().settleJson(call.id, "null", null);
    const finish = (): void => {
      if (role === "close") {
        this.sockets.delete(id);
        socketsOf(this.native).wsRelease(id);
      }
    };
    try {
      const result =
        role === "open"
          ? handlers.open?.(socket)
          : role === "message"
            ? handlers.message?.(socket, messageData(call.args[1] as { text?: string }))
            : handlers.close?.(socket, call.args[1] as number, call.args[2] as string);
      if (isPromise(result)) {
        result.then(
          () => (finish(), done()),
          (err: unknown) => (finish(), this.fail(call.id, err)),
        );
      } else {
        finish();
        done();
      }
    } catch (err) {
      finish();
      this.fail(call.id, err);
    }
  }

  private special(call: NativeCall): void {
    switch (call.func) {
      case RESUME:
        return this.resume(call);
      case NEXT_CHUNK:
      case NEXT_EVENT:
        return this.next(call);
      case CLOSE:
        return this.closeIterator(call);
      default:
        return this.runTask(call);
    }
  }

  /** An iterator's next item as a chunk or an event; the end as nothing. */
  private next(call: NativeCall): void {
    const iterator = this.arg(call.args[0]) as AsyncIterator<unknown> | Iterator<unknown> | undefined;
    const events = call.func === NEXT_EVENT;
    const step = (result: IteratorResult<unknown>): void => {
      if (result.done === true) {
        if (events) this.settled().settleEvent(call.id, null);
        else this.settled().settleChunk(call.id, null);
      } else if (events) {
        this.settled().settleEvent(call.id, stringify(eventOf(result.value)));
      } else {
        const bytes = chunkBytes(result.value);
        if (typeof bytes === "string") this.fail(call.id, new TypeError(bytes));
        else this.settled().settleChunk(call.id, bytes);
      }
    };
    try {
      if (iterator === undefined) throw new Error("the stream's iterator is gone");
      const result = iterator.next();
      if (isPromise(result)) {
        result.then(step, (err: unknown) => this.fail(call.id, err));
      } else {
        step(result);
      }
    } catch (err) {
      this.fail(call.id, err);
    }
  }

  /** The client left before the end: let the iterator clean up (`finally` blocks run). */
  private closeIterator(call: NativeCall): void {
    const iterator = this.arg(call.args[0]) as AsyncIterator<unknown> | Iterator<unknown> | undefined;
    const done = (): void => this.settled().settleJson(call.id, "null", null);
    try {
      const closed = iterator?.return?.();
      if (isPromise(closed)) closed.then(done, done);
      else done();
    } catch {
      done();
    }
  }

  private runTask(call: NativeCall): void {
    const task = this.arg(call.args[0]) as (() => unknown) | undefined;
    const done = (): void => this.settled().settleJson(call.id, "null", null);
    try {
      const result = task?.();
      if (isPromise(result)) result.then(done, (err: unknown) => this.fail(call.id, err));
      else done();
    } catch (err) {
      this.fail(call.id, err);
    }
  }

  /** Finish a generator dependency: on to its end, or the request's error thrown at its `yield`. */
  private resume(call: NativeCall): void {
    const generator = this.arg(call.args[0]) as AnyGenerator | undefined;
    const failure = call.args[1] as FailureArg | null;
    const done = (): void => this.settled().settleJson(call.id, "null", null);
    if (generator === undefined) {
      done();
      return;
    }
    let error: unknown;
    if (failure !== null) {
      error =
        failure.raised !== undefined
          ? this.arg(failure.raised)
          : failure.cancelled === true
            ? new RequestFailed(499, "cancelled", "the request was cancelled")
            : new RequestFailed(failure.status ?? 500, failure.code ?? "internal-server-error", failure.detail ?? "");
    }
    try {
      const step = failure === null ? generator.next() : generator.throw(error);
      if (isPromise(step)) {
        step.then(done, done);
      } else {
        done();
      }
    } catch {
      // The generator let the request's error through: nothing more to do.
      done();
    }
  }

  private responseHook(call: NativeCall, hook: ResponseHook): void {
    const shown = call.args[0] as ShownResponse;
    const original = shown.body;
    const res = { status: shown.status, headers: shown.headers, body: shown.body };
    const done = (value: unknown): void => {
      if (value === undefined || value === null) {
        this.settled().settleResponse(call.id, leftAs(res, shown, original), null);
      } else {
        this.settle(call.id, value, undefined);
      }
    };
    try {
      const result = hook(res, call.args[1] as HookRequest);
      if (isPromise(result)) {
        result.then(done, (err: unknown) => this.fail(call.id, err));
      } else {
        done(result);
      }
    } catch (err) {
      this.fail(call.id, err);
    }
  }

  private settle(id: number, value: unknown, req: Request | undefined): void {
    if (value instanceof Error) {
      // An error returned is answered as one thrown.
      this.fail(id, value);
      return;
    }
    try {
      const effects = req === undefined ? null : this.effectsOf(req);
      const init = toInit(value, (v) => this.hold(v));
      if (init !== undefined) {
        this.settled().settleResponse(id, init, effects);
      } else {
        this.settled().settleJson(id, stringify(value), effects);
      }
    } catch (err) {
      this.fail(id, err);
    }
  }

  /** The state (when there is any), reply headers and background tasks a call left on its request. */
  private effectsOf(req: Request): Effects | null {
    const hasState = req.hadState || Object.keys(req.state).length > 0;
    if (!hasState && req.replied === undefined && req.tasks === undefined) {
      return null;
    }
    return {
      state: hasState ? stringify(req.state) : undefined,
      headers: req.replied,
      tasks: req.tasks?.map((t) => this.hold(t)),
    };
  }
}
