"""Decoded-image cache: the second run of any command skips decoding.

``load_images`` decodes + crops + resizes every record's file once (in parallel threads:
OpenCV releases the GIL) and stores the uint8 array on disk, keyed by the spec's
preprocessing fields and the file list (path, size, mtime). The cache directory is
``$EDGE_CACHE_DIR`` or ``~/.cache/edge``.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from edge.datasets import FaceRecord, SkipLog
from edge.io import write_bytes_atomic, write_json_atomic
from edge.preprocess import ImageError, load_image_uint8
from edge.spec import Spec

CACHE_FORMAT = 1


@dataclass
class ImageSet:
    """Decoded images (uint8 N x H x W x C) and the records they belong to, in order."""

    images: np.ndarray
    records: list[FaceRecord]
    skipped: SkipLog
    from_cache: bool


def cache_dir() -> Path:
    return Path(os.environ.get("EDGE_CACHE_DIR") or Path.home() / ".cache" / "edge")


def cache_key(records: Sequence[FaceRecord], spec: Spec) -> str:
    """Hash of the preprocessing fields and each file's (path, size, mtime)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": CACHE_FORMAT, **spec.preprocessing_key()}, sort_keys=True).encode())
    for record in records:
        try:
            stat = os.stat(record.path)
            digest.update(f"{record.path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{record.path}\0missing\n".encode())
    return digest.hexdigest()[:32]


def _decode_one(path: str, spec: Spec) -> np.ndarray | str:
    try:
        return load_image_uint8(path, spec)
    except ImageError as error:
        return error.reason


def load_images(
    records: Sequence[FaceRecord],
    spec: Spec,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> ImageSet:
    """Decode the records' images per ``spec``; bad files are counted in ``skipped``.

    ``progress(done, total)`` is called while decoding (not when served from cache).
    """
    records = list(records)
    key = cache_key(records, spec)
    array_path = cache_dir() / f"{key}.npy"
    index_path = cache_dir() / f"{key}.json"
    if use_cache and array_path.is_file() and index_path.is_file():
        try:
            index = json.loads(index_path.read_text())
            images = np.load(array_path)
            return _assemble(records, images, index["failures"], from_cache=True)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is rebuilt below

    height = width = spec.image_size
    images = np.zeros((len(records), height, width, spec.channels), dtype=np.uint8)
    failures: dict[str, str] = {}
    workers = workers or min(8, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for position, result in enumerate(pool.map(lambda r: _decode_one(r.path, spec), records, chunksize=64)):
            if isinstance(result, str):
                failures[str(position)] = result
            else:
                images[position] = result
            if progress and (position % 256 == 0 or position == len(records) - 1):
                progress(position + 1, len(records))
    if use_cache:
        try:
            import io

            buffer = io.BytesIO()
            np.save(buffer, images)
            write_bytes_atomic(array_path, buffer.getvalue())
            write_json_atomic(index_path, {"failures": failures, "count": len(records)})
        except OSError:
            pass  # a read-only cache location only costs speed
    return _assemble(records, images, failures, from_cache=False)


def _assemble(records: list[FaceRecord], images: np.ndarray, failures: dict[str, str], from_cache: bool) -> ImageSet:
    skipped = SkipLog()
    keep = np.ones(len(records), dtype=bool)
    for position, reason in failures.items():
        keep[int(position)] = False
        skipped.add(reason, Path(records[int(position)].path).name)
    if keep.all():
        return ImageSet(images, records, skipped, from_cache)
    kept_records = [r for r, k in zip(records, keep) if k]
    return ImageSet(images[keep], kept_records, skipped, from_cache)
