"""The spec embedded in every exported ``.tflite``.

The spec JSON is stored as ``edge_spec.json`` in a ZIP archive appended to the TFLite
flatbuffer (the same layout TFLite metadata uses for associated files). Interpreters ignore
the trailing bytes; any ZIP reader finds the archive from the end of the file, so the spec
can be read back from the model bytes alone, without TensorFlow: ``zipfile`` in Python,
``java.util.zip`` on Android.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from edge.errors import EdgeError
from edge.spec import Spec

SPEC_ENTRY = "edge_spec.json"


def strip_appended_archive(model_bytes: bytes) -> bytes:
    """The flatbuffer without an appended spec archive (so re-embedding is idempotent)."""
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            if SPEC_ENTRY not in archive.namelist():
                return model_bytes
    except zipfile.BadZipFile:
        return model_bytes
    return model_bytes[:len(model_bytes) - _archive_length(model_bytes)]


def _archive_length(data: bytes) -> int:
    """Length of the ZIP archive written by ``embed_spec`` at the end of ``data``.

    Its central-directory offset is relative to the archive start, so the archive spans
    offset + directory size + the end record (with its comment).
    """
    end = data.rfind(b"PK\x05\x06")
    directory_size = int.from_bytes(data[end + 12:end + 16], "little")
    directory_offset = int.from_bytes(data[end + 16:end + 20], "little")
    return directory_offset + directory_size + (len(data) - end)


def embed_spec(model_bytes: bytes, spec: Spec) -> bytes:
    """Return the model bytes with ``spec`` appended as ``edge_spec.json`` in a ZIP."""
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(SPEC_ENTRY, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: same spec, same bytes
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(entry, spec.to_json())
    return strip_appended_archive(model_bytes) + buffer.getvalue()


def read_spec_bytes(model_bytes: bytes) -> Spec:
    """Read the embedded spec from a model's bytes; EdgeError if it has none."""
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            return Spec.from_json(archive.read(SPEC_ENTRY).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError):
        raise EdgeError("this .tflite has no embedded edge spec: export it with `edge export`") from None


def read_spec(model_path: Path) -> Spec:
    """Read the embedded spec of a ``.tflite`` file."""
    path = Path(model_path)
    if not path.is_file():
        raise EdgeError(f"model not found: {path}")
    return read_spec_bytes(path.read_bytes())
