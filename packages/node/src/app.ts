// The app on Node and Bun: everything of @spikard/js's SpikardCore, served by the Rust
// server on a thread of its own (or by worker processes).
import { type ServerConfig, SpikardCore } from "@spikard/js";
import { fromNative } from "@spikard/js/runtime";
import { native, type NodeNativeApp } from "./native";

export interface ListenOptions {
  host?: string;
  port?: number;
  /** Processes sharing the port (SO_REUSEPORT): this script runs again in each, supervised
   * by this process, which forwards SIGINT/SIGTERM and `close()` to them. */
  workers?: number;
}

export class Spikard extends SpikardCore<NodeNativeApp> {
  private keepAlive: NodeJS.Timeout | undefined;
  private signals: (() => void) | undefined;

  /** An app with the core's server settings (camelCase, or snake_case as in the core). */
  constructor(config: ServerConfig = {}) {
    super(config, native);
  }

  /** Serve until `close()`; resolves with the port bound. SIGINT and SIGTERM close it gracefully. */
  async listen(options: ListenOptions = {}): Promise<number> {
    const config = this.config;
    const host = options.host ?? String(config.host ?? "127.0.0.1");
    const port = options.port ?? Number(config.port ?? 8000);
    let bound: number;
    try {
      bound = await this.native.listen(host, port, options.workers ?? Number(config.workers ?? 1));
    } catch (err) {
      throw fromNative(err);
    }
    // The server runs on its own thread: this handle keeps the process alive meanwhile.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (): void => void this.close();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    this.signals = () => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
    };
    return bound;
  }

  /** Stop accepting, finish the requests in flight, and let the process exit. */
  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    this.signals?.();
    this.signals = undefined;
    try {
      await this.native.close();
    } catch (err) {
      throw fromNative(err);
    }
  }
}
