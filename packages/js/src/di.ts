// Dependency injection: values and factories registered by name (`app.provide`), declared by
// routes and hooks (`dependencies`), resolved by the core per request and handed to the
// function as `req.deps`. A factory that is a generator function (sync or async) is cleaned
// up after the response: the code after its `yield` runs (the request's error is thrown at
// the `yield` when it failed).
import type { Request } from "./request";

export type Lifetime = "per_use" | "per_request" | "singleton";

export interface ProvideOptions {
  /** Dependencies the factory receives (in `deps`). */
  dependsOn?: string[];
  /** `per_request` (default: one value per request, shared), `per_use` or `singleton`. */
  lifetime?: Lifetime;
  /** Request parameters the factory reads (validated and documented with every route using it). */
  parameters?: Record<string, Record<string, unknown>>;
  /** The body schema the factory reads. */
  body_schema?: unknown;
}

export type Factory = (deps: Record<string, unknown>, req: Request) => unknown;

/** A dependency made by a factory (a plain value is provided as it is). */
export class Provide {
  constructor(
    readonly factory: Factory,
    readonly options: ProvideOptions = {},
  ) {}
}

/** Whether `f` is a generator function (its dependency is cleaned up after the response). */
export function isGeneratorFunction(f: unknown): boolean {
  const name = (f as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name === "GeneratorFunction" || name === "AsyncGeneratorFunction";
}

export function isAsyncFunction(f: unknown): boolean {
  const name = (f as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name === "AsyncFunction" || name === "AsyncGeneratorFunction";
}

/** The JSON type a value stands for (checked against a route's `expected_types`), if it is JSON-like. */
export function jsonType(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
    case "string":
      return typeof value;
    case "bigint":
      return "integer";
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "object": {
      if (Array.isArray(value)) return "array";
      const proto = Object.getPrototypeOf(value) as unknown;
      return proto === Object.prototype || proto === null ? "object" : undefined;
    }
    default:
      return undefined;
  }
}

/** The argument plan of a function taking the request and `deps`. */
export function argsFor(deps: readonly string[]): Record<string, unknown>[] {
  return [
    { name: "request", source: "request", positional: true },
    ...deps.map((d) => ({ name: `dep:${d}`, key: d, source: "dependency", positional: true })),
  ];
}

/** A generator object (what a generator function returned). */
export type AnyGenerator = Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown>;
