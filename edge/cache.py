"""Decoded-image cache: the second run of any command skips decoding.

``load_images`` decodes + crops + resizes every record's file once (in parallel threads:
OpenCV releases the GIL) and stores the uint8 array on disk, keyed by the spec's
preprocessing fields and the file list (path, size, mtime). The cache directory is
``$EDGE_CACHE_DIR`` or ``~/.cache/edge``.

Size cap: after every write the entries edge made are trimmed, least recently used first, to
``$EDGE_CACHE_MAX_SIZE`` (bytes, or with a K/M/G/T suffix; default 4G, ``0`` turns caching off).
An entry is the pair ``<32 hex>.npy`` + ``<32 hex>.json``; a hit touches the ``.json`` so its
mtime is the entry's last use. Edge records every key it writes in its ledger
``.edge-cache-entries`` (in the cache directory) before writing the entry: only files of a
recorded key (and edge's own temp files of one) are ever listed as edge's or deleted; whatever
else lives in the directory, even a file named like an entry, is left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from edge.datasets import FaceRecord, SkipLog
from edge.errors import EdgeError
from edge.io import write_bytes_atomic, write_json_atomic
from edge.preprocess import ImageError, load_image_uint8
from edge.spec import Spec

CACHE_FORMAT = 1
MAX_SIZE_ENV = "EDGE_CACHE_MAX_SIZE"
DEFAULT_MAX_SIZE = "4G"  # UTKFace at 64x64 RGB is ~0.3 GB: room for every family's input size of both datasets
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_ENTRY_FILE = re.compile(r"^([0-9a-f]{32})\.(npy|json)$")
_TEMP_FILE = re.compile(r"^\.[0-9a-f]{32}\.(npy|json)\..+\.tmp$")  # write_bytes_atomic's temp names
STALE_TEMP_SECONDS = 3600  # a temp file this old belongs to a dead process, not a write in progress
LEDGER = ".edge-cache-entries"  # the keys edge wrote, one per line (appended; proof of ownership)


def _ledger_keys(directory: Path) -> set[str]:
    """The entry keys edge recorded in ``directory`` (empty when it never wrote there)."""
    try:
        text = (directory / LEDGER).read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    return {line for line in text.split() if re.fullmatch(r"[0-9a-f]{32}", line)}


def _record_key(directory: Path, key: str) -> None:
    """Append ``key`` to the ledger before its files are written (one small O_APPEND write: safe across processes)."""
    handle = os.open(directory / LEDGER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(handle, f"{key}\n".encode())
    finally:
        os.close(handle)


@dataclass
class ImageSet:
    """Decoded images (uint8 N x H x W x C) and the records they belong to, in order."""

    images: np.ndarray
    records: list[FaceRecord]
    skipped: SkipLog
    from_cache: bool


def cache_dir() -> Path:
    """The decoded-image cache directory: ``$EDGE_CACHE_DIR`` or ``~/.cache/edge``."""
    return Path(os.environ.get("EDGE_CACHE_DIR") or Path.home() / ".cache" / "edge")


def max_cache_bytes() -> int:
    """The size cap from ``$EDGE_CACHE_MAX_SIZE`` (e.g. ``4G``, ``500M``, ``123456``); 0 disables the cache."""
    text = os.environ.get(MAX_SIZE_ENV, "").strip() or DEFAULT_MAX_SIZE
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", text.upper())
    if not match:
        raise EdgeError(f"{MAX_SIZE_ENV}={text!r} is not a size: use bytes or a number with K, M, G or T "
                        f"(e.g. {DEFAULT_MAX_SIZE}; 0 turns the cache off)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])


@dataclass
class CacheEntry:
    """One cached image array and its index, as edge wrote them."""

    key: str
    files: list[Path]
    size_bytes: int
    last_used: float  # mtime of the index (touched on every hit)
    images: int | None


@dataclass
class CacheInfo:
    """What ``edge cache info`` shows: edge's entries (newest use first) and what else is there."""

    directory: Path
    max_bytes: int
    entries: list[CacheEntry]
    stale_temp_files: list[Path]
    foreign_files: int  # files edge did not write (never touched)

    @property
    def total_bytes(self) -> int:
        return sum(e.size_bytes for e in self.entries) + sum(_size(p) for p in self.stale_temp_files)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_index(path: Path) -> dict | None:
    """The parsed index if ``path`` is one edge wrote (keys ``failures`` and ``count``), else None."""
    try:
        index = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(index, dict) and isinstance(index.get("failures"), dict) and isinstance(index.get("count"), int):
        return index
    return None


