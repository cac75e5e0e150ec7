// The spec's preprocessing in the browser: crop -> resize -> colour -> model input tensor.
// Python's edge/preprocess.py is the reference (OpenCV resize + cvtColor on uint8 pixels); this
// file reimplements those OpenCV steps on ImageData pixels so the page's input tensor matches
// Python's within one quantization step (tests/test_web_demo.py checks it on real faces).
// Canvas drawImage scaling is NOT used: browsers filter differently from OpenCV.

/** An RGB image as packed bytes: {width, height, data: Uint8Array(width*height*3)}. */
export function rgbFromImageData(imageData) {
  const { width, height, data } = imageData;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    rgb[j] = data[i]; rgb[j + 1] = data[i + 1]; rgb[j + 2] = data[i + 2]; // alpha dropped, like IMREAD_COLOR
  }
  return { width, height, data: rgb };
}

/** Rows [y0, y1) x columns [x0, x1) of an RGB image (a copy). */
export function cropRgb(image, x0, y0, x1, y1) {
  const width = x1 - x0, height = y1 - y0;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

const f32 = Math.fround;

// cvRound: round half to even (lrint in the default FP mode), then saturate to uint8.
function saturateUint8(value) {
  let r = Math.round(value);
  if (r - value === 0.5 && (r & 1)) r -= 1; // a tie rounded up to an odd number: go to the even one
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

// OpenCV's computeResizeAreaTab: the (destination, source, weight) triples of one axis, as typed
// arrays (tables are cached: camera crops repeat sizes, and building them costs more than using them).
const areaTables = new Map();
function areaTable(sourceSize, destinationSize) {
  const key = `${sourceSize}:${destinationSize}`;
  if (areaTables.has(key)) return areaTables.get(key);
  const scale = sourceSize / destinationSize;
  const dst = [], src = [], weight = [];
  const add = (d, s, w) => { dst.push(d); src.push(s); weight.push(w); };
  for (let d = 0; d < destinationSize; d++) {
    const fs1 = d * scale, fs2 = fs1 + scale;
    const cellWidth = Math.min(scale, sourceSize - fs1);
    let s1 = Math.ceil(fs1), s2 = Math.floor(fs2);
    s2 = Math.min(s2, sourceSize - 1);
    s1 = Math.min(s1, s2);
    if (s1 - fs1 > 1e-3) add(d, s1 - 1, (s1 - fs1) / cellWidth);
    for (let s = s1; s < s2; s++) add(d, s, 1.0 / cellWidth);
    if (fs2 - s2 > 1e-3) add(d, s2, Math.min(Math.min(fs2 - s2, 1.0), cellWidth) / cellWidth);
  }
  const table = { n: dst.length, dst: Int32Array.from(dst), src: Int32Array.from(src), weight: Float32Array.from(weight) };
  if (areaTables.size > 256) areaTables.clear();
  areaTables.set(key, table);
  return table;
}

// cv2.resize(..., INTER_AREA) for shrinking by a non-integer factor, in OpenCV's float32
// arithmetic: a uint8 x float32 product and a sum of two float32 values are exact in a double,
// so storing them into a Float32Array rounds once, exactly like C++ float.
function resizeAreaGeneral(image, width, height, channels) {
  const xt = areaTable(image.width, width), yt = areaTable(image.height, height);
  const source = image.data, sourceRow = image.width * channels;
  const rowWidth = width * channels;
  const out = new Uint8Array(height * rowWidth);
  const buffer = new Float32Array(rowWidth), sum = new Float32Array(rowWidth);
  let previous = yt.n ? yt.dst[0] : 0;
  for (let k = 0; k < yt.n; k++) {
    const dy = yt.dst[k], beta = yt.weight[k], row = yt.src[k] * sourceRow;
    buffer.fill(0);
    if (channels === 3) { // the only case the page uses (RGB before the colour step): unrolled
      for (let j = 0; j < xt.n; j++) {
        const d = xt.dst[j] * 3, s = row + xt.src[j] * 3, alpha = xt.weight[j];
        buffer[d] += f32(source[s] * alpha);
        buffer[d + 1] += f32(source[s + 1] * alpha);
        buffer[d + 2] += f32(source[s + 2] * alpha);
      }
    } else {
      for (let j = 0; j < xt.n; j++) {
        const d = xt.dst[j] * channels, s = row + xt.src[j] * channels, alpha = xt.weight[j];
        for (let c = 0; c < channels; c++) buffer[d + c] += f32(source[s + c] * alpha);
      }
    }
    if (dy !== previous) {
      const base = previous * rowWidth;
      for (let i = 0; i < rowWidth; i++) { out[base + i] = saturateUint8(sum[i]); sum[i] = beta * buffer[i]; }
      previous = dy;
    } else {
      for (let i = 0; i < rowWidth; i++) sum[i] += f32(beta * buffer[i]);
    }
  }
  const base = previous * rowWidth;
  for (let i = 0; i < rowWidth; i++) out[base + i] = saturateUint8(sum[i]);
  return out;
}

// cv2.resize(..., INTER_AREA) for shrinking by an integer factor: block mean, rounded half up.
function resizeAreaInteger(image, width, height, channels, factorX, factorY) {
  const out = new Uint8Array(width * height * channels);
  const area = factorX * factorY, half = area >> 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let total = 0;
        for (let j = 0; j < factorY; j++) {
          const row = ((y * factorY + j) * image.width + x * factorX) * channels + c;
          for (let i = 0; i < factorX; i++) total += image.data[row + i * channels];
        }
        out[(y * width + x) * channels + c] = Math.floor((total + half) / area);
      }
    }
  }
  return out;
}

