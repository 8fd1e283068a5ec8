/**
 * Plays every fixture of `testing_data/` (or `SPIKARD_FIXTURES=DIR`) through
 * `@spikard/node` and ends with `N passed, M failed, K skipped` (as the Rust and Python
 * runners). Fixtures listed in `e2e/known_failures.json` that fail are counted as
 * skipped; a listed fixture that passes fails the run (stale list). Every other fixture
 * is played, including those using features the package lacks (they fail with the
 * reason). Exit status 1 when anything failed, 2 when the fixtures cannot be read.
 * `SPIKARD_FILTER=text` plays only the fixtures whose id contains the text.
 */
import { fixtureDir, loadDir, type Fixture } from "./fixture";
import { KnownFailures, Tally } from "./known";
import { outcome } from "./play";

async function main(): Promise<number> {
  const dir = fixtureDir();
  let fixtures: Fixture[];
  let known: KnownFailures;
  try {
    fixtures = loadDir(dir);
    known = KnownFailures.load();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const filter = process.env.SPIKARD_FILTER ?? "";
  if (filter) fixtures = fixtures.filter((f) => f.id.includes(filter));
  if (fixtures.length === 0) {
    console.error(`no fixtures found in ${dir}`);
    return 2;
  }
  console.log(`playing ${fixtures.length} fixtures from ${dir}`);
  const tally = new Tally();
  for (const f of fixtures) {
    if (f.data.get("skip") === true) {
      tally.skip(f);
      continue;
    }
    tally.add(f, await outcome(f), known);
  }
  console.log("by category:");
  for (const line of tally.categories()) console.log(line);
  console.log(tally.summary());
  return tally.failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
