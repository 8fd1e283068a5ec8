// A `.wasm` import as workerd (and wrangler) give it: the compiled module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
