// The core's config structs (spikard_core::config) in camelCase, field for field; a drift
// test compares them with the core's defaults. Keys may also be given in snake_case.

export interface CompressionConfig {
  gzip?: boolean;
  brotli?: boolean;
  /** Bodies smaller than this many bytes are sent as they are. */
  minSize?: number;
  quality?: number;
}

export interface CorsConfig {
  allowedOrigins?: string[];
  allowedMethods?: string[];
  allowedHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAge?: number | null;
  allowPrivateNetwork?: boolean;
}

export interface RequestIdConfig {
  enabled?: boolean;
  headerName?: string;
  propagate?: boolean;
}

export interface RequestTimeoutConfig {
  seconds?: number;
}

export interface RateLimitConfig {
  perSecond?: number;
  burst?: number;
  perIp?: boolean;
  global?: boolean;
}

export interface BodyLimitConfig {
  maxBytes?: number;
}

export interface StaticFile {
  path?: string;
  content?: string;
}

export interface StaticFilesConfig {
  routePrefix?: string;
  directory?: string | null;
  files?: StaticFile[];
  indexFile?: string | null;
  cacheControl?: string | null;
  followSymlinks?: boolean;
}

export interface JwtConfig {
  enabled?: boolean;
  algorithm?: string;
  secret?: string | null;
  publicKey?: string | null;
  audience?: string[];
  issuer?: string | null;
  leeway?: number;
  headerName?: string;
  requireExp?: boolean;
  requiredClaims?: string[];
  realm?: string;
}

export interface ApiKeyConfig {
  enabled?: boolean;
  keys?: string[];
  deprecatedKeys?: string[];
  headerName?: string;
  queryParam?: string | null;
  realm?: string;
}

export interface OpenApiConfig {
  enabled?: boolean;
  title?: string;
  version?: string;
  description?: string | null;
  openapiJsonPath?: string;
  swaggerUiPath?: string | null;
  redocPath?: string | null;
  asyncapiJsonPath?: string | null;
  offlineAssets?: boolean;
}

export interface BackgroundConfig {
  maxConcurrent?: number;
  drainTimeoutSecs?: number;
}

export interface ServerConfig {
  host?: string;
  port?: number;
  workers?: number;
  maxBodySize?: number;
  maxHeaderSize?: number;
  maxUriLength?: number;
  maxNestingDepth?: number;
  shutdownTimeoutSecs?: number;
  headerReadTimeoutSecs?: number;
  firstByteTimeoutSecs?: number;
  keepAliveTimeoutSecs?: number;
  bodyReadTimeoutSecs?: number;
  maxConnections?: number | null;
  maxConnectionsPerIp?: number | null;
  /** Threads the Python binding runs sync functions on; JavaScript runs on its one thread, so Node ignores it. */
  blockingThreads?: number;
  requestLogging?: boolean;
  trustedProxies?: string[];
  compression?: CompressionConfig | null;
  cors?: CorsConfig | null;
  requestId?: RequestIdConfig | null;
  requestTimeout?: RequestTimeoutConfig | null;
  rateLimit?: RateLimitConfig | null;
  jwtAuth?: JwtConfig | null;
  apiKeyAuth?: ApiKeyConfig | null;
  staticFiles?: StaticFilesConfig[];
  openapi?: OpenApiConfig | null;
  background?: BackgroundConfig;
  /** Serve HTTP/2 (h2c) beside HTTP/1.1. */
  http2?: boolean;
}

/** Every field of every struct, by the core's struct name (the drift test's side). */
export const CONFIG_FIELDS = {
  ServerConfig: fields<ServerConfig>()([
    "host", "port", "workers", "maxBodySize", "maxHeaderSize", "maxUriLength", "maxNestingDepth",
    "shutdownTimeoutSecs", "headerReadTimeoutSecs", "firstByteTimeoutSecs", "keepAliveTimeoutSecs",
    "bodyReadTimeoutSecs", "maxConnections", "maxConnectionsPerIp", "blockingThreads", "requestLogging",
    "trustedProxies",
    "compression", "cors", "requestId", "requestTimeout", "rateLimit", "jwtAuth", "apiKeyAuth", "staticFiles",
    "openapi", "background", "http2",
  ]),
  CompressionConfig: fields<CompressionConfig>()(["gzip", "brotli", "minSize", "quality"]),
  CorsConfig: fields<CorsConfig>()([
    "allowedOrigins", "allowedMethods", "allowedHeaders", "exposeHeaders", "allowCredentials", "maxAge",
    "allowPrivateNetwork",
  ]),
  RequestIdConfig: fields<RequestIdConfig>()(["enabled", "headerName", "propagate"]),
  RequestTimeoutConfig: fields<RequestTimeoutConfig>()(["seconds"]),
  RateLimitConfig: fields<RateLimitConfig>()(["perSecond", "burst", "perIp", "global"]),
  BodyLimitConfig: fields<BodyLimitConfig>()(["maxBytes"]),
  StaticFile: fields<StaticFile>()(["path", "content"]),
  StaticFilesConfig: fields<StaticFilesConfig>()([
    "routePrefix", "directory", "files", "indexFile", "cacheControl", "followSymlinks",
  ]),
  JwtConfig: fields<JwtConfig>()([
    "enabled", "algorithm", "secret", "publicKey", "audience", "issuer", "leeway", "headerName", "requireExp",
    "requiredClaims", "realm",
  ]),
  ApiKeyConfig: fields<ApiKeyConfig>()(["enabled", "keys", "deprecatedKeys", "headerName", "queryParam", "realm"]),
  OpenApiConfig: fields<OpenApiConfig>()([
    "enabled", "title", "version", "description", "openapiJsonPath", "swaggerUiPath", "redocPath",
    "asyncapiJsonPath", "offlineAssets",
  ]),
  BackgroundConfig: fields<BackgroundConfig>()(["maxConcurrent", "drainTimeoutSecs"]),
};

/** A list of every key of `T`, checked at compile time (a missing or unknown key does not compile). */
function fields<T>() {
  return <const K extends readonly (keyof T)[]>(keys: K & (Exclude<keyof T, K[number]> extends never ? unknown : never)): K =>
    keys;
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function camelCase(key: string): string {
  return key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Config keys renamed throughout (the config has no maps of user keys, only structs and lists). */
export function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[rename(k)] = renameKeys(v, rename);
  return out;
}
