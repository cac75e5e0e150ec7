"""Face detector comparison and the crop-margin choice, on composed photos of REAL faces.

Usage (the exact command behind BENCHMARKS.md "Face detectors"):

    .venv/bin/python benchmarks/detectors.py --out /tmp/bench-detectors [--model EXPORT/model_int8_qat.tflite]

What it does, all deterministic (fixed seeds):

* Faces: UTKFace chips (200x200, aligned and cropped, real photos) from the SAME holdout split
  `edge train` makes by default (seed 42, 15 % test, 10 % of the rest validation). The
  VALIDATION chips are used for every choice (default detector, margin); the TEST chips and the
  Adience aligned chips (never used for a choice) give the reported figures.
* Backgrounds with no faces: procedural clutter (shapes, lines, text, gradients, noise),
  matplotlib's shipped terrain rasters rendered with colour maps, and real UTKFace chips cut into
  8x8 blocks and shuffled (real skin/hair/background statistics, no face layout).
* Composed frames (640x480 / 480x640 / 960x720): 1-3 chips pasted at random scales (8-50 % of
  the frame's long side), positions and rotations (+-30 deg) with a feathered edge, and a Gaussian
  blur on a third of the frames.
* Ground truth per detector: each detector's own median box on the clean chip (in chip units),
  carried through the paste transform; a detection matches at IoU >= 0.5 (one-to-one, greedy).
  So recall/IoU measure finding the face and boxing it consistently under scale, rotation, blur.
* False detections: face-free crops (the backgrounds above, 160-640 px) with >= 1 detection.
* Close-ups: one validation chip covering 50-100 % of the frame's shorter side, and bare chips
  (the face fills the whole image), as in a selfie or a cropped portrait.
* Margin: on upright, unblurred validation pastes, the crop-rule margin whose square best
  matches the pasted chip's own square (mean IoU), per BlazeFace variant.
* With --model: the classifier on TEST chips as they are vs on detector crops of the same chips
  pasted into frames (the phone path), gender accuracy and age MAE side by side.

Writes OUT/detectors.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from edge.datasets import load_dataset
from edge.detect import BLAZEFACE, HAAR, Face, FaceDetector, box_iou, crop, crop_box
from edge.splits import holdout_split

DETECTORS = (*BLAZEFACE, HAAR)
MIN_FACE_PX = 30  # the spec's face_crop.min_face_px default
CHIP = 200
MARGINS = np.round(np.arange(0.0, 0.61, 0.025), 3)
FRAME_SIZES = ((640, 480), (480, 640), (960, 720))
SIZE_BUCKETS = ((0.08, 0.15), (0.15, 0.3), (0.3, 0.51))


# ---------------------------------------------------------------- face-free backgrounds
def clutter(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Procedural clutter: gradient, rectangles, ellipses, lines, text, noise."""
    base = np.zeros((height, width, 3), np.float32)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    t = np.linspace(0, 1, width)[None, :, None] if rng.random() < 0.5 else np.linspace(0, 1, height)[:, None, None]
    base += c0 * (1 - t) + c1 * t
    image = np.clip(base, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(8, 30)):
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(4)
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if kind == 0:
            cv2.rectangle(image, (x, y), (x + int(rng.integers(10, width // 2)), y + int(rng.integers(10, height // 2))),
                          color, -1 if rng.random() < 0.6 else int(rng.integers(1, 6)))
        elif kind == 1:
            cv2.ellipse(image, (x, y), (int(rng.integers(5, width // 4)), int(rng.integers(5, height // 4))),
                        float(rng.uniform(0, 180)), 0, 360, color, -1 if rng.random() < 0.6 else 3)
        elif kind == 2:
            cv2.line(image, (x, y), (int(rng.integers(0, width)), int(rng.integers(0, height))), color,
                     int(rng.integers(1, 8)))
        else:
            cv2.putText(image, "".join(rng.choice(list("ABCDEFGHKMNPRSTXYZ0123456789"), 5)), (x, y),
                        cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.5, 3)), color, int(rng.integers(1, 5)))
    noise = rng.normal(0, rng.uniform(2, 12), image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


_TERRAIN: list[np.ndarray] = []


def terrain(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A random window of matplotlib's shipped elevation rasters, colour-mapped (real terrain)."""
    if not _TERRAIN:
        from matplotlib import cbook

        for name, key in (("jacksboro_fault_dem.npz", "elevation"), ("topobathy.npz", "topo")):
            with np.load(cbook.get_sample_data(name, asfileobj=False)) as data:
                _TERRAIN.append(np.asarray(data[key], np.float32))
    import matplotlib

    grid = _TERRAIN[int(rng.integers(len(_TERRAIN)))]
    norm = (grid - grid.min()) / max(float(np.ptp(grid)), 1e-6)
    cmap = matplotlib.colormaps[str(rng.choice(["terrain", "gist_earth", "viridis", "copper", "gray", "YlGn"]))]
    rgb = (cmap(norm)[:, :, :3] * 255).astype(np.uint8)
    rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def shuffled_chips(rng: np.random.Generator, width: int, height: int, chips: list[str]) -> np.ndarray:
    """Real face chips cut into 8x8 blocks, shuffled, tiled: photo statistics, no face."""
    tiles = []
    for _ in range(math.ceil(width / CHIP) * math.ceil(height / CHIP)):
        chip = cv2.resize(cv2.imread(chips[int(rng.integers(len(chips)))]), (CHIP, CHIP))
        blocks = chip.reshape(8, CHIP // 8, 8, CHIP // 8, 3).transpose(0, 2, 1, 3, 4).reshape(64, CHIP // 8, CHIP // 8, 3)
        blocks = blocks[rng.permutation(64)]
        tiles.append(blocks.reshape(8, 8, CHIP // 8, CHIP // 8, 3).transpose(0, 2, 1, 3, 4).reshape(CHIP, CHIP, 3))
    columns = math.ceil(width / CHIP)
    rows = [np.concatenate(tiles[r * columns:(r + 1) * columns], axis=1) for r in range(len(tiles) // columns)]
    return np.ascontiguousarray(np.concatenate(rows, axis=0)[:height, :width])


def background(rng: np.random.Generator, width: int, height: int, chips: list[str]) -> tuple[np.ndarray, str]:
    kind = ("clutter", "terrain", "shuffled_chips")[int(rng.integers(3))]
    if kind == "clutter":
        return clutter(rng, width, height), kind
    if kind == "terrain":
        return terrain(rng, width, height), kind
    return shuffled_chips(rng, width, height, chips), kind


# ---------------------------------------------------------------- composing frames
def paste(frame: np.ndarray, chip: np.ndarray, cx: float, cy: float, side: float, angle: float) -> np.ndarray:
    """Paste ``chip`` centred at (cx, cy), ``side`` px wide, rotated by ``angle`` degrees; returns the 2x3 map."""
    height, width = frame.shape[:2]
    scale = side / chip.shape[1]
    matrix = cv2.getRotationMatrix2D((chip.shape[1] / 2, chip.shape[0] / 2), angle, scale)
    matrix[:, 2] += (cx - chip.shape[1] / 2, cy - chip.shape[0] / 2)
    warped = cv2.warpAffine(chip, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = np.zeros(chip.shape[:2], np.float32)
    edge = max(2, chip.shape[0] // 25)
    mask[edge:-edge, edge:-edge] = 1
    mask = cv2.GaussianBlur(mask, (0, 0), edge / 2)  # feathered border: no hard paste edge
    alpha = cv2.warpAffine(mask, matrix, (width, height), flags=cv2.INTER_LINEAR)[:, :, None]
    frame[:] = (frame * (1 - alpha) + warped * alpha).astype(np.uint8)
    return matrix


def compose(rng: np.random.Generator, chips: list[str], negatives: list[str], upright: bool = False,
            blur: bool = True) -> dict:
    """One frame with 1-3 real chips: {'image', 'faces': [{cx, cy, side, angle, path}], ...}."""
    width, height = FRAME_SIZES[int(rng.integers(len(FRAME_SIZES)))]
    frame, kind = background(rng, width, height, negatives)
    faces = []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(30):
            side = float(np.exp(rng.uniform(np.log(0.08), np.log(0.5))) * max(width, height))
            reach = side * 0.72  # half-diagonal of the (rotated) square: keep it inside the frame
            if 2 * reach >= min(width, height):
                continue
            cx, cy = rng.uniform(reach, width - reach), rng.uniform(reach, height - reach)
            if all(math.hypot(cx - f["cx"], cy - f["cy"]) > 0.75 * (side + f["side"]) for f in faces):
                break
        else:
            continue
        angle = 0.0 if upright else float(rng.uniform(-30, 30))
        path = chips[int(rng.integers(len(chips)))]
        paste(frame, cv2.imread(path), cx, cy, side, angle)
        faces.append({"cx": cx, "cy": cy, "side": side, "angle": angle, "path": path})
    sigma = float(rng.uniform(0.8, 2.5)) if blur and rng.random() < 1 / 3 else 0.0
    if sigma:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    return {"image": frame, "faces": faces, "background": kind, "blur": sigma}


def canonical_box(detector: FaceDetector, chips: list[str]) -> tuple[float, float, float, float]:
    """The detector's median box on clean chips, as (cx, cy, w, h) in chip units (0..1)."""
    boxes = []
    for path in chips:
        chip = cv2.imread(path)
        frame = np.full((2 * CHIP, 2 * CHIP, 3), 128, np.uint8)
        frame[CHIP // 2:CHIP // 2 + CHIP, CHIP // 2:CHIP // 2 + CHIP] = cv2.resize(chip, (CHIP, CHIP))
        faces = detector.detect(frame)
        if faces:
            x, y, w, h = faces[0].box
            boxes.append(((x + w / 2 - CHIP / 2) / CHIP, (y + h / 2 - CHIP / 2) / CHIP, w / CHIP, h / CHIP))
    return tuple(float(v) for v in np.median(np.asarray(boxes), axis=0)), len(boxes) / len(chips)


def truth_boxes(frame: dict, canonical: tuple[float, float, float, float]) -> np.ndarray:
    """Corner boxes where the detector's canonical chip box lands in the frame."""
    ccx, ccy, cw, ch = canonical
    out = []
    for face in frame["faces"]:
        theta = math.radians(-face["angle"])  # cv2's positive angle is counter-clockwise on screen
        dx, dy = (ccx - 0.5) * face["side"], (ccy - 0.5) * face["side"]
        cx = face["cx"] + dx * math.cos(theta) - dy * math.sin(theta)
        cy = face["cy"] + dx * math.sin(theta) + dy * math.cos(theta)
        w, h = cw * face["side"], ch * face["side"]
        out.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return np.asarray(out, np.float64).reshape(-1, 4)


def corners(face: Face) -> np.ndarray:
    x, y, w, h = face.box
    return np.array([x, y, x + w, y + h])


def match(detections: list[Face], truth: np.ndarray, threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching by IoU: (detection, truth, iou) pairs above ``threshold``."""
    if not detections or not len(truth):
        return []
    ious = np.stack([box_iou(corners(d), truth) for d in detections])
    pairs = []
    while ious.size and ious.max() >= threshold:
        d, t = np.unravel_index(int(ious.argmax()), ious.shape)
        pairs.append((int(d), int(t), float(ious[d, t])))
        ious[d, :] = -1
        ious[:, t] = -1
    return pairs


def evaluate_detection(detector: FaceDetector, canonical, frames: list[dict], negatives: list[np.ndarray]) -> dict:
    """Recall, IoU, false detections in frames and on face-free crops, latency per frame."""
    found = total = extra = 0
    ious, times = [], []
    by_size = {f"{lo:.2f}-{hi:.2f}": [0, 0] for lo, hi in SIZE_BUCKETS}
    by_angle = {"|angle|<=15": [0, 0], "|angle|>15": [0, 0]}
    blurred = [0, 0]
    for frame in frames:
        start = time.perf_counter()
        detections = detector.detect(frame["image"])
        times.append(time.perf_counter() - start)
        truth = truth_boxes(frame, canonical)
        pairs = match(detections, truth)
        matched = {t for _, t, _ in pairs}
        ious += [iou for _, _, iou in pairs]
        found += len(pairs)
        total += len(truth)
        extra += len(detections) - len(pairs)
        long_side = max(frame["image"].shape[:2])
        for index, face in enumerate(frame["faces"]):
            hit = index in matched
            rel = face["side"] / long_side
            for lo, hi in SIZE_BUCKETS:
                if lo <= rel < hi:
                    by_size[f"{lo:.2f}-{hi:.2f}"][0] += hit
                    by_size[f"{lo:.2f}-{hi:.2f}"][1] += 1
            bucket = "|angle|<=15" if abs(face["angle"]) <= 15 else "|angle|>15"
            by_angle[bucket][0] += hit
            by_angle[bucket][1] += 1
            if frame["blur"]:
                blurred[0] += hit
                blurred[1] += 1
    negative_hits = sum(bool(detector.detect(image)) for image in negatives)
    return {
        "faces": total, "recall": found / max(total, 1), "mean_iou": float(np.mean(ious)) if ious else 0.0,
        "false_per_frame": extra / max(len(frames), 1),
        "recall_by_size": {k: v[0] / max(v[1], 1) for k, v in by_size.items()},
        "recall_by_angle": {k: v[0] / max(v[1], 1) for k, v in by_angle.items()},
        "recall_blurred": blurred[0] / max(blurred[1], 1),
        "face_free_crops": len(negatives), "false_detection_rate": negative_hits / max(len(negatives), 1),
        "median_ms_per_frame": 1000 * float(np.median(times)),
    }


def margin_sweep(detector: FaceDetector, frames: list[dict]) -> dict:
    """Mean IoU of the crop-rule square with the pasted chip's square, per margin (upright frames)."""
    scores = {float(m): [] for m in MARGINS}
    best = []
    for frame in frames:
        detections = detector.detect(frame["image"])
        for face in frame["faces"]:
            half = face["side"] / 2
            chip_box = np.array([face["cx"] - half, face["cy"] - half, face["cx"] + half, face["cy"] + half])
            hits = [d for d in detections if box_iou(chip_box, corners(d)[None])[0] > 0.1]
            if not hits:
                continue
            d = max(hits, key=lambda f: box_iou(chip_box, corners(f)[None])[0])
            for m in scores:
                scores[m].append(box_iou(chip_box, np.array(crop_box(d, m, frame["image"].shape), float)[None])[0])
            best.append(face["side"] / max(d.box[2], d.box[3]) / 2 - 0.5)  # the margin that fits this chip's side
    means = {m: float(np.mean(v)) for m, v in scores.items() if v}
    chosen = max(means, key=means.get)
    return {"mean_iou_by_margin": means, "best_margin": chosen, "best_mean_iou": means[chosen],
            "median_per_face_margin": float(np.median(best)), "faces": len(best)}


def closeups(rng: np.random.Generator, chips: list[str], count: int) -> list[dict]:
    """Close-up frames: one chip covering 50-100 % of the frame's shorter side, +-15 deg (a selfie)."""
    frames = []
    for _ in range(count):
        width, height = FRAME_SIZES[int(rng.integers(len(FRAME_SIZES)))]
        frame, kind = background(rng, width, height, chips)
        side = float(rng.uniform(0.5, 1.0)) * min(width, height)
        angle = float(rng.uniform(-15, 15))
        cx, cy = rng.uniform(side / 2, width - side / 2), rng.uniform(side / 2, height - side / 2)
        path = chips[int(rng.integers(len(chips)))]
        paste(frame, cv2.imread(path), cx, cy, side, angle)
        frames.append({"image": frame, "faces": [{"cx": cx, "cy": cy, "side": side, "angle": angle, "path": path}],
                       "background": kind, "blur": 0.0})
    return frames


def closeup_check(report: dict, val: list[str], count: int) -> None:
    """Recall on close-ups and the share of bare chips (the face fills the image) with a detection."""
    frames = closeups(np.random.default_rng(3), val, count)
    chips = [val[i] for i in np.random.default_rng(5).choice(len(val), count, replace=False)]
    for name in DETECTORS:
        detector = FaceDetector(name, min_face_px=MIN_FACE_PX)
        canonical = report["detectors"][name]["canonical_box_chip_units"]["utkface"]
        result = evaluate_detection(detector, canonical, frames, [])
        report["detectors"][name]["closeup"] = {
            "frames": count, "recall": result["recall"], "mean_iou": result["mean_iou"],
            "bare_chips": len(chips), "bare_chip_detection_rate": sum(bool(detector.detect(cv2.imread(c))) for c in chips) / len(chips)}


def choose(report: dict) -> None:
    """The default, on validation figures only: among the shippable BlazeFace files that find a face
    filling the photo (close-up recall and bare-chip detection >= 95 %: selfies, cropped portraits),
    the best recall on the composed frames. Its margin is its own best margin."""
    detectors = report["detectors"]
    eligible = [n for n in BLAZEFACE if detectors[n]["closeup"]["recall"] >= 0.95
                and detectors[n]["closeup"]["bare_chip_detection_rate"] >= 0.95] or list(BLAZEFACE)
    chosen = max(eligible, key=lambda n: detectors[n]["val"]["recall"])
    report["chosen_detector"] = chosen
    report["chosen_margin"] = detectors[chosen]["margin"]["best_margin"]


def classifier_check(model_path: Path, chips: list, rng: np.random.Generator, detector_name: str, margin: float,
                     count: int) -> dict:
    """The classifier on chips as they are vs on detector crops of the same chips in frames."""
    from edge.decode import decode_outputs
    from edge.preprocess import resize_and_convert, to_model_input
    from edge.runtime import TFLiteModel

    model = TFLiteModel(model_path)
    spec = model.spec
    detector = FaceDetector(detector_name, min_face_px=MIN_FACE_PX)
    picked = [chips[i] for i in rng.choice(len(chips), min(count, len(chips)), replace=False)]
    rows = {"chip": [], "upright": [], "rotated": []}
    labels = []
    for record in picked:
        chip = cv2.imread(record.path)
        variants = {"chip": chip}
        for name, angle in (("upright", 0.0), ("rotated", float(rng.uniform(-25, 25)))):
            width, height = 640, 480
            frame, _ = background(rng, width, height, [r.path for r in picked[:50]])
            side = float(rng.uniform(0.2, 0.5)) * width
            paste(frame, chip, rng.uniform(side * 0.72, width - side * 0.72), rng.uniform(side * 0.72, height - side * 0.72),
                  side, angle)
            faces = detector.detect(frame)
            variants[name] = crop(frame, faces[0], margin) if faces else None
        labels.append((record.age_years, record.gender))
        for name, image in variants.items():
            if image is None or image.size == 0:
                rows[name].append(None)
                continue
            x = to_model_input(resize_and_convert(image, spec), spec)[None]
            rows[name].append(decode_outputs(spec, model.run(x)))
    result = {}
    for name, decoded in rows.items():
        ok = [(d, lab) for d, lab in zip(decoded, labels) if d is not None]
        result[name] = {
            "faces": len(ok), "detected": len(ok) / len(labels),
            "gender_accuracy": float(np.mean([d.gender[0] == lab[1] for d, lab in ok])),
            "age_mae_years": float(np.mean([abs(d.age_years[0] - lab[0]) for d, lab in ok])),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-detectors"))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--frames", type=int, default=300, help="composed frames per set")
    parser.add_argument("--negatives", type=int, default=300, help="face-free crops")
    parser.add_argument("--model", type=Path, help="an exported .tflite for the classifier-on-crops check")
    parser.add_argument("--classifier-only", action="store_true",
                        help="reuse OUT/detectors.json's detector figures and choice; add only the --model check")
    parser.add_argument("--closeup-only", action="store_true",
                        help="reuse OUT/detectors.json; add only the close-up check (validation chips)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.closeup_only:
        report = json.loads((args.out / "detectors.json").read_text())
        utk = load_dataset(args.data / "utkface", "utkface").records
        closeup_check(report, [utk[i].path for i in holdout_split(utk, 0.15, 0.1, 42).val], 200)
        choose(report)
        (args.out / "detectors.json").write_text(json.dumps(report, indent=2) + "\n")
        print(markdown(report))
        return
    if args.classifier_only:
        report = json.loads((args.out / "detectors.json").read_text())
        utk = load_dataset(args.data / "utkface", "utkface").records
        split = holdout_split(utk, 0.15, 0.1, 42)
        report["classifier_check"] = classifier_check(args.model, [utk[i] for i in split.test], np.random.default_rng(11),
                                                      report["chosen_detector"], report["chosen_margin"], 400)
        report["classifier_model"] = str(args.model)
        (args.out / "detectors.json").write_text(json.dumps(report, indent=2) + "\n")
        print(markdown(report))
        return

    utk = load_dataset(args.data / "utkface", "utkface").records
    split = holdout_split(utk, 0.15, 0.1, 42)  # `edge train`'s defaults: the same val/test chips
    val = [utk[i].path for i in split.val]
    test_records = [utk[i] for i in split.test]
    test = [r.path for r in test_records]
    adience = [r.path for r in load_dataset(args.data / "adience", "adience").records]
    # Adience chips are framed looser than UTKFace's: its ground-truth box comes from its own
    # first 300 chips (by path), its frames from the rest.
    adience_canon, adience = adience[:300], adience[300:]
    print(f"chips: {len(val)} validation, {len(test)} test (UTKFace), {len(adience)} Adience", flush=True)

    rng = np.random.default_rng(7)
    sets = {
        "val": [compose(rng, val, val) for _ in range(args.frames)],
        "test": [compose(rng, test, test) for _ in range(args.frames)],
        "adience": [compose(rng, adience, adience) for _ in range(args.frames)],
    }
    upright_val = [compose(rng, val, val, upright=True, blur=False) for _ in range(args.frames)]
    negatives = []
    for _ in range(args.negatives):
        side = int(rng.integers(160, 641))
        negatives.append(background(rng, side, int(side * rng.uniform(0.75, 1.33)), val)[0])

    report = {"machine": "2-core CPU machine, no GPU", "frames_per_set": args.frames, "detectors": {}}
    for name in DETECTORS:
        detector = FaceDetector(name, min_face_px=MIN_FACE_PX)
        canonical, clean_rate = canonical_box(detector, val[:300])
        adience_box, _ = canonical_box(detector, adience_canon)
        entry = {"canonical_box_chip_units": {"utkface": canonical, "adience": adience_box},
                 "clean_chip_detection_rate": clean_rate}
        for set_name, frames in sets.items():
            entry[set_name] = evaluate_detection(detector, adience_box if set_name == "adience" else canonical, frames,
                                                 negatives if set_name == "val" else [])
        entry["margin"] = margin_sweep(detector, upright_val)
        report["detectors"][name] = entry
        print(f"{name}: val recall {entry['val']['recall']:.3f}, test recall {entry['test']['recall']:.3f}, "
              f"false-detection rate {entry['val']['false_detection_rate']:.3f}, "
              f"margin {entry['margin']['best_margin']}", flush=True)
    closeup_check(report, val, 200)
    choose(report)
    if args.model:
        report["classifier_model"] = str(args.model)
        report["classifier_check"] = classifier_check(args.model, test_records, np.random.default_rng(11), report["chosen_detector"],
                                                      report["chosen_margin"], 400)
    (args.out / "detectors.json").write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))


def markdown(report: dict) -> str:
    """The BENCHMARKS.md tables."""
    lines = ["| detector | set | faces | recall (IoU>=0.5) | mean IoU | false/frame | recall 8-15 % | 15-30 % | 30-50 % "
             "| rotated >15 deg | blurred | face-free crops with a detection | ms/frame |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, entry in report["detectors"].items():
        for set_name in ("val", "test", "adience"):
            r = entry[set_name]
            size = list(r["recall_by_size"].values())
            ffr = f"{r['false_detection_rate']:.1%} of {r['face_free_crops']}" if r["face_free_crops"] else ""
            lines.append(f"| {name} | {set_name} | {r['faces']} | {r['recall']:.3f} | {r['mean_iou']:.3f} | "
                         f"{r['false_per_frame']:.3f} | {size[0]:.3f} | {size[1]:.3f} | {size[2]:.3f} | "
                         f"{r['recall_by_angle']['|angle|>15']:.3f} | {r['recall_blurred']:.3f} | {ffr} | "
                         f"{r['median_ms_per_frame']:.1f} |")
    if all("closeup" in e for e in report["detectors"].values()):
        lines += ["", "| detector | close-up recall (val, face 50-100 % of the shorter side) | bare chips with a detection |",
                  "|---|---:|---:|"]
        for name, entry in report["detectors"].items():
            c = entry["closeup"]
            lines.append(f"| {name} | {c['recall']:.3f} of {c['frames']} | {c['bare_chip_detection_rate']:.3f} of {c['bare_chips']} |")
    lines += ["", "| detector | best margin (val, upright) | mean IoU with the chip square | median per-face margin | "
              "IoU at 0.2 |", "|---|---:|---:|---:|---:|"]
    for name, entry in report["detectors"].items():
        m = entry["margin"]
        lines.append(f"| {name} | {m['best_margin']} | {m['best_mean_iou']:.3f} | {m['median_per_face_margin']:.3f} | "
                     f"{m['mean_iou_by_margin'].get(0.2, float('nan')):.3f} |")
    if "classifier_check" in report:
        lines += ["", "| input to the classifier (UTKFace test chips) | faces | detected | gender acc | age MAE (years) |",
                  "|---|---:|---:|---:|---:|"]
        for name, r in report["classifier_check"].items():
            lines.append(f"| {name} | {r['faces']} | {r['detected']:.3f} | {r['gender_accuracy']:.3f} | "
                         f"{r['age_mae_years']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
