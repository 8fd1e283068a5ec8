# workerd's configuration for the example (build/ is made by `node smoke.mjs`, or by
# bundling worker.mjs with esbuild's `workerd` condition and copying the module beside it).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "build/worker.js"),
    (name = "spikard_wasm_bg.wasm", wasm = embed "build/spikard_wasm_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
