// The app at the edge: everything of @spikard/js's SpikardCore, served by the host's
// `fetch` handler (workerd, Deno, Bun, Node): `export default { fetch: app.fetch }`.
import { type ServerConfig, SpikardCore } from "@spikard/js";
import { module, type NativeResponse, type WasmNativeApp } from "./native";

/** What a worker's `fetch` gets besides the request (Cloudflare's `ctx`); `waitUntil` keeps
 * the worker alive for work that outlives the response. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

export class Spikard extends SpikardCore<WasmNativeApp> {
  /** An app with the core's server settings (camelCase, or snake_case as in the core). */
  constructor(config: ServerConfig = {}) {
    super(config, module());
  }

  /**
   * The WHATWG fetch handler, Hono's signature (`env` is accepted for the host's sake; with
   * a `ctx`, background tasks are handed to `ctx.waitUntil`). Bound to the app: `export default { fetch: app.fetch }`,
   * `Deno.serve(app.fetch)`, `Bun.serve({ fetch: app.fetch })`.
   */
  readonly fetch = async (request: Request, _env?: unknown, ctx?: ExecutionContext): Promise<Response> => {
    const url = new URL(request.url);
    const headers: [string, string][] = [];
    request.headers.forEach((value, name) => headers.push([name, value]));
    if (!request.headers.has("host")) headers.push(["host", url.host]);
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const answer = await this.native.handle(request.method, url.pathname + url.search, headers, body);
    // Background tasks (`req.addTask`) outlive the response: the host keeps the isolate for them.
    if (ctx !== undefined && typeof ctx.waitUntil === "function" && this.native.backgroundPending() > 0) {
      ctx.waitUntil(this.native.idle());
    }
    return toResponse(answer, request.method);
  };

  /** Send a request to the app in memory (Hono's `app.request`): `path` is a path or a URL. */
  request(path: string, init?: RequestInit): Promise<Response> {
    return this.fetch(new Request(new URL(path, "http://localhost"), init));
  }
}

/** Statuses whose response has no body (`new Response` refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toResponse(answer: NativeResponse, method: string): Response {
  const init = { status: answer.status, headers: answer.headers };
  if (NULL_BODY.has(answer.status) || method === "HEAD") return new Response(null, init);
  const whole = answer.body;
  if (whole !== undefined) return new Response(whole, init);
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await answer.next();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
    cancel() {
      answer.cancel();
    },
  });
  return new Response(stream, init);
}
