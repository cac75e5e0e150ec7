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
TFLITE_IDENTIFIER = b"TFL3"  # the flatbuffer file identifier, bytes 4..8 of every .tflite
# Bounds checked before a file or the spec entry is read whole (README, "What edge promises"): edge's
# exports are a few MB and their specs a few KB, so these leave a wide margin and stop a mistaken or
# hostile file from taking the machine's memory.
MAX_MODEL_BYTES = 256 * 1024 * 1024
MAX_SPEC_BYTES = 1024 * 1024


def read_model_bytes(path: Path) -> bytes:
    """A ``.tflite`` file's bytes, after its TFLite identifier (its first 8 bytes) and size were checked.

    EdgeError naming the file when it is missing, empty, not a TFLite model or over ``MAX_MODEL_BYTES``.
    """
    path = Path(path)
    if not path.is_file():
        raise EdgeError(f"model not found: {path}")
    with open(path, "rb") as stream:
        check_tflite_bytes(stream.read(8), str(path))
        stream.seek(0)
        data = stream.read(MAX_MODEL_BYTES + 1)  # bounded even if the file grows while being read
    if len(data) > MAX_MODEL_BYTES:
        raise EdgeError(f"{path} is larger than {MAX_MODEL_BYTES // 2**20} MB, far beyond any edge export: "
                        "point at a .tflite written by `edge export`")
    return data


def check_tflite_bytes(model_bytes: bytes, where: str) -> None:
    """EdgeError naming the file when the bytes cannot be a TFLite model at all."""
    if not model_bytes:
        raise EdgeError(f"{where} is an empty file (0 bytes): re-export it with `edge export`")
    if model_bytes[4:8] != TFLITE_IDENTIFIER:
        kind = "a JPEG image" if model_bytes.startswith(b"\xff\xd8") else (
            "a PNG image" if model_bytes.startswith(b"\x89PNG") else "some other file")
        raise EdgeError(f"{where} is not a TFLite model (no TFL3 identifier; it looks like {kind}): "
                        "point at a .tflite written by `edge export`")


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
    return embed_spec_text(model_bytes, spec.to_json())


def embed_spec_text(model_bytes: bytes, text: str, compression: int = zipfile.ZIP_STORED) -> bytes:
    """``embed_spec`` for spec JSON text as it is (tests build damaged specs with it)."""
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(SPEC_ENTRY, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: same spec, same bytes
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr(entry, text, compress_type=compression)
    return strip_appended_archive(model_bytes) + buffer.getvalue()


def read_spec_bytes(model_bytes: bytes, where: str = "this .tflite") -> Spec:
    """Read the embedded spec from a model's bytes; EdgeError naming ``where`` if it has none."""
    check_tflite_bytes(model_bytes, where)
    too_large = EdgeError(f"{where}: its embedded spec is larger than {MAX_SPEC_BYTES // 1024} KB, not one edge "
                          "wrote: re-export it with `edge export`")
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            entry = archive.getinfo(SPEC_ENTRY)
            if entry.file_size > MAX_SPEC_BYTES:  # the declared size, before anything is inflated
                raise too_large
            with archive.open(entry) as stream:
                data = stream.read(MAX_SPEC_BYTES + 1)  # the actual size, whatever the header declared
            if len(data) > MAX_SPEC_BYTES:
                raise too_large
            text = data.decode("utf-8")
    except (zipfile.BadZipFile, KeyError, EOFError, zipfile.LargeZipFile):
        raise EdgeError(f"{where} has no embedded edge spec (not exported by edge, or its end was cut off): "
                        "re-export it with `edge export`") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise EdgeError(f"{where}: its embedded spec is damaged ({type(error).__name__}): re-export it with `edge export`") from None
    try:
        return Spec.from_json(text)
    except EdgeError as error:
        raise EdgeError(f"{where}: its embedded spec is invalid: {error.message}; re-export it with `edge export`") from None
    except (ValueError, KeyError, TypeError) as error:
        raise EdgeError(f"{where}: its embedded spec is damaged ({type(error).__name__}): re-export it with `edge export`") from None


def read_spec(model_path: Path) -> Spec:
    """Read the embedded spec of a ``.tflite`` file."""
    path = Path(model_path)
    return read_spec_checked(read_model_bytes(path), str(path))


def read_spec_checked(model_bytes: bytes, where: str) -> Spec:
    """``read_spec_bytes``, but a file whose spec is missing because the file itself is cut off or
    damaged is reported as "truncated or corrupt" (the runtime is asked whether it can load it)."""
    try:
        return read_spec_bytes(model_bytes, where)
    except EdgeError:
        if model_bytes[4:8] == TFLITE_IDENTIFIER:
            from edge.interpreter import make_interpreter

            make_interpreter(model_bytes, 1, where)  # raises the "truncated or corrupt" error when it cannot load
        raise
