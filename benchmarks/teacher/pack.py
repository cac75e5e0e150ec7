"""Pack a run's faces for a teacher trained elsewhere (e.g. on a GPU machine without TensorFlow).

Usage: .venv/bin/python benchmarks/teacher/pack.py RUN OUT.npz [--quality 90]

Writes the run's images exactly as the student sees them (the spec's crop and size, from the
decoded-image cache), JPEG-encoded to travel small, with their targets and the split: the teacher
trains on the student's training faces, is checked on its validation faces, and never receives a
test face (they are left out of the file).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from edge.io import write_bytes_atomic  # noqa: E402
from edge.spec import Spec  # noqa: E402
from edge.teacher import relative_key  # noqa: E402
from edge.train.run_data import load_run_data, split_info  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--quality", type=int, default=90)
    args = parser.parse_args()
    info = split_info(args.run)
    if info.get("extra_data"):  # teacher files name faces relative to one dataset (edge/teacher.py)
        sys.exit(f"pack.py: {args.run} trained with --extra-data; a teacher labels --data's faces only: pack a run without it")
    spec = Spec.load(args.run / "spec.json")
    data = load_run_data(args.run, spec)
    data_dir = info["data"]  # the teacher file's paths are relative to it (edge/teacher.py)
    keep = np.concatenate([data.split.train, data.split.val])
    blobs = []
    for image in data.images[keep]:
        buffer = io.BytesIO()
        Image.fromarray(image.squeeze()).save(buffer, "JPEG", quality=args.quality)
        blobs.append(buffer.getvalue())
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, jpeg=np.frombuffer(b"".join(blobs), np.uint8), offsets=offsets,
             paths=np.asarray([relative_key(data.paths[i], data_dir) for i in keep]), age_years=data.targets.age_years[keep].astype(np.float32),
             age_class=data.targets.age_class[keep].astype(np.int16), gender=data.targets.gender[keep].astype(np.int8),
             centers=np.asarray(spec.age_class_centers, np.float32),
             train=np.arange(len(data.split.train)), val=len(data.split.train) + np.arange(len(data.split.val)))
    write_bytes_atomic(args.out, buffer.getvalue())  # a half-written pack never looks like a whole one
    print(f"{args.out}: {len(blobs):,} faces, {offsets[-1] / 2**20:.1f} MiB of JPEG "
          f"(train {len(data.split.train):,}, val {len(data.split.val):,}; the {len(data.split.test):,} test faces stay here)")


if __name__ == "__main__":
    main()