def _is_image_array(path: Path) -> bool:
    """True for a .npy holding a uint8 N x H x W x C array (an entry whose index write never happened)."""
    try:
        with open(path, "rb") as stream:
            version = np.lib.format.read_magic(stream)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(stream)
        return dtype == np.uint8 and len(shape) == 4
    except (OSError, ValueError):
        return False


def scan_cache(directory: Path | None = None) -> CacheInfo:
    """List the cache: edge's complete or half-written entries, stale temp files, and foreign files."""
    directory = Path(directory or cache_dir())
    names = sorted(p for p in directory.iterdir() if p.is_file() and p.name != LEDGER) if directory.is_dir() else []
    recorded = _ledger_keys(directory)
    by_key: dict[str, dict[str, Path]] = {}
    stale, foreign = [], 0
    now = time.time()
    for path in names:
        match = _ENTRY_FILE.match(path.name)
        if match:
            by_key.setdefault(match.group(1), {})[match.group(2)] = path
        elif _TEMP_FILE.match(path.name) and path.name[1:33] in recorded:
            try:
                if now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    stale.append(path)
            except OSError:
                pass  # finished (renamed) meanwhile
        else:
            foreign += 1
    entries = []
    for key, parts in by_key.items():
        index = _read_index(parts["json"]) if "json" in parts else None
        ours = key in recorded and (index is not None if "json" in parts else _is_image_array(parts["npy"]))
        if not ours:
            foreign += len(parts)  # named like an entry but not what edge writes: not ours to delete
            continue
        files = list(parts.values())
        last_used = max((p.stat().st_mtime for p in files if p.exists()), default=0.0) if index is None \
            else parts["json"].stat().st_mtime
        entries.append(CacheEntry(key, files, sum(_size(p) for p in files), last_used,
                                  index["count"] if index else None))
    entries.sort(key=lambda e: e.last_used, reverse=True)
    return CacheInfo(directory, max_cache_bytes(), entries, stale, foreign)


def _remove(paths: list[Path]) -> int:
    freed = 0
    for path in paths:
        size = _size(path)
        try:
            path.unlink()
            freed += size
        except FileNotFoundError:
            pass  # another process removed it first
    return freed


def clear_cache(directory: Path | None = None) -> tuple[int, int, int]:
    """Delete every entry edge wrote (and its stale temp files); returns (entries, bytes freed, files kept)."""
    info = scan_cache(directory)
    freed = _remove([p for e in info.entries for p in e.files] + info.stale_temp_files)
    return len(info.entries), freed, info.foreign_files


def enforce_cache_limit(keep: str | None = None, directory: Path | None = None) -> list[str]:
    """Evict least recently used entries until edge's files fit the cap; never ``keep``. Returns evicted keys."""
    info = scan_cache(directory)
    _remove(info.stale_temp_files)  # left by killed processes: never worth keeping
    total = sum(e.size_bytes for e in info.entries)
    evicted = []
    for entry in reversed(info.entries):  # oldest use first
        if total <= info.max_bytes:
            break
        if entry.key == keep:
            continue
        total -= entry.size_bytes
        _remove(entry.files)
        evicted.append(entry.key)
    return evicted


def cache_key(records: Sequence[FaceRecord], spec: Spec) -> str:
    """Hash of the preprocessing fields and each file's (path, size, mtime)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": CACHE_FORMAT, **spec.preprocessing_key()}, sort_keys=True).encode())
    for record in records:
        try:
            stat = os.stat(record.path)
            # os.fsencode: a file name that is not valid UTF-8 hashes by its real bytes
            digest.update(os.fsencode(record.path) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(os.fsencode(record.path) + b"\0missing\n")
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
    limit = max_cache_bytes() if use_cache else 0
    if limit and array_path.is_file() and index_path.is_file():
        try:
            index = json.loads(index_path.read_text())
            images = np.load(array_path)
            os.utime(index_path)  # last use, for least-recently-used eviction
            return _assemble(records, images, index["failures"], from_cache=True)
        except (OSError, ValueError, KeyError):
            pass  # a damaged (or just evicted) cache entry is rebuilt below

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
    if limit and images.nbytes <= limit:  # an array larger than the whole cap is not cached at all
        try:
            import io

            buffer = io.BytesIO()
            np.save(buffer, images)
            array_path.parent.mkdir(parents=True, exist_ok=True)
            _record_key(array_path.parent, key)
            write_bytes_atomic(array_path, buffer.getvalue())
            write_json_atomic(index_path, {"failures": failures, "count": len(records)})
            enforce_cache_limit(keep=key)
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
