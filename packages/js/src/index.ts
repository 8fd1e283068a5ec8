// @spikard/js: what @spikard/node and @spikard/wasm share (each adds its runtime: a server,
// or a fetch handler, and re-exports this API as its own). What only the runtime packages
// use is in `@spikard/js/runtime`.
export { SpikardCore } from "./app";
export { CONFIG_FIELDS } from "./config";
export type {
  ApiKeyConfig,
  BackgroundConfig,
  BodyLimitConfig,
  CompressionConfig,
  CorsConfig,
  JwtConfig,
  OpenApiConfig,
  RateLimitConfig,
  RequestIdConfig,
  RequestTimeoutConfig,
  ServerConfig,
  StaticFile,
  StaticFilesConfig,
} from "./config";
export { Provide } from "./di";
export type { Infer, JsonSchema, Schema, ZodLike } from "./schema";
export type { Factory, Lifetime, ProvideOptions } from "./di";
export { RequestFailed } from "./dispatch";
export type { Handler, HookOptions, RequestHook, RouteDefinition, RouteOptions } from "./app";
export type { HookRequest, HookResponse, ResponseHook } from "./hooks";
export { ConfigError, HttpError, RouteError, ServerError, SpikardError } from "./errors";
export { Request } from "./request";
export { FileResponse, Response } from "./response";
export type { FileResponseOptions, HeadersInit, ResponseOptions } from "./response";
export { EventSourceResponse, StreamingResponse } from "./streams";
export type { EventStreamOptions, Items, SseEvent, StreamOptions } from "./streams";
export { TestClient, TestResponse, TestStream, TestWebSocket } from "./testing";
export type { RequestOptions, SseMessage, WsFrame } from "./testing";
export { WebSocket } from "./websocket";
export type { WebSocketHandlers } from "./websocket";
