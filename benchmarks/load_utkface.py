"""Time listing + decoding all UTKFace chips at 64x64, cold (empty cache) then warm.

Usage: .venv/bin/python benchmarks/load_utkface.py [UTKFACE_DIR]
"""

import os
import sys
import tempfile
import time

os.environ["EDGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="edge-bench-cache-")

from edge.cache import load_images  # noqa: E402
from edge.datasets import load_dataset  # noqa: E402
from edge.spec import Spec  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/utkface"
for color in ("gray", "rgb"):
    spec = Spec.create("utk20", 64, color)
    for label in ("cold", "warm"):
        started = time.perf_counter()
        dataset = load_dataset(root)
        images = load_images(dataset.records, spec)
        seconds = time.perf_counter() - started
        print(f"{label} {color}: {len(images.records):,} images {images.images.shape} in {seconds:.2f} s "
              f"(from cache: {images.from_cache})")
