// The int8 age/gender model in LiteRT.js: spec checks, preprocessing, run, dequantize, decode.
import { compileModel, run } from './litert.js';
import { decodeOutputs } from './decode.js';
import { cropRgb, preparePixels, toInputTensor } from './preprocess.js';
import { isTflite, ModelFileError, readEmbeddedSpec } from './spec.js';

const SUPPORTED_INPUTS = ['uint8', 'float32']; // LiteRT.js JS tensors: float32, int32, uint8

/** Load a classifier from its bytes; throws ModelFileError with a one-line message. */
export async function loadClassifier(bytes, fileName) {
  if (!isTflite(bytes)) {
    throw new ModelFileError(`${fileName} is not a TFLite model (no "TFL3" identifier): pick the model.tflite `
      + 'that `edge export RUN --int8 --web-assets DIR` wrote');
  }
  const spec = await readEmbeddedSpec(bytes, fileName);
  let compiled;
  try {
    compiled = await compileModel(bytes);
  } catch (error) {
    throw new ModelFileError(`LiteRT.js cannot load ${fileName} (${String(error.message || error).split('\n')[0]}): `
      + 're-export it with `edge export RUN --int8 --web-assets DIR`');
  }
  return new Classifier(spec, compiled, fileName, bytes.length);
}

export class Classifier {
  constructor(spec, compiled, fileName, sizeBytes) {
    this.spec = spec;
    this.compiled = compiled;
    this.fileName = fileName;
    this.sizeBytes = sizeBytes;
    const [input] = compiled.getInputDetails();
    this.inputDtype = input.dtype;
    this.inputShape = Array.from(input.shape);
    const expected = [1, spec.image_size, spec.image_size, spec.color === 'gray' ? 1 : 3];
    if (!SUPPORTED_INPUTS.includes(this.inputDtype)) {
      throw new ModelFileError(`${fileName} has a ${this.inputDtype} input, which LiteRT.js cannot feed: use the web `
        + 'variant (uint8 I/O) from `edge export RUN --int8 --web-assets DIR`');
    }
    if (this.inputShape.join() !== expected.join()) {
      throw new ModelFileError(`${fileName} takes input [${this.inputShape}] but its spec says [${expected}] `
        + '(batch 1): use the web variant from `edge export --web-assets`');
    }
  }

  /** Dequantize raw outputs with the spec's per-output quantization: {name: Float32Array}. */
  dequantize(raw) {
    const outputs = {};
    for (const out of this.spec.outputs) {
      const values = raw[out.tflite_index];
      const q = out.quantization;
      outputs[out.name] = q ? Float32Array.from(values, (v) => (v - q.zero_point) * q.scale) : Float32Array.from(values);
    }
    return outputs;
  }

  /**
   * Classify the face inside ``box`` ([x0, y0, x1, y1] integer crop, already clipped) of an RGB
   * image. Returns {decoded, raw, dequantized, inputTensor, ms: {total, model}}.
   */
  async classify(image, box) {
    const started = performance.now();
    const [x0, y0, x1, y1] = box;
    const face = x0 === 0 && y0 === 0 && x1 === image.width && y1 === image.height ? image : cropRgb(image, x0, y0, x1, y1);
    const pixels = preparePixels(face, this.spec);
    const input = toInputTensor(pixels, this.spec, this.inputDtype);
    const modelStarted = performance.now();
    const raw = await run(this.compiled, input, this.inputShape);
    const modelMs = performance.now() - modelStarted;
    const dequantized = this.dequantize(raw);
    const decoded = decodeOutputs(this.spec, dequantized);
    return { decoded, raw, dequantized, inputTensor: input, ms: { total: performance.now() - started, model: modelMs } };
  }
}