// OpenCV's fixed-point bilinear (INTER_LINEAR on uint8; INTER_AREA when enlarging uses the same
// machinery with its own coefficients): 11-bit weights, rounding shift by 22 bits.
function resizeLinear(image, width, height, channels, areaMode) {
  const BITS = 11, ONE = 1 << BITS;
  const axis = (sourceSize, destinationSize) => {
    const scale = sourceSize / destinationSize, inverse = 1 / scale;
    const index = new Int32Array(destinationSize * 2), weight = new Int32Array(destinationSize * 2);
    for (let d = 0; d < destinationSize; d++) {
      let s, f;
      if (areaMode) {
        s = Math.floor(d * scale);
        f = (d + 1) - (s + 1) * inverse;
        f = f <= 0 ? 0 : f - Math.floor(f);
      } else {
        const fs = (d + 0.5) * scale - 0.5;
        s = Math.floor(fs); f = fs - s;
      }
      let s0 = s, s1 = s + 1;
      if (s < 0) { s0 = 0; s1 = 0; f = 0; }
      if (s1 >= sourceSize) { s1 = sourceSize - 1; if (s0 >= sourceSize - 1) { s0 = sourceSize - 1; f = 0; } }
      index[2 * d] = s0; index[2 * d + 1] = s1;
      const w1 = Math.round(f32(f) * ONE);
      weight[2 * d] = ONE - w1; weight[2 * d + 1] = w1;
    }
    return { index, weight };
  };
  const xs = axis(image.width, width), ys = axis(image.height, height);
  const out = new Uint8Array(width * height * channels);
  const rows = new Map(); // horizontal pass, once per source row used
  const rowCache = (sy) => {
    if (rows.has(sy)) return rows.get(sy);
    const row = new Int32Array(width * channels);
    rows.set(sy, row);
    const base = sy * image.width * channels;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        row[x * channels + c] = image.data[base + xs.index[2 * x] * channels + c] * xs.weight[2 * x]
          + image.data[base + xs.index[2 * x + 1] * channels + c] * xs.weight[2 * x + 1];
      }
    }
    return row;
  };
  for (let y = 0; y < height; y++) {
    const r0 = rowCache(ys.index[2 * y]), r1 = rowCache(ys.index[2 * y + 1]);
    const b0 = ys.weight[2 * y], b1 = ys.weight[2 * y + 1];
    for (let i = 0; i < width * channels; i++) {
      const v = ((b0 * (r0[i] >> 4)) >> 16) + ((b1 * (r1[i] >> 4)) >> 16) + 2 >> 2;
      out[y * width * channels + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

function resizeNearest(image, width, height, channels) {
  const out = new Uint8Array(width * height * channels);
  const scaleX = image.width / width, scaleY = image.height / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor(y * scaleY), image.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.floor(x * scaleX), image.width - 1);
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = image.data[(sy * image.width + sx) * channels + c];
    }
  }
  return out;
}

