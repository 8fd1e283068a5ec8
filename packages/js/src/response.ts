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

export interface FileResponseOptions extends ResponseOptions {
  /** The download name (`Content-Disposition`); also gives the media type. */
  filename?: string;
  /** `Content-Disposition: inline` rather than `attachment` (with `filename`). */
  inline?: boolean;
  /** The media type (default: by `filename`, else by the path's extension). */
  mediaType?: string;
  /** When an in-memory file last changed (default: when it is answered). */
  lastModified?: Date;
}

/**
 * A file: a path (read when the response is sent; streamed beyond 256 KiB) or bytes in
 * memory (an edge worker has no file system). `ETag`, `Last-Modified`, 304s and byte
 * ranges (206/416) are the core's, as for static files. A path that is not a readable
 * file is the application's error: a logged 500.
 */
export class FileResponse {
  readonly status: number;
  readonly headers: [string, string][];

  constructor(
    readonly file: string | Uint8Array,
    readonly options: FileResponseOptions = {},
  ) {
    this.status = options.status ?? 200;
    this.headers = headerPairs(options.headers);
    if (options.mediaType !== undefined && !hasHeader(this.headers, "content-type")) {
      this.headers.push(["content-type", options.mediaType]);
    }
  }
}

function fileInit(result: FileResponse): NativeInit {
  const { filename, inline = false, lastModified } = result.options;
  const spec: Record<string, unknown> = { inline };
  if (filename !== undefined) {
    spec.filename = filename;
  }
  if (lastModified !== undefined) {
    spec.modified = lastModified.getTime();
  }
  const init: NativeInit = { status: result.status, headers: result.headers.map(([k, v]) => [k, v]), kind: "file" };
  if (typeof result.file === "string") {
    spec.path = result.file;
  } else {
    init.bytes = result.file;
  }
  init.text = JSON.stringify(spec);
  return init;
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
  if (result instanceof FileResponse) {
    return fileInit(result);
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
