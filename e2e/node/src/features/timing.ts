/**
 * Runner hints about time (mirrors `e2e/rust/src/features/timing.rs`):
 * `handler.middleware.request_timeout.sleep_ms` makes the handler sleep that long before
 * answering, so the request deadline is exercised for real;
 * `handler.middleware.rate_limit.warmup_requests` sends the fixture's request that many
 * times before the compared one (`warmup_expect_status`, `sleep_ms_between`).
 */
import { Fixture, send } from "../fixture";
import { get, uint } from "../json";
import type { TestClient } from "../spikard";

export function hint(f: Fixture, middleware: string, key: string): number | undefined {
  return uint(get(get(f.handler.get("middleware"), middleware), key));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function warmup(f: Fixture, client: TestClient): Promise<string[]> {
  const count = Math.min(hint(f, "rate_limit", "warmup_requests") ?? 0, 1000);
  const expect = hint(f, "rate_limit", "warmup_expect_status");
  const pause = hint(f, "rate_limit", "sleep_ms_between") ?? 0;
  const problems: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await send(client, f.request);
    if (expect !== undefined && res.status !== expect) problems.push(`warmup request ${i + 1}: status ${res.status} != expected ${expect}`);
    if (pause) await sleep(pause);
  }
  return problems;
}
