// The in-memory test client: requests go through the real Rust pipeline, no socket.
import type { Spikard } from "./app";
import { fromNative } from "./errors";
import type { HeadersInit } from "./response";

export interface RequestOptions {
  /** Query parameters added to the path's own. */
  query?: Record<string, string | number | boolean | (string | number | boolean)[]>;
  headers?: HeadersInit;
  cookies?: Record<string, string>;
  /** A JSON body (sets `content-type: application/json` unless given). */
  json?: unknown;
  /** A urlencoded form body. */
  form?: Record<string, string | number | boolean>;
  /** A raw body. */
  body?: string | Uint8Array;
}

/** A response read whole. */
export class TestResponse {
  readonly status: number;
  /** Header values by lowercase name (repeated values joined with ", "). */
  readonly headers: Record<string, string>;
  /** Every header as sent, in order. */
  readonly headerList: [string, string][];
  readonly body: Buffer;

  constructor(status: number, headerList: [string, string][], body: Buffer) {
    this.status = status;
    this.headerList = headerList;
    this.body = body;
    const headers: Record<string, string> = {};
    for (const [name, value] of headerList) {
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    this.headers = headers;
  }

  text(): string {
    return this.body.toString("utf8");
  }

  json(): unknown {
    return JSON.parse(this.text());
  }
}

export class TestClient {
  constructor(private readonly app: Spikard) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
    const headers: string[][] = [];
    const given = options.headers ?? [];
    for (const [name, value] of Array.isArray(given) ? given : Object.entries(given)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        headers.push([name, v]);
      }
    }
    const has = (name: string): boolean => headers.some(([k]) => k?.toLowerCase() === name);
    if (options.cookies !== undefined) {
      const cookie = Object.entries(options.cookies)
        .map(([k, v]) => `${k}=${v}`)
        .join("; ");
      headers.push(["cookie", cookie]);
    }
    let body: Buffer | undefined;
    if (options.json !== undefined) {
      body = Buffer.from(JSON.stringify(options.json));
      if (!has("content-type")) headers.push(["content-type", "application/json"]);
    } else if (options.form !== undefined) {
      const form = new URLSearchParams(Object.entries(options.form).map(([k, v]): [string, string] => [k, String(v)]));
      body = Buffer.from(form.toString());
      if (!has("content-type")) headers.push(["content-type", "application/x-www-form-urlencoded"]);
    } else if (options.body !== undefined) {
      body = typeof options.body === "string" ? Buffer.from(options.body) : Buffer.from(options.body);
    }
    let uri = path;
    if (options.query !== undefined) {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query)) {
        for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
      }
      const text = query.toString();
      if (text) uri += (uri.includes("?") ? "&" : "?") + text;
    }
    try {
      const result = await this.app.native.request(method.toUpperCase(), uri, headers, body);
      return new TestResponse(result.status, result.headers as [string, string][], result.body);
    } catch (err) {
      throw fromNative(err);
    }
  }

  get(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("GET", path, options);
  }

  post(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("POST", path, options);
  }

  put(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("PUT", path, options);
  }

  patch(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("PATCH", path, options);
  }

  delete(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("DELETE", path, options);
  }

  head(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("HEAD", path, options);
  }

  options(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request("OPTIONS", path, options);
  }
}
