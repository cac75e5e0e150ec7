"""The ONE implementation of decode -> (optional face crop) -> resize -> scale.

Training, int8 calibration, validation, prediction and the golden vectors for the Android
app all go through these functions, driven by a ``Spec``. Pixels are kept as uint8 after the
resize (that is what the image cache stores); ``to_model_input`` applies the spec's scaling.

Color conversion: images decode to BGR (OpenCV), then ``rgb`` converts to RGB order and
``gray`` uses OpenCV's BT.601 luma (0.299 R + 0.587 G + 0.114 B). Alpha is dropped, 16-bit
images are reduced to 8 bits, grayscale files are expanded, all by ``cv2.IMREAD_COLOR``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from typing import Callable, Iterator

import numpy as np

from edge.spec import FaceCropSpec, Spec

_JPEG_START = b"\xff\xd8"
_JPEG_END = b"\xff\xd9"
_MAX_FILE_BYTES = 200 * 1024 * 1024  # a 200 MB "image" is not a face chip; refuse it early
# Decoded pixels allowed per image (a 64 MP photo is 192 MB as BGR; training decodes several at once).
# The dimensions are read from the file's header BEFORE decoding, so a few-KB file that claims to be
# 65000 x 65000 costs nothing. The README states this limit.
MAX_IMAGE_PIXELS = 64_000_000
TOO_LARGE = f"image too large (over {MAX_IMAGE_PIXELS // 1_000_000} megapixels by its header; not decoded)"
# Only formats whose header ``image_dimensions`` reads (JPEG, PNG, BMP, WebP, TIFF, GIF, PNM) reach
# the decoder, so every size is known before decoding; OpenCV's other decoders (JPEG 2000, AVIF,
# OpenEXR, HDR, PFM, Sun raster) are not offered a file at all.
# OpenCV's own limit, as a second fence behind the header check; it is read when cv2 is first
# imported, so it only takes effect where this module imports cv2 first.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))


class ImageError(Exception):
    """An image that cannot be used; ``reason`` is a short, countable phrase."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _cv2():
    import cv2

    cv2.setLogLevel(0) if hasattr(cv2, "setLogLevel") else None  # libjpeg warnings are counted, not printed
    return cv2


