/**
 * JSON as the other runners see it (serde_json with `preserve_order`, Python's `json`):
 * `1` and `1.0` are different values, integers beyond 2^53 stay exact, object members
 * keep their order. `JSON.parse` loses all three, so fixtures and response bodies are
 * read with this parser, and [[jsonEqual]] compares as serde_json does. Nothing is loosened.
 *
 * Representation: `null`, booleans, strings; an integer is a `number` (a `bigint` beyond
 * the safe range); a float is a `number` when it has a fraction, a [[Float]] when it is
 * integral (`1.0`, `1e2`); arrays; objects are `Map`s ([[JsonObject]]).
 */

/** A float whose value is integral (`1.0`), kept apart from the integer `1`. */
export class Float {
  constructor(readonly value: number) {}
}

export type JsonObject = Map<string, Json>;
export type Json = null | boolean | string | number | bigint | Float | Json[] | JsonObject;

export class JsonSyntaxError extends Error {}

const U64_MAX = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;

/** Parse JSON text strictly (serde_json's grammar: no NaN, no trailing data, no lone surrogates). */
export function parseJson(text: string): Json {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i !== text.length) p.fail("trailing characters");
  return v;
}

/** The body as JSON, or `null` when it is empty or not JSON (as the Rust `TestResponse::json`). */
export function tryParseJson(text: string): Json {
  try {
    return parseJson(text);
  } catch {
    return null;
  }
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.i}`);
  }

  ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i] as string)) this.i++;
  }

  value(depth: number): Json {
    if (depth > 512) this.fail("nesting too deep");
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail("expected a value");
  }

  object(depth: number): JsonObject {
    const out: JsonObject = new Map();
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a key");
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      this.ws();
      out.set(key, this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): Json[] {
    const out: Json[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    this.i++;
    let out = "";
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail("unterminated string");
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c < " ") this.fail("control character in string");
      if (c !== "\\") {
        // Lone surrogates only come from a bad decode of the bytes: refuse them like serde.
        const code = c.charCodeAt(0);
        if (code >= 0xd800 && code <= 0xdfff) {
          const next = this.s.charCodeAt(this.i + 1);
          if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) this.fail("lone surrogate");
          out += c + this.s[this.i + 1];
          this.i += 2;
          continue;
        }
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1];
      this.i += 2;
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e !== undefined && e in simple) {
        out += simple[e];
        continue;
      }
      if (e !== "u") this.fail("invalid escape");
      const hi = this.hex4();
      if (hi >= 0xdc00 && hi <= 0xdfff) this.fail("lone trailing surrogate");
      if (hi >= 0xd800 && hi <= 0xdbff) {
        if (this.s[this.i] !== "\\" || this.s[this.i + 1] !== "u") this.fail("lone leading surrogate");
        this.i += 2;
        const lo = this.hex4();
        if (lo < 0xdc00 || lo > 0xdfff) this.fail("invalid surrogate pair");
        out += String.fromCharCode(hi, lo);
      } else {
        out += String.fromCharCode(hi);
      }
    }
  }

  hex4(): number {
    const h = this.s.slice(this.i, this.i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail("invalid \\u escape");
    this.i += 4;
    return parseInt(h, 16);
  }

  number(): number | bigint | Float {
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (m === null) return this.fail("invalid number");
    const text = m[0];
    this.i += text.length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(text);
      if (Number.isSafeInteger(n)) return n;
      const big = BigInt(text);
      if (big <= U64_MAX && big >= I64_MIN) return big;
      // Beyond u64/i64, serde_json reads the integer as a float.
    }
    const f = Number(text);
    if (!Number.isFinite(f)) this.fail("number out of range");
    return Number.isInteger(f) ? new Float(f) : f;
  }
}

export function isObject(v: unknown): v is JsonObject {
  return v instanceof Map;
}

/** Strict JSON equality: scalar kinds must match (serde_json's `PartialEq`), member order does not matter. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k) || !jsonEqual(v, b.get(k))) return false;
    }
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (a instanceof Float || b instanceof Float) return a instanceof Float && b instanceof Float && a.value === b.value;
  return typeof a === typeof b && a === b;
}

/** Compact JSON text in member order (serde_json's `to_string`, Python's `dumps` with compact separators). */
export function dump(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return JSON.stringify(v);
  if (v instanceof Float) return floatText(v.value);
  if (Array.isArray(v)) return `[${v.map(dump).join(",")}]`;
  return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}:${dump(x)}`).join(",")}}`;
}

/** An integral float as serde_json writes it (ryu: `1.0`, `1e20`). */
function floatText(x: number): string {
  if (Math.abs(x) < 1e16) return `${x.toFixed(0) === "-0" ? "-0" : x.toFixed(0)}.0`;
  const [mant, exp] = x.toExponential().split("e") as [string, string];
  return `${mant}e${exp.replace("+", "")}`;
}

/**
 * A JSON value as a plain JavaScript value for the package (what a user's handler or
 * schema would be): objects become plain objects, integral floats numbers (JavaScript has
 * no `1.0`), integers beyond 2^53 stay `bigint`.
 */
export function toPlain(v: Json): unknown {
  if (v instanceof Float) return v.value;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) Object.defineProperty(out, k, { value: toPlain(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** A plain JavaScript value (the package's parsed values) as [[Json]]. */
export function fromPlain(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean" || typeof v === "string" || typeof v === "number" || typeof v === "bigint") return v;
  if (Array.isArray(v)) return v.map(fromPlain);
  if (typeof v === "object") return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromPlain(x)]));
  return null;
}

// Accessors over fixture objects (Python's `dict.get` with an `isinstance` check).

export function get(v: Json | undefined, key: string): Json | undefined {
  return v instanceof Map ? v.get(key) : undefined;
}

export function obj(v: Json | undefined): JsonObject | undefined {
  return v instanceof Map ? v : undefined;
}

export function str(v: Json | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A non-negative integer (Python's `isinstance(v, int) and not isinstance(v, bool) and v >= 0`). */
export function uint(v: Json | undefined): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;
}

export function arr(v: Json | undefined): Json[] | undefined {
  return Array.isArray(v) ? v : undefined;
}
