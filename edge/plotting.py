"""Shared plotting helpers (matplotlib, headless): PNGs written atomically."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from edge.io import write_bytes_atomic


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(figure, path: Path, dpi: int = 100) -> Path:
    """Lay out, write ``figure`` to ``path`` atomically, close it."""
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(figure)
    write_bytes_atomic(Path(path), buffer.getvalue())
    return Path(path)


def draw_confusion(axis, matrix: np.ndarray, class_names: list[str], title: str):
    """Row-normalized confusion matrix (rows = true age group) on ``axis``; returns the image."""
    matrix = np.asarray(matrix, dtype=float)
    normalized = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    image = axis.imshow(normalized, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(class_names)), class_names, rotation=90, fontsize=7)
    axis.set_yticks(range(len(class_names)), class_names, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title, fontsize=9)
    return image