def decode_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file into a BGR uint8 array, or raise ImageError with the reason.

    The one decode path of predict, benchmark, ``data inspect``, training and validation: the
    file size and the pixel count its header declares are checked before anything is decoded.
    """
    cv2 = _cv2()
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise ImageError("file not found") from None
    except OSError as error:
        raise ImageError(f"unreadable ({error.strerror})") from None
    if size == 0:
        raise ImageError("empty file (0 bytes)")
    if size > _MAX_FILE_BYTES:
        raise ImageError("file larger than 200 MB")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise ImageError(f"unreadable ({error.strerror})") from None
    raw = data.tobytes()
    is_jpeg = raw.startswith(_JPEG_START)
    dimensions, jpeg_has_end = _jpeg_header(raw) if is_jpeg else (image_dimensions(raw), True)
    if dimensions is not None and dimensions[0] * dimensions[1] > MAX_IMAGE_PIXELS:
        raise ImageError(TOO_LARGE)
    if is_jpeg and not jpeg_has_end:
        # OpenCV happily decodes a truncated JPEG with a grey bottom; that is not a face.
        raise ImageError("truncated JPEG (no end-of-image marker after the image data)")
    if dimensions is None or 0 in dimensions:  # a format edge does not read, or a damaged header
        raise ImageError("not a decodable image")
    try:
        if is_jpeg:
            image, warnings = _imdecode_capturing_warnings(cv2, data)
            if warnings:
                # libjpeg "recovers" from corrupt data by painting grey: count it, never train on it
                raise ImageError("corrupt JPEG data (decoder warning)")
        else:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:  # a decoder's own refusal (e.g. its pixel limit) is this file's problem only
        raise ImageError("not a decodable image") from None
    if image is None or image.size == 0:
        raise ImageError("not a decodable image")
    return image


def image_dimensions(raw: bytes) -> tuple[int, int] | None:
    """``(width, height)`` declared by an image file's header, or None for another format or a
    damaged header. JPEG, PNG, BMP, WebP, TIFF (the first page, as OpenCV decodes), GIF, PNM."""
    try:
        if raw.startswith(_JPEG_START):
            return _jpeg_header(raw)[0]
        if raw.startswith(b"\x89PNG\r\n\x1a\n") and raw[12:16] == b"IHDR":
            return _uint(raw, 16, 4, "big"), _uint(raw, 20, 4, "big")
        if raw.startswith(b"BM") and len(raw) >= 26:
            if _uint(raw, 14, 4) == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
                return _uint(raw, 18, 2), _uint(raw, 20, 2)
            width = int.from_bytes(raw[18:22], "little", signed=True)
            height = int.from_bytes(raw[22:26], "little", signed=True)  # negative: stored top-down
            return (abs(width), abs(height)) if width > 0 else None
        if raw.startswith(b"RIFF") and raw[8:12] == b"WEBP":
            return _webp_dimensions(raw)
        if raw[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            return _tiff_dimensions(raw)
        if raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
            return _uint(raw, 6, 2), _uint(raw, 8, 2)
        if len(raw) > 2 and raw[0:1] == b"P" and raw[1:2] in b"1234567" and raw[2:3].isspace():
            return _pnm_dimensions(raw)
    except (IndexError, ValueError):
        return None  # a header cut off inside its size fields
    return None


def _uint(raw: bytes, offset: int, length: int, byteorder: str = "little") -> int:
    if offset + length > len(raw):
        raise IndexError("header cut off")
    return int.from_bytes(raw[offset:offset + length], byteorder)  # type: ignore[arg-type]


def _webp_dimensions(raw: bytes) -> tuple[int, int] | None:
    chunk = raw[12:16]
    if chunk == b"VP8X":  # extended: 24-bit canvas width-1 and height-1
        return 1 + _uint(raw, 24, 3), 1 + _uint(raw, 27, 3)
    if chunk == b"VP8L":  # lossless: 14-bit width-1 and height-1 after the 0x2f signature
        bits = _uint(raw, 21, 4)
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":  # lossy: 14-bit sizes after the frame tag and its start code
        return _uint(raw, 26, 2) & 0x3FFF, _uint(raw, 28, 2) & 0x3FFF
    return None


def _tiff_dimensions(raw: bytes) -> tuple[int, int] | None:
    order = "little" if raw[:2] == b"II" else "big"
    big = _uint(raw, 2, 2, order) == 43  # BigTIFF: 64-bit offsets and counts
    offset = _uint(raw, 8, 8, order) if big else _uint(raw, 4, 4, order)
    count = _uint(raw, offset, 8 if big else 2, order)
    entry_size, first = (20, offset + 8) if big else (12, offset + 2)
    sizes = {}
    for position in range(first, first + min(count, 4096) * entry_size, entry_size):
        tag, kind = _uint(raw, position, 2, order), _uint(raw, position + 2, 2, order)
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4), stored inline
            value_at = position + (12 if big else 8)
            sizes[tag] = _uint(raw, value_at, 2 if kind == 3 else 4, order)
    return (sizes[256], sizes[257]) if len(sizes) == 2 else None


def _pnm_dimensions(raw: bytes) -> tuple[int, int] | None:
    header = raw[:4096]
    if header[1:2] == b"7":  # PAM: WIDTH and HEIGHT lines up to ENDHDR
        fields = dict(line.split(None, 1) for line in header.split(b"\n")[1:] if b" " in line.strip())
        return int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
    tokens = [t for line in header[2:].split(b"\n") for t in line.split(b"#", 1)[0].split()]
    return int(tokens[0]), int(tokens[1])


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT, JPG, DAC)


def _jpeg_header(raw: bytes) -> tuple[tuple[int, int] | None, bool]:
    """A JPEG's ``(width, height)`` from its frame header (None if none before the scan) and whether
    its end-of-image marker follows its image data.

    Walks the marker segments from the start (so the EOI of an EXIF thumbnail inside APP1 does not
    count) to the first start-of-scan, then looks for EOI after it. Bytes after the EOI are fine:
    phone cameras append maker data there.
    """
    dimensions = None
    position = 2
    while position + 4 <= len(raw):
        if raw[position] != 0xFF:
            return dimensions, False  # not a marker where one must be: damaged header
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return dimensions, raw.rfind(_JPEG_END) > position
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker in _SOF_MARKERS and dimensions is None and position + 9 <= len(raw):
            dimensions = (_uint(raw, position + 7, 2, "big"), _uint(raw, position + 5, 2, "big"))
        position += 2 + int.from_bytes(raw[position + 2:position + 4], "big")
    return dimensions, False


_WARNING_LOCK = threading.Lock()
_LIBJPEG_WARNINGS = (b"Corrupt JPEG data", b"Premature end of JPEG", b"Invalid SOS", b"Bogus", b"Warning")
_capture_file = None  # one scratch file per process for the decoder's stderr, reused under the lock


@contextlib.contextmanager
def captured_stderr() -> Iterator[Callable[[int], bytes]]:
    """Redirect file descriptor 2 (where libjpeg and FFmpeg write their warnings) to a scratch file.

    Yields ``written(since=0)``: what was written from byte ``since`` on. The descriptor is
    process-wide, so callers take turns here. One scratch file serves every call (this runs once per
    image of a dataset).
    """
    global _capture_file
    with _WARNING_LOCK:
        if _capture_file is None:
            _capture_file = tempfile.TemporaryFile()
        _capture_file.seek(0)
        _capture_file.truncate()
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(_capture_file.fileno(), 2)

        def written(since: int = 0) -> bytes:
            _capture_file.seek(since)
            return _capture_file.read()

        try:
            yield written
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _imdecode_capturing_warnings(cv2, data: np.ndarray):
    """``cv2.imdecode`` with libjpeg's warnings (written to fd 2, not raised) captured: (image, warned).

    Only libjpeg's own warning lines count; resizing and colour conversion still run in parallel.
    """
    with captured_stderr() as written:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        text = written()
    return image, any(marker in text for marker in _LIBJPEG_WARNINGS)


def crop_face(image_bgr: np.ndarray, face_crop: FaceCropSpec) -> np.ndarray:
    """Crop the largest detected face with the spec's square crop rule (docs/FACE_DETECTION.md).

    The detector and rule are ``edge.detect``'s, the same as predict, the phone and the browser.
    Raises ImageError("no face detected") only when ``on_miss`` is ``skip``.
    """
    from edge.detect import crop, detect_faces

    faces = detect_faces(image_bgr, color="bgr", detector=face_crop.detector, min_face_px=face_crop.min_face_px)
    if not faces:
        if face_crop.on_miss == "skip":
            raise ImageError("no face detected")
        return image_bgr
    return crop(image_bgr, faces[0], face_crop.margin)  # faces come largest first


def _interpolation_flag(name: str) -> int:
    cv2 = _cv2()
    return {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}[name]


def resize_and_convert(image_bgr: np.ndarray, spec: Spec) -> np.ndarray:
    """Resize to the spec's square size and convert color: returns HxWxC uint8."""
    cv2 = _cv2()
    size = spec.image_size
    resized = cv2.resize(image_bgr, (size, size), interpolation=_interpolation_flag(spec.interpolation))
    if spec.color == "gray":
        return cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY)[:, :, None]
    return cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)


def prepare_image(image_bgr: np.ndarray, spec: Spec) -> np.ndarray:
    """Decoded BGR image -> (face crop) -> resized uint8 HxWxC, per the spec."""
    if spec.face_crop.enabled:
        image_bgr = crop_face(image_bgr, spec.face_crop)
    return resize_and_convert(image_bgr, spec)


def load_image_uint8(path: str | os.PathLike, spec: Spec) -> np.ndarray:
    """Decode, crop and resize one file: uint8 HxWxC. Raises ImageError."""
    return prepare_image(decode_image(path), spec)


def to_model_input(pixels_uint8: np.ndarray, spec: Spec) -> np.ndarray:
    """Apply the spec's value scaling: float32 = uint8 * pixel_scale + pixel_offset."""
    return pixels_uint8.astype(np.float32) * np.float32(spec.pixel_scale) + np.float32(spec.pixel_offset)


def preprocess_file(path: str | os.PathLike, spec: Spec) -> np.ndarray:
    """The whole contract for one file: float32 HxWxC model input. Raises ImageError."""
    return to_model_input(load_image_uint8(path, spec), spec)
