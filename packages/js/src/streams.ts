// Streamed bodies and server-sent events: the core pulls the iterator one item at a time
// (back-pressure is the client's reading) and closes it when the client leaves first.
import type { HeadersInit } from "./response";

export type Items<T> = AsyncIterable<T> | Iterable<T>;

export interface StreamOptions {
  status?: number;
  headers?: HeadersInit;
}

/** A body sent as its iterable yields chunks (strings or bytes). */
export class StreamingResponse {
  constructor(
    readonly content: Items<string | Uint8Array>,
    readonly options: StreamOptions = {},
  ) {}
}

/** One server-sent event (`data` that is not a string is sent as JSON). */
export interface SseEvent {
  data?: unknown;
  event?: string;
  id?: string;
  retry?: number;
  comment?: string;
}

export interface EventStreamOptions extends StreamOptions {
  /** Send a keep-alive comment after this many seconds without an event. */
  keepAlive?: number;
}

/**
 * A `text/event-stream` of what the iterable yields: a plain object is an event's
 * description (`data`, `event`, `id`, `retry`, `comment`), anything else the data of one.
 */
export class EventSourceResponse {
  constructor(
    readonly content: Items<unknown>,
    readonly options: EventStreamOptions = {},
  ) {}
}

/** The iterator the core pulls. */
export function iteratorOf(content: Items<unknown>): AsyncIterator<unknown> | Iterator<unknown> {
  if (Symbol.asyncIterator in content) return content[Symbol.asyncIterator]();
  return content[Symbol.iterator]();
}

const utf8 = new TextEncoder();

/** A chunk as bytes, or an error message. */
export function chunkBytes(item: unknown): Uint8Array | string {
  if (typeof item === "string") return utf8.encode(item);
  if (item instanceof Uint8Array) return item;
  return `a streamed chunk must be a string or bytes, not ${item === null ? "null" : typeof item}`;
}

/** An item of an event stream as an event description. */
export function eventOf(item: unknown): unknown {
  if (typeof item === "object" && item !== null && !Array.isArray(item)) {
    const proto = Object.getPrototypeOf(item) as unknown;
    if (proto === Object.prototype || proto === null) return item;
  }
  return { data: item };
}
