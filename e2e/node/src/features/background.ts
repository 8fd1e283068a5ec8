/**
 * Fixtures with a `background` section (mirrors `e2e/python/features/background.py` and
 * `e2e/rust/src/features/background.rs`): the handler answers as the fixture expects and
 * schedules, with `req.addTask`, a task appending the request body's `value_field` to a
 * shared list; `GET state_path` returns `{state_key: [...]}`. The after-check polls that
 * route until it shows `expected_state` (bounded).
 */
import { Fixture } from "../fixture";
import { dump, jsonEqual, str, tryParseJson, type Json } from "../json";
import type { Request, Spikard } from "../spikard";
import type { Check, Handler } from "./index";
import { hasDependencies } from "./di";

/** How long the after-check waits for the background work to show, in milliseconds. */
export const STATE_WAIT_MS = 5000;

export interface Section {
  statePath: string;
  stateKey: string;
  valueField: string;
  expectedState: Json;
}

export function section(f: Fixture): Section | undefined {
  const s = f.data.get("background");
  if (!(s instanceof Map) || hasDependencies(f)) return undefined;
  for (const k of ["state_path", "state_key", "value_field"]) {
    if (str(s.get(k)) === undefined) throw new Error(`background.${k} is missing`);
  }
  return {
    statePath: str(s.get("state_path")) as string,
    stateKey: str(s.get("state_key")) as string,
    valueField: str(s.get("value_field")) as string,
    expectedState: s.has("expected_state") ? (s.get("expected_state") as Json) : [],
  };
}

/** The handler of a `background` fixture (it wraps `fallback`, the handler answering as the
 * fixture expects, and registers the state route on `app`); `undefined` otherwise. */
export function build(f: Fixture, app: Spikard, fallback: Handler): Handler | undefined {
  const sec = section(f);
  if (sec === undefined) return undefined;
  const state: unknown[] = [];
  app.route({ method: "GET", path: sec.statePath }, () => ({ [sec.stateKey]: [...state] }));
  const append = async (value: unknown): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    state.push(value);
  };
  return (req: Request) => {
    const body = req.body;
    if (typeof body === "object" && body !== null && !Array.isArray(body) && Object.prototype.hasOwnProperty.call(body, sec.valueField)) {
      const value = (body as Record<string, unknown>)[sec.valueField];
      req.addTask(() => append(value));
    }
    return fallback(req);
  };
}

/** Poll the state route until it shows the expected state, or report what it showed. */
export function afterCheck(f: Fixture): Check | undefined {
  let sec: Section | undefined;
  try {
    sec = section(f);
  } catch (e) {
    const message = (e as Error).message;
    return async () => [message];
  }
  if (sec === undefined) return undefined;
  const { statePath, stateKey, expectedState } = sec;
  const want: Json = new Map([[stateKey, expectedState]]);
  return async (client) => {
    const deadline = Date.now() + STATE_WAIT_MS;
    for (;;) {
      const res = await client.get(statePath);
      const text = res.text();
      if (res.status === 200 && jsonEqual(tryParseJson(text), want)) return [];
      if (Date.now() >= deadline) return [`background state at ${statePath}: ${text} (status ${res.status}), expected ${dump(want)}`];
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
}
