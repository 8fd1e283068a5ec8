/**
 * Known failures (`e2e/known_failures.json`, shared with the Rust and Python runners,
 * `e2e/node/known_failures.json`, what only JavaScript cannot do, and the list of the
 * runtime the runner was built for, `e2e/wasm/known_failures.json`):
 * fixtures or whole categories that cannot pass yet, each with its reason. A listed
 * fixture that fails is counted as skipped; one that passes fails the run, so the list
 * never goes stale (mirrors `e2e/rust/src/known.rs`).
 *
 * Unlike the Python runner there is no `pending.json`: every fixture is played, and a
 * feature the package lacks fails its fixtures with that reason.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { Fixture, ROOT } from "./fixture";
import { obj, parseJson, str } from "./json";

export const KNOWN_FAILURES = path.join(ROOT, "e2e", "known_failures.json");
/** Fixtures only JavaScript cannot pass (its numbers have no integral floats: `42.0` is `42`):
 * every JavaScript runtime's runner reads it. */
export const NODE_KNOWN_FAILURES = path.join(ROOT, "e2e", "node", "known_failures.json");
/** What only the runtime this runner was built for cannot do: the list beside the runner's
 * build (`e2e/wasm/known_failures.json` for the WebAssembly build; Node's is the one above). */
export const RUNNER_KNOWN_FAILURES = path.join(__dirname, "..", "known_failures.json");

export class KnownFailures {
  /** Category name -> reason. */
  readonly categories = new Map<string, string>();
  /** `category/file.json` -> reason. */
  readonly fixtures = new Map<string, string>();

  /** The shared list and the Node runner's own. */
  static load(files: readonly string[] = [KNOWN_FAILURES, NODE_KNOWN_FAILURES, RUNNER_KNOWN_FAILURES]): KnownFailures {
    const known = new KnownFailures();
    for (const file of new Set(files.map((f) => path.resolve(f)))) known.read(file);
    return known;
  }

  private read(file: string): void {
    const known = this;
    if (!fs.existsSync(file)) return;
    const data = obj(parseJson(fs.readFileSync(file, "utf8")));
    for (const [key, target] of [["categories", known.categories], ["fixtures", known.fixtures]] as const) {
      for (const [name, reason] of obj(data?.get(key)) ?? []) {
        const text = str(reason);
        if (text === undefined) throw new Error(`${file}: ${key}.${name}: the reason must be a string`);
        target.set(name, text);
      }
    }
  }

  /** Why a fixture is expected to fail, if listed (a fixture entry wins over its category). */
  reason(id: string, category: string): string | undefined {
    return this.fixtures.get(id) ?? this.categories.get(category);
  }
}

export type Outcome = { passed: true } | { passed: false; problems: string[] };

/** A run's counts, overall and per category; [[Tally.add]] prints a line per failure. */
export class Tally {
  passed = 0;
  failed = 0;
  skipped = 0;
  readonly byCategory = new Map<string, { passed: number; failed: number; skipped: number }>();

  private count(category: string, what: "passed" | "failed" | "skipped"): void {
    this[what] += 1;
    const c = this.byCategory.get(category) ?? { passed: 0, failed: 0, skipped: 0 };
    c[what] += 1;
    this.byCategory.set(category, c);
  }

  skip(f: Fixture): void {
    this.count(f.category, "skipped");
  }

  /** Count one fixture's outcome by the known-failure rules: a listed fixture that fails is
   * skipped, one that passes fails the run (the list is stale); a fixture of a listed
   * category may pass. */
  add(f: Fixture, outcome: Outcome, known: KnownFailures): void {
    const reason = known.reason(f.id, f.category);
    if (outcome.passed) {
      if (reason === undefined || !known.fixtures.has(f.id)) {
        this.count(f.category, "passed");
      } else {
        this.count(f.category, "failed");
        console.log(`FAIL ${f.id}: listed as a known failure (${reason}) but passes; remove it from e2e/known_failures.json`);
      }
    } else if (reason !== undefined) {
      this.count(f.category, "skipped");
      console.log(`known ${f.id}: ${reason}`);
    } else {
      this.count(f.category, "failed");
      for (const p of outcome.problems) console.log(`FAIL ${f.id}: ${p}`);
    }
  }

  /** One line per category: `category: P passed, F failed, S skipped`. */
  categories(): string[] {
    return [...this.byCategory].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, n]) => `  ${c}: ${n.passed} passed, ${n.failed} failed, ${n.skipped} skipped`);
  }

  /** The summary line. */
  summary(): string {
    return `${this.passed} passed, ${this.failed} failed, ${this.skipped} skipped`;
  }
}