/** cv2.resize of an RGB image to width x height with the spec's interpolation name. */
export function resizeRgb(image, width, height, interpolation) {
  const channels = 3;
  if (image.width === width && image.height === height) return { width, height, data: image.data.slice() };
  let data;
  if (interpolation === 'area') {
    const scaleX = image.width / width, scaleY = image.height / height;
    if (scaleX >= 1 && scaleY >= 1) {
      const fx = Math.round(scaleX), fy = Math.round(scaleY);
      data = Math.abs(scaleX - fx) < Number.EPSILON && Math.abs(scaleY - fy) < Number.EPSILON
        ? resizeAreaInteger(image, width, height, channels, fx, fy)
        : resizeAreaGeneral(image, width, height, channels);
    } else {
      data = resizeLinear(image, width, height, channels, true);
    }
  } else if (interpolation === 'linear') {
    data = resizeLinear(image, width, height, channels, false);
  } else if (interpolation === 'nearest') {
    data = resizeNearest(image, width, height, channels);
  } else {
    throw new Error(`the spec's interpolation "${interpolation}" is not supported by this page`);
  }
  return { width, height, data };
}

/** The spec's colour: rgb keeps the bytes; gray is OpenCV's fixed-point BT.601 luma. */
export function convertColor(image, color) {
  if (color === 'rgb') return image.data;
  if (color !== 'gray') throw new Error(`the spec's color "${color}" is not supported by this page`);
  const gray = new Uint8Array(image.width * image.height);
  for (let i = 0, j = 0; j < gray.length; i += 3, j++) {
    // cv2.COLOR_RGB2GRAY on uint8 (OpenCV 4.x, checked bit-exact): 15-bit fixed-point BT.601
    gray[j] = (image.data[i] * 9798 + image.data[i + 1] * 19235 + image.data[i + 2] * 3735 + 16384) >> 15;
  }
  return gray;
}

/** Crop (already clipped) -> resize -> colour: the uint8 HxWxC pixels Python's cache holds. */
export function preparePixels(image, spec) {
  const resized = resizeRgb(image, spec.image_size, spec.image_size, spec.interpolation);
  return convertColor(resized, spec.color);
}

/**
 * uint8 pixels -> the model's input tensor values: float = v * pixel_scale + pixel_offset, then,
 * for a quantized input, q = clip(round(float / scale + zero_point)). When the input's
 * quantization is exactly the pixel scaling (scale 1/255, zero point 0) the tensor IS the bytes.
 */
export function toInputTensor(pixels, spec, inputDtype) {
  const quant = spec.input_quantization;
  const scale = spec.pixel_scale, offset = spec.pixel_offset;
  if (inputDtype === 'float32') {
    const out = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) out[i] = f32(f32(pixels[i] * f32(scale)) + f32(offset));
    return out;
  }
  if (!quant) throw new Error('the model has a quantized input but its spec has no input_quantization: re-export it');
  if (offset === 0 && quant.zero_point === 0 && Math.abs(quant.scale - scale) <= 1e-6 * scale) return Uint8Array.from(pixels);
  const [low, high] = inputDtype === 'uint8' ? [0, 255] : [-128, 127];
  const out = inputDtype === 'uint8' ? new Uint8Array(pixels.length) : new Int8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const x = f32(f32(pixels[i] * f32(scale)) + f32(offset));
    const q = Math.round(x / quant.scale + quant.zero_point);
    out[i] = q < low ? low : q > high ? high : q;
  }
  return out;
}
