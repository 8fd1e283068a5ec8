/**
 * Fixture features that need more than the default "answer as the fixture expects"
 * handler (mirrors `e2e/python/features/__init__.py` and `e2e/rust/src/features`):
 * lifecycle hooks and dependency injection named by the fixture, file responses, streamed bodies,
 * background work, SSE and WebSocket message fixtures, OpenAPI apps. Each module
 * recognises its fixtures and builds their handlers; the default handler plays the rest.
 */
import { Fixture, type Answer } from "../fixture";
import type { Request, RouteOptions, Spikard, TestClient } from "../spikard";
import * as background from "./background";
import * as di from "./di";
import * as files from "./files";
import * as hooks from "./hooks";
import * as openapi from "./openapi";
import * as realtime from "./realtime";
import * as streaming from "./streaming";

/** A handler a feature module builds for the fixture's route. */
export type Handler = (req: Request) => unknown;
/** A check run with the client after the fixture's request. */
export type Check = (client: TestClient) => Promise<string[]>;

export interface Built {
  handler: Handler;
  /** Route options the module needs besides the fixture's own. */
  options: RouteOptions;
}

/**
 * The first module's handler for the fixture's route (hooks are registered on `app`),
 * `undefined` for the default handler, or the reason the fixture cannot be played
 * through the package (a feature it lacks): that fixture fails with it. `notes` collects
 * what the package lacked while the request was played. `fallback` is the handler
 * answering as the fixture expects (a module may wrap it).
 */
export function buildRoute(f: Fixture, app: Spikard, notes: string[], fallback: Handler): Built | string | undefined {
  const built = hooks.build(f, app, notes) ?? di.build(f, app);
  if (built !== undefined) return built;
  const handler = files.build(f) ?? streaming.build(f) ?? background.build(f, app, fallback);
  return handler === undefined ? undefined : { handler, options: {} };
}

/** Checks to run with the client after the fixture's request. */
export function afterChecks(f: Fixture): Check[] {
  return [background.afterCheck(f), di.afterCheck(f)].filter((c): c is Check => c !== undefined);
}

/** Fixtures played whole by their module (SSE/WebSocket channels, OpenAPI apps): their
 * problems, or `undefined` when no module plays the fixture whole. */
export async function playWithoutRequest(
  f: Fixture,
  compare: (f: Fixture, res: Answer, appAnswers: boolean) => string[],
  appAnswers: boolean,
): Promise<string[] | undefined> {
  return (await realtime.play(f)) ?? (await openapi.play(f, compare, appAnswers));
}
