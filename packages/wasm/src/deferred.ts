// Registrations kept until the first request, for hosts that forbid generating random values
// at global scope (workerd: `crypto.getRandomValues` throws there, and compiling a route's
// schemas seeds hash tables from it). The app's module is created at once; its routes,
// hooks and dependencies are handed over, in order, when the first request arrives (inside
// the request's context). A registration the core refuses then fails that request and
// every later one with the same error, which is logged.
import type { NativeCall, ObjectRefLike } from "./native";
import type { NativeResponse, WasmModule, WasmNativeApp } from "./native";

type Registration = (app: WasmNativeApp) => void;

/** `module` with an app class whose registrations wait for the first request. */
export function deferRegistrations(module: WasmModule): WasmModule {
  const Native = module.NativeApp;
  class DeferredApp implements WasmNativeApp {
    private readonly app: WasmNativeApp;
    private pending: Registration[] | undefined = [];
    private failure: unknown;

    constructor(config: unknown, dispatch: (calls: NativeCall[]) => void) {
      this.app = new Native(config, dispatch);
    }

    /** Hand the registrations over (once); rethrows what the core refused. */
    private ready(): WasmNativeApp {
      const pending = this.pending;
      if (pending !== undefined) {
        this.pending = undefined;
        try {
          for (const register of pending) register(this.app);
        } catch (err) {
          this.failure = err;
          console.error("spikard: the app's registrations were refused:", err);
        }
      }
      if (this.failure !== undefined) throw this.failure;
      return this.app;
    }

    private register(registration: Registration): void {
      if (this.pending === undefined) registration(this.app);
      else this.pending.push(registration);
    }

    configure(config: unknown): void {
      this.app.configure(config);
    }
    config(): Record<string, unknown> {
      return this.app.config();
    }
    addRoute(decl: unknown, objects: ObjectRefLike[]): void {
      this.register((app) => app.addRoute(decl, objects));
    }
    addHook(decl: unknown, objects: ObjectRefLike[]): void {
      this.register((app) => app.addHook(decl, objects));
    }
    provide(name: string, decl: unknown, objects: ObjectRefLike[]): void {
      this.register((app) => app.provide(name, decl, objects));
    }
    addWebsocket(spec: unknown, handlers: number[]): void {
      this.app.addWebsocket(spec, handlers);
    }
    settleDependency(...args: Parameters<WasmNativeApp["settleDependency"]>): void {
      this.app.settleDependency(...args);
    }
    flush(): void {
      this.app.flush();
    }
    settleJson(...args: Parameters<WasmNativeApp["settleJson"]>): void {
      this.app.settleJson(...args);
    }
    settleChunk(...args: Parameters<WasmNativeApp["settleChunk"]>): void {
      this.app.settleChunk(...args);
    }
    settleEvent(...args: Parameters<WasmNativeApp["settleEvent"]>): void {
      this.app.settleEvent(...args);
    }
    settleResponse(...args: Parameters<WasmNativeApp["settleResponse"]>): void {
      this.app.settleResponse(...args);
    }
    settleError(...args: Parameters<WasmNativeApp["settleError"]>): void {
      this.app.settleError(...args);
    }
    backgroundPending(): number {
      return this.pending === undefined ? this.app.backgroundPending() : 0;
    }
    idle(): Promise<void> {
      return this.ready().idle();
    }
    handle(...args: Parameters<WasmNativeApp["handle"]>): Promise<NativeResponse> {
      return this.ready().handle(...args);
    }
    request(...args: Parameters<WasmNativeApp["request"]>): ReturnType<WasmNativeApp["request"]> {
      return this.ready().request(...args);
    }
    stream(...args: Parameters<WasmNativeApp["stream"]>): ReturnType<WasmNativeApp["stream"]> {
      return this.ready().stream(...args);
    }
  }
  return { defaultConfigs: () => module.defaultConfigs(), NativeApp: DeferredApp };
}
