/**
 * The one import point of the package under test (`@spikard/node`, linked from
 * `packages/node` by `file:`): the runner uses its public API only.
 */
export { EventSourceResponse, FileResponse, HttpError, Provide, Response, Spikard, StreamingResponse, TestClient } from "@spikard/node";
export type { HookRequest, HookResponse, Request, RouteOptions, SseEvent, TestResponse } from "@spikard/node";
