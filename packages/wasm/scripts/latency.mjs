// How long `app.fetch` takes inside a bare node:http server, for profiling the fetch path
// under a load generator (not a benchmark: tools/benchmark-harness is). Start it, load it,
// stop it with Ctrl-C; it prints the p50/p90/p99 of the time spent awaiting `app.fetch` and
// reading the body:
//   node packages/wasm/scripts/latency.mjs [port]   # then: wrk -t1 -c16 -d3s http://127.0.0.1:18101/json
// `static` as the second argument answers without the app (Node's own cost per request).
import http from "node:http";

const { Spikard } = await import("../dist/index.js");
const port = Number(process.argv[2] ?? 18101);
const bare = process.argv[3] === "static";
const app = new Spikard();
app.get("/json", () => ({ message: "hello", id: 1, ok: true }));

const timings = [];
http
  .createServer(async (req, res) => {
    if (bare) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"message":"hello","id":1,"ok":true}');
      return;
    }
    const t0 = performance.now();
    const answer = await app.fetch(new Request(`http://127.0.0.1${req.url}`, { method: req.method }));
    const t1 = performance.now();
    const body = new Uint8Array(await answer.arrayBuffer());
    timings.push([t1 - t0, performance.now() - t1]);
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(body);
  })
  .listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}/json`));

process.on("SIGINT", () => {
  if (timings.length > 0) {
    const at = (values, p) => values[Math.min(values.length - 1, Math.floor(values.length * p))].toFixed(3);
    const fetchMs = timings.map((t) => t[0]).sort((a, b) => a - b);
    const bodyMs = timings.map((t) => t[1]).sort((a, b) => a - b);
    console.log(`${timings.length} requests; fetch ms p50 ${at(fetchMs, 0.5)} p90 ${at(fetchMs, 0.9)} p99 ${at(fetchMs, 0.99)}; body ms p50 ${at(bodyMs, 0.5)} p99 ${at(bodyMs, 0.99)}`);
  }
  process.exit(0);
});
