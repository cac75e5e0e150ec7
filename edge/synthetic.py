"""A small labelled synthetic face-like image set for the smoke run.

No real face dataset ships with the code (licences), so the built-in default run draws
cartoon faces whose appearance depends on the label (age -> face size, wrinkle lines and
hair grey level; gender -> hair length and lip color). It proves the pipeline runs end to
end. It says NOTHING about accuracy on real faces: every report built on it is labelled
SMOKE DATASET.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SMOKE_LABEL = "SMOKE DATASET (synthetic cartoon faces: proves the pipeline runs, not accuracy)"


def make_smoke_dataset(out_dir: Path, count: int = 480, seed: int = 0, size: int = 96) -> Path:
    """Write ``count`` PNG faces and a ``manifest.csv`` (path,age,gender) into ``out_dir``."""
    import cv2

    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(count):
        age = int(rng.integers(1, 90))
        gender = int(rng.integers(0, 2))
        image = _draw_face(rng, age, gender, size)
        name = f"images/face_{index:04d}.png"
        cv2.imwrite(str(out_dir / name), image)
        rows.append((name, age, gender))
    manifest = out_dir / "manifest.csv"
    with open(manifest, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "age", "gender"])
        writer.writerows(rows)
    (out_dir / "README.txt").write_text(SMOKE_LABEL + "\n")
    return manifest


def _draw_face(rng: np.random.Generator, age: int, gender: int, size: int) -> np.ndarray:
    import cv2

    background = tuple(int(v) for v in rng.integers(40, 220, 3))
    image = np.full((size, size, 3), background, dtype=np.uint8)
    center = (size // 2 + int(rng.integers(-3, 4)), size // 2 + int(rng.integers(-3, 4)))
    scale = 0.28 + 0.1 * min(age, 20) / 20  # children's faces drawn smaller
    axes = (int(size * scale), int(size * scale * 1.25))
    skin = tuple(int(v) for v in np.clip(np.array([150, 180, 220]) + rng.integers(-30, 30, 3), 0, 255))
    grey = int(np.clip(30 + age * 2.4, 0, 230))  # hair greys with age
    hair = (grey, grey, grey)
    hair_length = int(axes[1] * (1.4 if gender == 1 else 0.6))
    cv2.ellipse(image, (center[0], center[1] - axes[1] // 4), (axes[0] + 6, hair_length), 0, 180, 360, hair, -1)
    if gender == 1:
        cv2.rectangle(image, (center[0] - axes[0] - 6, center[1] - axes[1] // 4),
                      (center[0] + axes[0] + 6, center[1] + axes[1] // 2), hair, -1)
    cv2.ellipse(image, center, axes, 0, 0, 360, skin, -1)
    eye_y = center[1] - axes[1] // 5
    for side in (-1, 1):
        cv2.circle(image, (center[0] + side * axes[0] // 2, eye_y), max(2, size // 40), (40, 30, 20), -1)
    lips = (60, 60, 200) if gender == 1 else (90, 110, 150)
    cv2.ellipse(image, (center[0], center[1] + axes[1] // 2), (axes[0] // 3, max(2, size // 48)), 0, 0, 360, lips, -1)
    for line in range(min(age // 15, 5)):  # wrinkle lines on the forehead
        y = center[1] - axes[1] // 2 + line * 3
        cv2.line(image, (center[0] - axes[0] // 2, y), (center[0] + axes[0] // 2, y), (90, 100, 120), 1)
    noise = rng.normal(0, 6, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)
