"""Inputs are bounded before they are read whole: images by the size their header declares, models by
their identifier and file size (issue 24 rows N4 and N16).

The huge images here are a few KB: a real chip whose JPEG frame header is patched to claim
65000 x 65000, and PNG / BMP / WebP / TIFF / GIF / PNM headers written byte by byte. None is ever
decoded, so no test allocates more than a normal run.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from edge.preprocess import MAX_IMAGE_PIXELS, TOO_LARGE, ImageError, decode_image, image_dimensions
from tests.conftest import BLOCK_TF, PROJECT_ROOT, run_cli


def _chips(utkface_dir: Path, count: int) -> list[Path]:
    return sorted(utkface_dir.glob("*.jpg"))[:count]


def huge_jpeg(chip: Path, path: Path, width: int = 65000, height: int = 65000) -> Path:
    """A real JPEG whose frame header (SOF) claims ``width`` x ``height``."""
    raw = bytearray(chip.read_bytes())
    position = 2
    while raw[position + 1] not in (0xC0, 0xC1, 0xC2):
        position += 2 + int.from_bytes(raw[position + 2:position + 4], "big")
    raw[position + 5:position + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(raw))
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(path: Path, width: int = 40000, height: int = 40000) -> Path:
    """A valid PNG header (CRCs right, so the decoder trusts it) that claims ``width`` x ``height``."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data = _png_chunk(b"IDAT", zlib.compress(b"\0" * 4096))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + header + data + _png_chunk(b"IEND", b""))
    return path


HEADERS = {  # every format edge decodes, each claiming 10000 x 8000 (80 MP: over the limit, under OpenCV's)
    "png": lambda: b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 10000, 8000, 8, 2, 0, 0, 0)),
    "bmp": lambda: b"BM" + bytes(12) + struct.pack("<Iii", 40, 10000, -8000) + bytes(64),
    "webp": lambda: b"RIFF" + bytes(4) + b"WEBPVP8X" + bytes(8) + (9999).to_bytes(3, "little") + (7999).to_bytes(3, "little"),
    "tif": lambda: b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
    + struct.pack("<HHII", 256, 4, 1, 10000) + struct.pack("<HHII", 257, 4, 1, 8000) + bytes(4),
    "gif": lambda: b"GIF89a" + struct.pack("<HH", 10000, 8000) + bytes(16),
    "ppm": lambda: b"P6\n# a comment\n10000 8000\n255\n" + bytes(64),
}


@pytest.mark.parametrize("kind", sorted(HEADERS))
def test_every_format_is_measured_from_its_header_and_refused_over_the_limit(tmp_path, kind):
    path = tmp_path / f"huge.{kind}"
    path.write_bytes(HEADERS[kind]())
    assert image_dimensions(path.read_bytes()) == (10000, 8000)
    assert 10000 * 8000 > MAX_IMAGE_PIXELS
    with pytest.raises(ImageError) as refused:
        decode_image(path)
    assert refused.value.reason == TOO_LARGE


def test_formats_without_a_readable_header_are_not_offered_to_the_decoder(tmp_path):
    jpeg2000 = tmp_path / "photo.jp2"
    jpeg2000.write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(64))
    with pytest.raises(ImageError, match="not a decodable image"):
        decode_image(jpeg2000)


def test_a_huge_header_is_one_bad_image_in_predict(tmp_path, utkface_dir, exported_run):
    """predict reports each huge image on its own row and goes on (it used to crash at the first)."""
    chips = _chips(utkface_dir, 2)
    jpeg = huge_jpeg(chips[0], tmp_path / "jpeg65000.jpg")
    png = huge_png(tmp_path / "png40000.png")
    model = exported_run("mobile") / "model_int8_qat.tflite"
    result = run_cli("predict", model, jpeg, png, chips[1], "--no-detect", "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert [image["error"] for image in document["images"]] == [TOO_LARGE, TOO_LARGE, None]
    assert document["summary"] == {"inputs": 3, "processed": 1, "failed": 2, "no_face": 0, "faces": 1}


def test_a_huge_header_is_counted_and_skipped_by_data_inspect(tmp_path, utkface_dir):
    dataset = tmp_path / "bombset"
    dataset.mkdir()
    for chip in _chips(utkface_dir, 6):
        (dataset / chip.name).write_bytes(chip.read_bytes())
    huge_jpeg(_chips(utkface_dir, 1)[0], dataset / "30_0_0_20990101000000077.jpg.chip.jpg")
    huge_png(dataset / "40_1_0_20990101000000078.jpg.chip.png")
    result = run_cli("data", "inspect", dataset, "--json", "--out", tmp_path / "report")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["usable"] == 6 and report["skipped_total"] == 2
    assert TOO_LARGE in json.dumps(report["skipped"])


def _peak_rss_mb(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """``edge predict ARGS`` in a fresh interpreter (runtime only); its peak RSS in MB.

    VmHWM (this program's own high-water mark), not ru_maxrss, which execve inherits from the parent.
    """
    code = BLOCK_TF + f"""
import re, sys
sys.argv = ['edge', 'predict'] + {list(args)!r}
from edge.app.cli import main
try:
    main()
finally:
    status = open('/proc/self/status').read()
    print('peak_rss_kb', re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    peak = [line for line in done.stderr.splitlines() if line.startswith("peak_rss_kb")]
    assert peak, done.stderr
    return done, int(peak[-1].split()[1]) / 1024


def test_a_model_file_is_checked_before_it_is_read_whole(tmp_path, utkface_dir):
    """A 600 MB file (sparse: no disk used) that is not a model, or is a model over the size cap,
    is refused from its first bytes and its size, without reading it into memory."""
    chip = str(_chips(utkface_dir, 1)[0])
    not_a_model = tmp_path / "holiday.tflite"
    with open(not_a_model, "wb") as stream:
        stream.write(chip_bytes := Path(chip).read_bytes()[:64])
        stream.truncate(600 * 2**20)
    oversized = tmp_path / "oversized.tflite"
    with open(oversized, "wb") as stream:
        stream.write(bytes(4) + b"TFL3")
        stream.truncate(600 * 2**20)
    assert chip_bytes.startswith(b"\xff\xd8")
    for model, message in ((not_a_model, "not a TFLite model"), (oversized, "larger than 256 MB")):
        done, peak_mb = _peak_rss_mb(str(model), chip, "--no-detect")
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert peak_mb < 400, f"{model.name}: {peak_mb:.0f} MB resident: the file was read whole"
