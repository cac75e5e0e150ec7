// The page's only contact with LiteRT.js (@litertjs/core, served from node_modules; no CDN).
import { loadAndCompile, loadLiteRt, Tensor } from '@litertjs/core';

let loaded = null;

/** Load LiteRT.js's WebAssembly once (the directory holds the .wasm files the package ships). */
export function initRuntime(wasmDirectory) {
  loaded ??= loadLiteRt(wasmDirectory);
  return loaded;
}

/** Compile .tflite bytes for the CPU (WebAssembly + XNNPack). */
export async function compileModel(bytes) {
  return loadAndCompile(bytes, { accelerator: 'wasm' });
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
