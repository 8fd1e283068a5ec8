/**
 * Fixtures with a `background` section (mirrors `e2e/python/features/background.py`):
 * the handler answers as the fixture expects and schedules a background task appending
 * the request body's `value_field` to a shared list; `GET state_path` returns
 * `{state_key: [...]}`, polled after the request until it shows `expected_state`.
 *
 * The package's first slice has no background-task API, and work the handler merely
 * starts itself (a timer) is not the framework's background work: until the package
 * has one, the route is played with the default handler and the fixture fails with that
 * reason (a refused request, which schedules nothing, still has its response compared).
 */
import { Fixture } from "../fixture";
import { str } from "../json";
import type { Check } from "./index";
import { hasDependencies } from "./di";

export interface Section {
  statePath: string;
  stateKey: string;
  valueField: string;
}

export function section(f: Fixture): Section | undefined {
  const s = f.data.get("background");
  if (!(s instanceof Map) || hasDependencies(f)) return undefined;
  for (const k of ["state_path", "state_key", "value_field"]) {
    if (str(s.get(k)) === undefined) throw new Error(`background.${k} is missing`);
  }
  return { statePath: str(s.get("state_path")) as string, stateKey: str(s.get("state_key")) as string, valueField: str(s.get("value_field")) as string };
}

/** After the request: the background work must have run (the package cannot schedule it yet). */
export function afterCheck(f: Fixture): Check | undefined {
  let sec: Section | undefined;
  try {
    sec = section(f);
  } catch (e) {
    const message = (e as Error).message;
    return async () => [message];
  }
  if (sec === undefined) return undefined;
  const path = sec.statePath;
  return async () => [`background work: the package has no background-task API, so nothing appends to ${path} (not in its first slice)`];
}
