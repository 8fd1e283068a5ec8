// What a handler and a request hook are given.

/** The request: validated, coerced parameters and body, as the core read them. */
export interface Request<
  Params = Record<string, unknown>,
  Query = Record<string, unknown>,
  Body = unknown,
> {
  method: string;
  /** The percent-decoded path. */
  path: string;
  /** Path parameters, coerced to their types (`{id:int}` is a number). */
  params: Params;
  /** Query parameters (declared ones coerced, defaults applied; every other one as sent). */
  query: Query;
  /** Every header by lowercase name (declared ones coerced). */
  headers: Record<string, unknown>;
  cookies: Record<string, unknown>;
  /** The decoded, validated body (`null` when there is none). */
  body: Body;
  /** Values hooks and middleware hand to the handler. */
  state: Record<string, unknown>;
}
