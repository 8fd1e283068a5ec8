// The package's own Node exposure serving the same demo registry as the Rust server
// (examples/runner-tunnel/src/demo.rs), for the e2e test and the benchmark.
//
//   node reference-server.cjs --port P --token T [--json-limit BYTES]
//
// Prints "listening" once it answers. Loaded with require: on Node 20 the package's ESM
// build does not load.
"use strict";

const crypto = require("node:crypto");
const { Transform } = require("node:stream");
const {
  r,
  run,
  globals,
  nodeExposure,
  useExposureContext,
  cancellationError,
} = require("@bluelibs/runner/node");

function args(argv) {
  const out = { port: 0, token: "", jsonLimit: 2 * 1024 * 1024 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--port") out.port = Number(value);
    else if (flag === "--token") out.token = value;
    else if (flag === "--json-limit") out.jsonLimit = Number(value);
    else throw new Error(`unknown argument ${flag}`);
  }
  return out;
}

const TASKS = [
  "app.tasks.add", "app.tasks.echo", "app.tasks.fail", "app.tasks.crash", "app.tasks.slow",
  "app.tasks.stats", "app.tasks.upload", "app.tasks.upper", "app.tasks.count",
  "app.tasks.whoami",
];
const EVENTS = ["app.events.log", "app.events.parallel"];

const InvalidInput = r
  .error("app.errors.InvalidInput")
  .httpCode(400)
  .format((d) => `Invalid input: ${d.field} must be a number`)
  .build();
const Tenant = r.asyncContext("app.ctx.tenant").build();
const Overdraft = r
  .error("app.errors.Overdraft")
  .httpCode(409)
  .format((d) => `Cannot withdraw ${d.amount}: balance is ${d.balance}`)
  .build();

function number(input, field) {
  const value = input?.[field];
  if (typeof value !== "number") InvalidInput.throw({ field, reason: "expected a number" });
  return value;
}

async function readAll(stream, onChunk) {
  for await (const chunk of stream) onChunk(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
}

function build(options) {
  const stats = { completed: 0, cancelled: 0, logged: [] };
  const tasks = [
    r.task("app.tasks.add").run(async (input) => number(input, "a") + number(input, "b")).build(),
    r.task("app.tasks.echo").run(async (input) => input).build(),
    r.task("app.tasks.secret").run(async () => "classified").build(),
    r.task("app.tasks.fail").run(async (input) => {
      Overdraft.throw({ balance: number(input, "balance"), amount: number(input, "amount") });
    }).build(),
    r.task("app.tasks.crash").run(async () => {
      throw new Error("the demo crashes on purpose");
    }).build(),
    r.task("app.tasks.whoami").run(async () => {
      try {
        return Tenant.use();
      } catch {
        return undefined;
      }
    }).build(),
    r.task("app.tasks.slow").run(async (input) => {
      const { signal } = useExposureContext();
      const ms = typeof input?.ms === "number" ? input.ms : 1000;
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          stats.completed += 1;
          resolve("done");
        }, ms);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          stats.cancelled += 1;
          try {
            cancellationError.throw({ reason: "Client Closed Request" });
          } catch (e) {
            reject(e);
          }
        }, { once: true });
      });
    }).build(),
    r.task("app.tasks.stats").run(async () => ({ ...stats, logged: [...stats.logged] })).build(),
    r.task("app.tasks.upload").run(async (input) => {
      const files = [];
      for (const file of input.files ?? []) {
        const { stream } = await file.resolve();
        const hash = crypto.createHash("sha256");
        let size = 0;
        await readAll(stream, (chunk) => {
          size += chunk.length;
          hash.update(chunk);
        });
        files.push({ name: file.name, type: file.type, size, sha256: hash.digest("hex") });
      }
      return { note: input.note, files };
    }).build(),
    r.task("app.tasks.upper").run(async () => {
      const { req } = useExposureContext();
      const upper = new Transform({
        transform(chunk, _encoding, done) {
          const out = Buffer.from(chunk);
          for (let i = 0; i < out.length; i += 1) if (out[i] >= 97 && out[i] <= 122) out[i] -= 32;
          done(null, out);
        },
      });
      return req.pipe(upper);
    }).build(),
    r.task("app.tasks.count").run(async () => {
      const { req } = useExposureContext();
      const hash = crypto.createHash("sha256");
      let bytes = 0;
      await readAll(req, (chunk) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      return { bytes, sha256: hash.digest("hex") };
    }).build(),
  ];
  const log = r.event("app.events.log").build();
  const parallel = r.event("app.events.parallel").parallel(true).build();
  const onLog = r.hook("app.hooks.log").on(log).run(async (event) => {
    stats.logged.push(event.data);
    if (event.data && typeof event.data === "object") event.data = { ...event.data, logged: true };
  }).build();
  const onParallel = r.hook("app.hooks.parallel").on(parallel).run(async () => {}).build();
  const tunnel = r
    .resource("app.tunnel")
    .tags([globals.tags.tunnel])
    .init(async () => ({ mode: "server", transport: "http", tasks: TASKS, events: EVENTS }))
    .build();
  return r
    .resource("app")
    .register([
      ...tasks, log, parallel, onLog, onParallel, InvalidInput, Overdraft, Tenant, tunnel,
      nodeExposure.with({
        http: {
          basePath: "/__runner",
          listen: { port: options.port, host: "127.0.0.1" },
          auth: { token: options.token },
          limits: { json: { maxSize: options.jsonLimit } },
        },
      }),
    ])
    .build();
}

async function main() {
  const options = args(process.argv.slice(2));
  const runtime = await run(build(options), { shutdownHooks: false, logs: { printThreshold: null } });
  const stop = async () => {
    await runtime.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`listening on http://127.0.0.1:${options.port}/__runner`);
}

module.exports = { InvalidInput, Overdraft, Tenant, TASKS, EVENTS };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
