"""Device-parity vectors: ``golden.json`` + the 16 real faces it was computed from.

For each face (copied beside it as a small PNG, at most 128 px, which is the file the phone
reads), the file records: the preprocessed float input, the quantized int8 input tensor, the
raw int8 outputs, the dequantized outputs and the decoded labels, all produced by the Python
pipeline and the shipped model in the standalone runtime. The Android demo's tests run its
own preprocessing and decoding on the same PNGs and must reproduce these values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from edge import layout
from edge.decode import decode_outputs
from edge.io import write_text_atomic
from edge.preprocess import decode_image, preprocess_file
from edge.runtime import TFLiteModel

MAX_PNG_SIDE = 128


def write_golden(out_dir: Path, model_path: Path, data, index: np.ndarray) -> Path:
    """Write ``golden/*.png`` and ``golden.json`` for the faces at ``index`` of the run data."""
    import cv2

    model = TFLiteModel(model_path)
    spec = model.spec
    folder = out_dir / "golden"
    folder.mkdir(exist_ok=True)
    paths = [data.paths[i] for i in index]
    faces = []
    for number, (position, source) in enumerate(zip(index, paths)):
        image = decode_image(source)
        scale = MAX_PNG_SIDE / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        png = folder / f"face_{number:02d}.png"
        cv2.imwrite(str(png), image)
        x = preprocess_file(png, spec)  # from the PNG itself: exactly what the phone will read
        raw = model.run_raw(x)
        outputs = {out.name: model.dequantize(out.tflite_index, raw[out.tflite_index]) for out in spec.outputs}
        decoded = decode_outputs(spec, outputs)
        faces.append({
            "image": f"golden/{png.name}",
            "truth": {"age_class": int(data.targets.age_class[position]),
                      "age_years": None if np.isnan(data.targets.age_years[position]) else float(data.targets.age_years[position]),
                      "gender": int(data.targets.gender[position])},
            "input_float": np.round(x.reshape(-1), 6).tolist(),
            "input_quantized": model.quantize_input(x[None]).reshape(-1).astype(int).tolist()
            if model.is_quantized_input else None,
            "raw_outputs": {out.name: raw[out.tflite_index].reshape(-1).tolist() for out in spec.outputs},
            "dequantized_outputs": {name: np.round(v.reshape(-1), 6).tolist() for name, v in outputs.items()},
            "decoded": decoded.labels(spec, 0),
        })
    golden = {
        "model": model_path.name, "runtime": model.runtime_name,
        "input_shape": list(spec.input_shape), "input_layout": "NHWC, row-major, channels last",
        "tolerances": {"input_float_abs": 1e-5, "input_quantized_abs": 1, "dequantized_output_abs":
                       "one quantization step of the output tensor"},
        "spec": spec.to_dict(), "faces": faces,
    }
    path = out_dir / layout.GOLDEN_JSON
    # compact: 16 faces of float + int8 tensors; indented JSON would be ~3x larger in every app bundle
    write_text_atomic(path, json.dumps(golden, separators=(",", ":"), sort_keys=True) + "\n")
    return path

