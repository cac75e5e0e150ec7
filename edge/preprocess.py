"""The ONE implementation of decode -> (optional face crop) -> resize -> scale.

Training, int8 calibration, validation, prediction and the golden vectors for the Android
app all go through these functions, driven by a ``Spec``. Pixels are kept as uint8 after the
resize (that is what the image cache stores); ``to_model_input`` applies the spec's scaling.

Color conversion: images decode to BGR (OpenCV), then ``rgb`` converts to RGB order and
``gray`` uses OpenCV's BT.601 luma (0.299 R + 0.587 G + 0.114 B). Alpha is dropped, 16-bit
images are reduced to 8 bits, grayscale files are expanded, all by ``cv2.IMREAD_COLOR``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

import numpy as np

from edge.spec import FaceCropSpec, Spec

_JPEG_START = b"\xff\xd8"
_JPEG_END = b"\xff\xd9"
_MAX_FILE_BYTES = 200 * 1024 * 1024  # a 200 MB "image" is not a face chip; refuse it early


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
    """Read an image file into a BGR uint8 array, or raise ImageError with the reason."""
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
    if raw.startswith(_JPEG_START):
        if not _jpeg_has_end(raw):
            # OpenCV happily decodes a truncated JPEG with a grey bottom; that is not a face.
            raise ImageError("truncated JPEG (no end-of-image marker after the image data)")
        image, warnings = _imdecode_capturing_warnings(cv2, data)
        if warnings:
            # libjpeg "recovers" from corrupt data by painting grey: count it, never train on it
            raise ImageError("corrupt JPEG data (decoder warning)")
    else:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ImageError("not a decodable image")
    return image


def _jpeg_has_end(raw: bytes) -> bool:
    """Whether a JPEG's end-of-image marker follows its image data.

    Walks the marker segments from the start (so the EOI of an EXIF thumbnail inside APP1 does not
    count) to the first start-of-scan, then looks for EOI after it. Bytes after the EOI are fine:
    phone cameras append maker data there.
    """
    position = 2
    while position + 4 <= len(raw):
        if raw[position] != 0xFF:
            return False  # not a marker where one must be: damaged header
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return raw.rfind(_JPEG_END) > position
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        position += 2 + int.from_bytes(raw[position + 2:position + 4], "big")
    return False


_WARNING_LOCK = threading.Lock()
_LIBJPEG_WARNINGS = (b"Corrupt JPEG data", b"Premature end of JPEG", b"Invalid SOS", b"Bogus", b"Warning")
_capture_file = None  # one scratch file per process for the decoder's stderr, reused under the lock


def _imdecode_capturing_warnings(cv2, data: np.ndarray):
    """``cv2.imdecode`` with libjpeg's warnings (written to fd 2, not raised) captured: (image, warned).

    The file descriptor is process-wide, so decoders take turns here; resizing and colour
    conversion still run in parallel. Only libjpeg's own warning lines count. One scratch file
    serves every decode (this runs once per image of a dataset).
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
        try:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        _capture_file.seek(0)
        text = _capture_file.read()
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
