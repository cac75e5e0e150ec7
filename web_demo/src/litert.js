// The page's only contact with LiteRT.js (@litertjs/core, served by edge from node_modules; no CDN).
import { loadAndCompile, loadLiteRt, Tensor } from '@litertjs/core';

let loaded = null;
export const runtimeInfo = { threads: false };

/**
 * Load LiteRT.js's WebAssembly once (the directory holds the .wasm files the package ships).
 * ``threads``: the threaded build, which needs a cross-origin-isolated page (edge serves the
 * COOP/COEP headers); when it cannot load, the single-threaded build is used instead.
 */
export function initRuntime(wasmDirectory, { threads = false } = {}) {
  // LiteRT's WebAssembly writes its log lines ("INFO: ... XNNPACK delegate", "WARNING: NPU accelerator
  // could not be loaded") to stderr, which Emscripten shows as console errors: the Module object the
  // loader hands to the runtime sends them to the console's info and warning levels instead; anything
  // else stays an error.
  self.Module ??= { printErr: (line) => (/^(INFO|VERBOSE|DEBUG)\b/.test(line) ? console.info(line)
    : /^WARNING\b/.test(line) ? console.warn(line) : console.error(line)) };
  loaded ??= (async () => {
    if (threads && self.crossOriginIsolated) {
      try {
        const liteRt = await loadLiteRt(wasmDirectory, { threads: true });
        runtimeInfo.threads = true;
        return liteRt;
      } catch (error) {
        console.warn(`LiteRT.js threads unavailable (${error.message}); using one thread`);
      }
    }
    return loadLiteRt(wasmDirectory);
  })();
  return loaded;
}

/** Compile .tflite bytes for the CPU (WebAssembly + XNNPack). */
export async function compileModel(bytes, numThreads = undefined) {
  return loadAndCompile(bytes, numThreads ? { accelerator: 'wasm', cpuOptions: { numThreads } } : { accelerator: 'wasm' });
}

/** Run one input; returns the outputs as typed arrays, in the model's output order. */
export async function run(compiled, data, shape) {
  const input = new Tensor(data, shape);
  let outputs;
  try {
    outputs = await compiled.run([input]);
  } finally {
    input.delete();
  }
  const arrays = [];
  for (const tensor of outputs) {
    arrays.push(tensor.toTypedArray().slice()); // copy out of WebAssembly memory before delete
    tensor.delete();
  }
  return arrays;
}

export const runtime = { run };
