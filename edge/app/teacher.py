"""``edge teacher pack|average``: a run's faces for a teacher trained elsewhere, and several teachers' labels as one.

A teacher is any larger model trained anywhere (``benchmarks/teacher/train_teacher.py`` trains one with
PyTorch on a GPU, outside the toolkit); edge only packs the faces it needs and reads back the labels
file it writes (the ``--teacher-labels`` format, ``edge/teacher.py``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from edge.layout import RunDir
from edge.errors import EdgeError
from edge.io import write_bytes_atomic

DEFAULT_QUALITY = 90


def pack_run(run: Path, out: Path, quality: int = DEFAULT_QUALITY) -> str:
    """Write the run's training and validation faces, exactly as the student sees them (the spec's crop and
    size), JPEG-encoded to travel small, with their labels and split; the test faces never leave. Returns a summary."""
    from PIL import Image

    from edge.spec import Spec
    from edge.teacher import relative_key
    from edge.train.run_data import load_run_data, split_info

    info = split_info(run)
    if info.get("extra_data"):  # teacher files name faces relative to one dataset (edge/teacher.py)
        raise EdgeError(f"{run} trained with --extra-data; a teacher labels --data's faces only: pack a run without it")
    spec = Spec.load(RunDir(run).spec_json)
    data = load_run_data(run, spec)
    keep = np.concatenate([data.split.train, data.split.val])
    blobs = []
    for image in data.images[keep]:
        buffer = io.BytesIO()
        Image.fromarray(image.squeeze()).save(buffer, "JPEG", quality=quality)
        blobs.append(buffer.getvalue())
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, jpeg=np.frombuffer(b"".join(blobs), np.uint8), offsets=offsets,
             paths=np.asarray([relative_key(data.paths[i], info["data"]) for i in keep]),
             age_years=data.targets.age_years[keep].astype(np.float32),
             age_class=data.targets.age_class[keep].astype(np.int16), gender=data.targets.gender[keep].astype(np.int8),
             centers=np.asarray(spec.age_class_centers, np.float32),
             train=np.arange(len(data.split.train)), val=len(data.split.train) + np.arange(len(data.split.val)))
    write_bytes_atomic(Path(out), buffer.getvalue())  # a half-written pack never looks like a whole one
    return (f"{out}: {len(blobs):,} faces, {offsets[-1] / 2**20:.1f} MiB of JPEG (train {len(data.split.train):,}, "
            f"val {len(data.split.val):,}; the {len(data.split.test):,} test faces stay here)")


def average_teachers(out: Path, inputs: list[Path]) -> str:
    """Average several teachers' label files over the same faces into one (seeds label better together)."""
    if len(inputs) < 2:
        raise EdgeError("edge teacher average needs at least two label files to average")
    files = []
    for path in inputs:
        try:
            with np.load(path, allow_pickle=False) as content:
                files.append(dict(content))
        except Exception as error:  # a missing, truncated or foreign file
            raise EdgeError(f"{path}: not a readable teacher labels file ({type(error).__name__}: {error})") from None
    first = files[0]
    for path, other in zip(inputs[1:], files[1:]):
        if not np.array_equal(other["paths"], first["paths"]) or str(other["label_scheme"]) != str(first["label_scheme"]):
            raise EdgeError(f"{path}: other faces or another label scheme than {inputs[0]}: average files of one pack")
    age = np.mean([np.asarray(f["age_distribution"], np.float32) for f in files], axis=0)
    gender = np.mean([np.asarray(f["gender_prob"], np.float32) for f in files], axis=0)
    sources = "; ".join(str(f.get("source", "?")) for f in files)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, paths=first["paths"], age_distribution=age.astype(np.float16),
                        gender_prob=gender.astype(np.float16), label_scheme=first["label_scheme"],
                        source=np.asarray(f"mean of {len(files)}: {sources}"))
    write_bytes_atomic(Path(out), buffer.getvalue())
    return f"{out}: {len(gender):,} faces, mean of {len(files)} teachers"
