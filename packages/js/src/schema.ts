// Schemas given as JSON Schema objects or Zod schemas (converted once, at registration, with
// Zod's own `toJSONSchema`), and the TypeScript types a handler's request gets from them.

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

/** A Zod (4) schema, seen structurally (the package does not depend on Zod). */
export interface ZodLike<T = unknown> {
  readonly _zod: { readonly output: T };
  safeParse(value: unknown): unknown;
}

export type Schema = JsonSchema | ZodLike;

/** The type a schema describes: a Zod schema's output; `Fallback` for a JSON Schema. */
export type Infer<S, Fallback = unknown> = S extends ZodLike<infer T> ? T : Fallback;

function isZod(schema: unknown): schema is ZodLike {
  return typeof schema === "object" && schema !== null && "_zod" in schema && typeof (schema as ZodLike).safeParse === "function";
}

/** CommonJS's `require`, where the package runs as CommonJS (Node, Bun); an ES module bundle
 * (a worker) has none. */
declare const require: ((id: string) => unknown) | undefined;

/** `schema` as JSON Schema (a Zod schema converted by Zod, which must be installed and
 * loadable with `require`; elsewhere convert it first with `z.toJSONSchema`). */
export function toJsonSchema(schema: Schema): JsonSchema {
  if (!isZod(schema)) return schema;
  if (typeof require !== "function") {
    throw new TypeError("a Zod schema cannot be converted here (no require): pass z.toJSONSchema(schema) instead");
  }
  const zod = require("zod") as { toJSONSchema?: (s: unknown) => JsonSchema };
  if (typeof zod.toJSONSchema !== "function") {
    throw new TypeError("Zod schemas need zod 4 (its toJSONSchema)");
  }
  const { $schema: _dialect, ...json } = zod.toJSONSchema(schema);
  return json;
}

/**
 * An object schema of parameters (`params`, `query`, `headers`, `cookies`) as the core's
 * per-parameter map: a property not listed in `required` and without a default is optional.
 */
export function parametersOf(schema: Schema): Record<string, unknown> {
  const json = toJsonSchema(schema);
  const properties = json.properties;
  if (json.type !== "object" || typeof properties !== "object" || properties === null) {
    throw new TypeError("parameters are described by an object schema with properties");
  }
  const required = new Set(Array.isArray(json.required) ? (json.required as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties as Record<string, JsonSchema>)) {
    out[name] = required.has(name) || "default" in property ? property : { ...property, required: false };
  }
  return out;
}
