// Results to JSON text in one pass (V8's JSON.stringify), BigInts as exact integers.

const MARK = "\u0000bigint:";

/** `value` as JSON text; a `BigInt` is written as the integer it is (JSON has no limit). */
export function stringify(value: unknown): string {
  try {
    return JSON.stringify(value === undefined ? null : value);
  } catch (err) {
    if (!(err instanceof TypeError) || !err.message.includes("BigInt")) throw err;
  }
  // Rare: a BigInt somewhere. Mark each one as a string, then unquote the marks.
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${MARK}${v}\u0000` : v));
  return text.replace(/"\\u0000bigint:(-?\d+)\\u0000"/g, "$1");
}
