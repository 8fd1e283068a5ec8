// The worker served by Deno's or Bun's own server on PORT.
import worker from "./worker.mjs";

const port = Number(globalThis.process?.env?.PORT ?? globalThis.Deno?.env.get("PORT") ?? 8787);
if (globalThis.Deno !== undefined) {
  globalThis.Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, worker.fetch);
} else if (globalThis.Bun !== undefined) {
  globalThis.Bun.serve({ hostname: "127.0.0.1", port, fetch: worker.fetch });
} else {
  throw new Error("serve.mjs runs under Deno or Bun (workerd uses config.capnp)");
}
