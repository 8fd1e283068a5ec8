// What a handler and a request hook are given.

/** The request as the core hands it over (validated, coerced). */
export interface RequestData {
  method: string;
  path: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  cookies: Record<string, unknown>;
  body: unknown;
  state: Record<string, unknown>;
}

/** The request: validated, coerced parameters and body, as the core read them. */
export class Request<Params = Record<string, unknown>, Query = Record<string, unknown>, Body = unknown> {
  readonly method: string;
  /** The percent-decoded path. */
  readonly path: string;
  /** Path parameters, coerced to their types (`{id:int}` is a number). */
  readonly params: Params;
  /** Query parameters (declared ones coerced, defaults applied; every other one as sent). */
  readonly query: Query;
  /** Every header by lowercase name (declared ones coerced). */
  readonly headers: Record<string, unknown>;
  readonly cookies: Record<string, unknown>;
  /** The decoded, validated body (`null` when there is none). */
  readonly body: Body;
  /** Values hooks, middleware and the handler share; what a hook sets here the next one sees. */
  state: Record<string, unknown>;
  /** The dependencies the function declared, by name. */
  deps: Record<string, unknown> = {};
  private controller: AbortController | undefined;
  private aborted = false;

  /** Aborts when nobody waits for the answer any more: the client went away or the request's deadline passed. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** @internal the client left. */
  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }

  /** @internal tasks added with `addTask`. */
  tasks: (() => unknown)[] | undefined;
  /** @internal headers added with `replyHeader`. */
  replied: string[][] | undefined;
  /** @internal whether the core handed over any state. */
  readonly hadState: boolean;

  constructor(data: RequestData) {
    this.method = data.method;
    this.path = data.path;
    this.params = data.params as Params;
    this.query = data.query as Query;
    this.headers = data.headers;
    this.cookies = data.cookies;
    this.body = data.body as Body;
    this.state = data.state;
    this.hadState = Object.keys(data.state).length > 0;
  }

  /** Run `task` in the background once this call has answered (the server waits for it when it shuts down). */
  addTask(task: () => unknown): void {
    (this.tasks ??= []).push(task);
  }

  /** Add a header to the response this request gets (whoever answers it). */
  replyHeader(name: string, value: string): void {
    (this.replied ??= []).push([name, value]);
  }
}
