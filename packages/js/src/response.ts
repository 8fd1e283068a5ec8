// Responses a handler builds, and how any result reaches the core.
import { stringify } from "./json";
import type { ResponseInit as NativeInit } from "./native";
import { EventSourceResponse, iteratorOf, StreamingResponse } from "./streams";

export type HeadersInit = Record<string, string | string[]> | [string, string][];

export interface ResponseOptions {
  status?: number;
  headers?: HeadersInit;
}

/** A response with a status, headers and a body (a JSON value, a string, bytes, or nothing). */
export class Response {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: unknown;

  constructor(body?: unknown, options: ResponseOptions = {}) {
    this.body = body;
    this.status = options.status ?? 200;
    this.headers = headerPairs(options.headers);
  }

  /** A JSON response. */
  static json(value: unknown, options: ResponseOptions = {}): Response {
    return new Response(value, options);
  }

  /** A `text/plain` response. */
  static text(text: string, options: ResponseOptions = {}): Response {
    return new Response(text, options);
  }

  /** A redirect (307 by default) to `location`. */
  static redirect(location: string, status = 307): Response {
    return new Response(undefined, { status, headers: [["location", location]] });
  }
}

function headerPairs(init: HeadersInit | undefined): [string, string][] {
  if (init === undefined) {
    return [];
  }
  if (Array.isArray(init)) {
    return init.map(([k, v]) => [k, v]);
  }
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(init)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      out.push([name, v]);
    }
  }
  return out;
}

function hasHeader(headers: [string, string][], name: string): boolean {
  return headers.some(([k]) => k.toLowerCase() === name);
}

/** A `Response`, a stream, a string or bytes as the core's response (`hold` keeps an
 * iterator for the core); `undefined` for a plain JSON value. */
export function toInit(result: unknown, hold: (value: unknown) => number): NativeInit | undefined {
  if (result instanceof StreamingResponse || result instanceof EventSourceResponse) {
    const { status = 200, headers } = result.options;
    const init: NativeInit = {
      status,
      headers: headerPairs(headers),
      kind: result instanceof StreamingResponse ? "stream" : "sse",
      stream: hold(iteratorOf(result.content)),
    };
    if (result instanceof EventSourceResponse && result.options.keepAlive !== undefined) {
      init.keepAlive = result.options.keepAlive;
    }
    return init;
  }
  if (result instanceof Response) {
    const headers = result.headers.map(([k, v]) => [k, v]);
    const init = bodyInit(result.body, result.status, headers);
    return init;
  }
  if (typeof result === "string" || result instanceof Uint8Array) {
    return bodyInit(result, 200, []);
  }
  return undefined;
}

function bodyInit(body: unknown, status: number, headers: string[][]): NativeInit {
  const pairs = headers as [string, string][];
  if (body === undefined || body === null) {
    return { status, headers, kind: "empty" };
  }
  if (typeof body === "string") {
    if (!hasHeader(pairs, "content-type")) {
      headers.push(["content-type", "text/plain; charset=utf-8"]);
    }
    return { status, headers, kind: "text", text: body };
  }
  if (body instanceof Uint8Array) {
    if (!hasHeader(pairs, "content-type")) {
      headers.push(["content-type", "application/octet-stream"]);
    }
    return { status, headers, kind: "bytes", bytes: body };
  }
  return { status, headers, kind: "json", text: stringify(body) };
}
