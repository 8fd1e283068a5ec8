// The error classes: HttpError for handlers, and the core's errors (registration, routes,
// the server) rooted at SpikardError with the core's stable `code`.

/** An application's HTTP error: answered as an RFC 9457 problem with this status and detail. */
export class HttpError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly headers: Record<string, string | string[]> | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    status: number,
    detail = "",
    options: { headers?: Record<string, string | string[]>; extra?: Record<string, unknown> } = {},
  ) {
    super(detail || `HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.detail = detail;
    this.headers = options.headers;
    this.extra = options.extra;
  }
}

/** Any error the core raises; `code` is its stable machine-readable name. */
export class SpikardError extends Error {
  readonly code: string;

  constructor(message: string, code = "spikard-error") {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A registration or setting that does not read. */
export class ConfigError extends SpikardError {}

/** A route the router refuses (a conflict, a bad pattern). */
export class RouteError extends SpikardError {}

/** The server could not start or serve. */
export class ServerError extends SpikardError {}

const classes: Record<string, typeof SpikardError> = { SpikardError, ConfigError, RouteError, ServerError };

/** A native error (its message is `{"class", "code", "message"}`) as its class. */
export function fromNative(err: unknown): unknown {
  if (!(err instanceof Error) || !err.message.startsWith("{")) {
    return err;
  }
  try {
    const described = JSON.parse(err.message) as { class?: string; code?: string; message?: string };
    const Class = classes[described.class ?? ""] ?? SpikardError;
    return new Class(described.message ?? err.message, described.code);
  } catch {
    return err;
  }
}

/** Call `f`, throwing a native error as its class. */
export function native<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw fromNative(err);
  }
}

/** A thrown value as the core reads it: an HttpError's status and members, else what was thrown. */
export function describe(err: unknown): Record<string, unknown> {
  if (err instanceof HttpError) {
    return { status_code: err.status, detail: err.detail, headers: err.headers ?? null, extra: err.extra ?? null };
  }
  if (err instanceof Error) {
    return { message: `${err.name}: ${err.message}`, stack: err.stack ?? "" };
  }
  return { message: String(err) };
}
