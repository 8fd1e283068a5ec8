// @spikard/wasm: Spikard's Rust core compiled to WebAssembly, with handlers in TypeScript, behind a fetch handler.
export { Spikard } from "./app";
export type { ExecutionContext } from "./app";
export { CONFIG_FIELDS } from "@spikard/js";
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
} from "@spikard/js";
export { Provide } from "@spikard/js";
export type { Infer, JsonSchema, Schema, ZodLike } from "@spikard/js";
export type { Factory, Lifetime, ProvideOptions } from "@spikard/js";
export { RequestFailed } from "@spikard/js";
export type { Handler, HookOptions, RequestHook, RouteDefinition, RouteOptions } from "@spikard/js";
export type { HookRequest, HookResponse, ResponseHook } from "@spikard/js";
export { ConfigError, HttpError, RouteError, ServerError, SpikardError } from "@spikard/js";
export { Request } from "@spikard/js";
export { Response } from "@spikard/js";
export type { HeadersInit, ResponseOptions } from "@spikard/js";
export { EventSourceResponse, StreamingResponse } from "@spikard/js";
export type { EventStreamOptions, Items, SseEvent, StreamOptions } from "@spikard/js";
export { TestClient, TestResponse, TestStream, TestWebSocket } from "@spikard/js";
export type { RequestOptions, SseMessage, WsFrame } from "@spikard/js";
export { WebSocket } from "@spikard/js";
export type { WebSocketHandlers } from "@spikard/js";
