"""Average several teachers' soft-label files (same faces) into one, for `edge train --teacher-labels`.

Usage: .venv/bin/python benchmarks/teacher/average.py OUT.npz IN.npz IN.npz ...

Each input is a `train_teacher.py` output (out-of-fold labels of one seed); averaging seeds labels
every training face with several teachers that never saw it (UTKFace's 15,191 training faces,
ResNet-34 teachers: one seed 93.4% gender / 4.91 y, two 93.9% / 4.76 y, three 93.9% / 4.70 y;
BENCHMARKS.md "Distillation").
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from edge.io import write_bytes_atomic  # noqa: E402


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, inputs = sys.argv[1], [dict(np.load(path)) for path in sys.argv[2:]]
    first = inputs[0]
    for path, other in zip(sys.argv[3:], inputs[1:]):
        if not np.array_equal(other["paths"], first["paths"]) or str(other["label_scheme"]) != str(first["label_scheme"]):
            sys.exit(f"{path}: other faces or another label scheme than {sys.argv[2]}")
    age = np.mean([np.asarray(f["age_distribution"], np.float32) for f in inputs], axis=0)
    gender = np.mean([np.asarray(f["gender_prob"], np.float32) for f in inputs], axis=0)
    sources = "; ".join(str(f.get("source", "?")) for f in inputs)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, paths=first["paths"], age_distribution=age.astype(np.float16),
                        gender_prob=gender.astype(np.float16), label_scheme=first["label_scheme"],
                        source=np.asarray(f"mean of {len(inputs)}: {sources}"))
    write_bytes_atomic(Path(out), buffer.getvalue())
    print(f"{out}: {len(gender):,} faces, mean of {len(inputs)} teachers")


if __name__ == "__main__":
    main()
