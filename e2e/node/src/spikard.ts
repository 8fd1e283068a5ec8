/**
 * The one import point of the package under test (`@spikard/node`, linked from
 * `packages/node` by `file:`): the runner uses its public API only.
 */
export { HttpError, Provide, Response, Spikard, TestClient } from "@spikard/node";
export type { HookRequest, HookResponse, Request, RouteOptions, TestResponse } from "@spikard/node";
