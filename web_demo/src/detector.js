// BlazeFace in LiteRT.js, decoded per docs/FACE_DETECTION.md. edge/detect.py is the reference;
// every number comes from face_detector.json (written by edge.detect), none is re-typed here.
import { resizeRgb } from './preprocess.js';

/** SSD anchor centres [x0, y0, x1, y1, ...] in [0, 1] units, MediaPipe's order (doc step 2). */
export function anchorCenters(config) {
  const { strides, anchors_per_layer: perLayer, offset } = config.anchors;
  const centers = [];
  let layer = 0;
  while (layer < strides.length) {
    let last = layer;
    while (last < strides.length && strides[last] === strides[layer]) last++;
    const repeats = perLayer * (last - layer); // layers with the same stride share one grid
    const grid = Math.ceil(config.input_size / strides[layer]);
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let r = 0; r < repeats; r++) centers.push((x + offset) / grid, (y + offset) / grid);
      }
    }
    layer = last;
  }
  return Float32Array.from(centers);
}

/** Doc step 1: longer side to input_size (OpenCV bilinear), top-left on black, scaled to floats. */
export function letterbox(image, config) {
  const size = config.input_size;
  const scale = size / Math.max(image.width, image.height);
  const width = Math.max(1, Math.min(size, Math.floor(image.width * scale + 0.5)));
  const height = Math.max(1, Math.min(size, Math.floor(image.height * scale + 0.5)));
  const resized = resizeRgb(image, width, height, 'linear');
  const input = new Float32Array(size * size * 3);
  const inputScale = Math.fround(config.input_scale), inputOffset = Math.fround(config.input_offset);
  for (let i = 0; i < input.length; i++) input[i] = inputOffset; // black = 0 * scale + offset
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * 3; x++) {
      input[y * size * 3 + x] = Math.fround(Math.fround(resized.data[y * width * 3 + x] * inputScale) + inputOffset);
    }
  }
  return { input, scale };
}

function iou(a, b) {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = Math.max(a[2] - a[0], 0) * Math.max(a[3] - a[1], 0) + Math.max(b[2] - b[0], 0) * Math.max(b[3] - b[1], 0) - inter;
  return union > 0 ? inter / union : 0;
}

/** Doc step 4: MediaPipe's weighted NMS over {box: [x0, y0, x1, y1], score, points}. */
export function weightedNms(candidates, iouThreshold) {
  let order = candidates.slice().sort((a, b) => b.score - a.score);
  const kept = [];
  while (order.length) {
    const top = order[0];
    let cluster = order.filter((c) => iou(top.box, c.box) > iouThreshold);
    if (!cluster.length) cluster = [top]; // a degenerate box that does not even overlap itself
    const total = cluster.reduce((s, c) => s + c.score, 0);
    const box = [0, 0, 0, 0].map((_, k) => cluster.reduce((s, c) => s + c.box[k] * c.score, 0) / total);
    const points = top.points.map((_, k) => cluster.reduce((s, c) => s + c.points[k] * c.score, 0) / total);
    kept.push({ box, score: top.score, points });
    const inCluster = new Set(cluster);
    order = order.filter((c) => !inCluster.has(c));
  }
  return kept;
}

/**
 * Doc steps 3-5: raw network outputs -> faces in image pixels, largest first.
 * Returns [{box: [x, y, w, h], score, keypoints: [[x, y], ...]}].
 */
export function decodeDetections(rawBoxes, rawScores, anchors, config, scale, minFacePx = 0) {
  const width = 4 + 2 * config.num_keypoints;
  const candidates = [];
  for (let k = 0; k < rawScores.length; k++) {
    const clipped = Math.max(-config.score_clip, Math.min(config.score_clip, rawScores[k]));
    const score = 1 / (1 + Math.exp(-clipped));
    if (score < config.min_score) continue;
    const raw = rawBoxes.subarray(k * width, (k + 1) * width);
    const ax = anchors[2 * k], ay = anchors[2 * k + 1];
    const cx = raw[0] / config.box_scale + ax, cy = raw[1] / config.box_scale + ay;
    const w = raw[2] / config.box_scale, h = raw[3] / config.box_scale;
    if (!(w > 0 && h > 0)) continue;
    const points = [];
    for (let j = 0; j < config.num_keypoints; j++) {
      points.push(raw[4 + 2 * j] / config.box_scale + ax, raw[5 + 2 * j] / config.box_scale + ay);
    }
    candidates.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, points });
  }
  const toPixels = config.input_size / scale; // [0, 1] input units -> original image pixels
  return weightedNms(candidates, config.nms_iou)
    .map(({ box, score, points }) => {
      const [x0, y0, x1, y1] = box.map((v) => v * toPixels);
      const keypoints = [];
      for (let j = 0; j < points.length; j += 2) keypoints.push([points[j] * toPixels, points[j + 1] * toPixels]);
      return { box: [x0, y0, x1 - x0, y1 - y0], score, keypoints };
    })
    .filter((face) => Math.max(face.box[2], face.box[3]) >= minFacePx)
    .sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
}

/** Doc step 6, the spec's crop rule: integer [x0, y0, x1, y1] of the square around a face, clipped. */
export function cropBox(box, margin, imageWidth, imageHeight) {
  const [x, y, w, h] = box;
  const side = Math.max(w, h) * (1 + 2 * margin);
  const cx = x + w / 2, cy = y + h / 2;
  const x0 = Math.floor(cx - side / 2 + 0.5), y0 = Math.floor(cy - side / 2 + 0.5);
  const length = Math.floor(side + 0.5);
  return [Math.max(0, x0), Math.max(0, y0), Math.min(imageWidth, x0 + length), Math.min(imageHeight, y0 + length)];
}

/** A loaded BlazeFace: detect(rgbImage) -> faces. ``runtime`` is the page's LiteRT wrapper. */
export class FaceDetector {
  constructor(config, compiled, runtime) {
    this.config = config;
    this.compiled = compiled;
    this.runtime = runtime;
    this.anchors = anchorCenters(config);
    const width = 4 + 2 * config.num_keypoints;
    const outputs = compiled.getOutputDetails();
    // Outputs are told apart by their last dimension (doc: "outputs"), never by position.
    this.boxesPosition = outputs.findIndex((d) => d.shape[d.shape.length - 1] === width);
    this.scoresPosition = outputs.findIndex((d) => d.shape[d.shape.length - 1] === 1);
    if (this.boxesPosition < 0 || this.scoresPosition < 0) {
      throw new Error(`${config.file}: expected outputs with last dimension ${width} and 1, found `
        + outputs.map((d) => `[${Array.from(d.shape)}]`).join(', '));
    }
    if (this.anchors.length / 2 !== outputs[this.scoresPosition].shape[1]) {
      throw new Error(`${config.file}: ${this.anchors.length / 2} anchors from face_detector.json but the model has `
        + `${outputs[this.scoresPosition].shape[1]} boxes`);
    }
  }

  async detect(image, minFacePx = 0) {
    const { input, scale } = letterbox(image, this.config);
    const size = this.config.input_size;
    const outputs = await this.runtime.run(this.compiled, input, [1, size, size, 3]);
    return decodeDetections(outputs[this.boxesPosition], outputs[this.scoresPosition], this.anchors,
      this.config, scale, minFacePx);
  }
}
