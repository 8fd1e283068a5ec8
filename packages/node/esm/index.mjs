// The ESM entry point: the same classes as the CommonJS build (one native module per process).
import cjs from "../dist/index.js";

export const { Spikard, Provide, RequestFailed, Request, Response, HttpError, SpikardError, ConfigError, RouteError, ServerError, TestClient, TestResponse, StreamingResponse, EventSourceResponse, TestWebSocket, TestStream, WebSocket } = cjs;
export default cjs;
