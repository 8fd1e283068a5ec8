// Response hooks (`onResponse`, `onError`): they see the response and what is known of the
// request, may change the response in place, or return another response.
import { stringify } from "./json";
import type { ResponseInit as NativeInit } from "./native";

/** A response as a response hook sees it; change it in place. */
export interface HookResponse {
  status: number;
  /** Headers by lowercase name; a repeated header (and `set-cookie`) as a list. */
  headers: Record<string, string | string[]>;
  /** The JSON value, the text, or `null` (no body, a stream, or bytes that are not text). */
  body: unknown;
}

/** What a response hook knows of the request. */
export interface HookRequest {
  method: string;
  path: string;
  state: Record<string, unknown>;
  /** Seconds since the request arrived. */
  elapsed: number;
}

export type ResponseHook = (res: HookResponse, req: HookRequest) => unknown;

/** What the core shows a response hook. */
export interface ShownResponse extends HookResponse {
  bodyKind: "json" | "text" | "bytes" | "none";
}

/** The response as the hook left it: headers and status as set, the body as changed. */
export function leftAs(res: HookResponse, shown: ShownResponse, original: unknown): NativeInit {
  const headers: string[][] = [];
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) headers.push([name, String(v)]);
  }
  const status = res.status;
  const body = res.body;
  if (shown.bodyKind === "json") {
    return { status, headers, kind: "json", text: stringify(body) };
  }
  if ((shown.bodyKind === "none" || shown.bodyKind === "bytes") && body === original) {
    return { status, headers, kind: "keep" };
  }
  if (body === null || body === undefined) return { status, headers, kind: "empty" };
  if (typeof body === "string") return { status, headers, kind: "text", text: body };
  if (body instanceof Uint8Array) return { status, headers, kind: "bytes", bytes: body };
  return { status, headers, kind: "json", text: stringify(body) };
}
