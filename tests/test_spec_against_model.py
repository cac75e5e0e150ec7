"""A damaged or tampered embedded spec is refused before use: one line, exit 2, naming the file and the field.

Issue 24 row N8: the spec inside a ``.tflite`` drives preprocessing and decoding, so it is checked
against the model's own tensors (input size and colour, output count, positions and widths) and for
values the runtime computes with (finite positive numbers, whole-number sizes, known kinds, class
lists that match the outputs). Each variant below is a copy of a real export with its spec re-embedded
(``edge.tflite_meta.embed_spec_text``), the way a hand edit or a damaged download would produce it.
"""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest

from edge.tflite_meta import MAX_SPEC_BYTES, SPEC_ENTRY, embed_spec_text
from tests.conftest import run_cli
from tests.helpers import one_line_error


def _spec_of(model: Path) -> dict:
    with zipfile.ZipFile(model) as archive:
        return json.loads(archive.read(SPEC_ENTRY))


def _tampered(model: Path, folder: Path, name: str, change) -> Path:
    spec = copy.deepcopy(_spec_of(model))
    change(spec)
    path = folder / f"{name}.tflite"
    path.write_bytes(embed_spec_text(model.read_bytes(), json.dumps(spec)))
    return path


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(spec):
        target = spec
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value(target[keys[-1]]) if callable(value) else value
    return change


# (variant name, change, the field the error must name)
VARIANTS = [
    ("size1024", _set("image_size", 1024), "image_size"),
    ("size8", _set("image_size", 8), "image_size"),
    ("size_fraction", _set("image_size", lambda size: size + 0.5), "image_size"),
    ("other_color", _set("color", lambda color: "gray" if color == "rgb" else "rgb"), "color"),
    ("margin_nan", _set("face_crop", "margin", float("nan")), "face_crop.margin"),
    ("margin_inf", _set("face_crop", "margin", float("inf")), "face_crop.margin"),
    ("margin_huge", _set("face_crop", "margin", 1e308), "face_crop.margin"),
    ("margin_text", _set("face_crop", "margin", "0.1"), "face_crop.margin"),
    ("margin_negative", _set("face_crop", "margin", -0.5), "face_crop.margin"),
    ("pixel_scale_nan", _set("pixel_scale", float("nan")), "pixel_scale"),
    ("pixel_scale_zero", _set("pixel_scale", 0), "pixel_scale"),
    ("index99", _set("outputs", 0, "tflite_index", 99), "tflite_index"),
    ("no_outputs", _set("outputs", []), "outputs"),
    ("unknown_kind", _set("outputs", 0, "kind", "age_magic"), "kind"),
    ("width3", _set("outputs", 0, "width", 3), "width"),
    ("no_centres", _set("age_class_centers", []), "age_class_centers"),
    ("two_names", _set("age_class_names", lambda names: names[:2]), "age_class_names"),
    ("no_gender_names", _set("gender_class_names", []), "gender_class_names"),
    ("outputs_not_list", _set("outputs", "age"), "outputs"),
]


@pytest.mark.slow
def test_tampered_specs_are_refused_naming_the_file_and_the_field(exported_run, utkface_dir, tmp_path):
    model = exported_run("mobile") / "model_int8_qat.tflite"
    chip = sorted(utkface_dir.glob("*.jpg"))[0]
    assert run_cli("predict", model, chip, "--no-detect").exit_code == 0  # the untouched file works
    for name, change, field in VARIANTS:
        variant = _tampered(model, tmp_path, name, change)
        result = run_cli("predict", variant, chip, "--no-detect")
        one_line_error(result, str(variant), field)
        assert "re-export" in result.output, (name, result.output)


@pytest.mark.slow
def test_an_oversized_spec_entry_is_refused_before_it_is_inflated(exported_run, utkface_dir, tmp_path):
    """Row N16: a small file whose deflated spec entry would inflate to 40 MB is refused by its size."""
    model = exported_run("mobile") / "model_int8_qat.tflite"
    text = json.dumps(_spec_of(model)) + " " * (40 * MAX_SPEC_BYTES)  # valid JSON, 40 MB of it
    bomb = tmp_path / "specbomb.tflite"
    bomb.write_bytes(embed_spec_text(model.read_bytes(), text, compression=zipfile.ZIP_DEFLATED))
    assert bomb.stat().st_size < model.stat().st_size + MAX_SPEC_BYTES  # it is small on disk
    result = run_cli("predict", bomb, sorted(utkface_dir.glob("*.jpg"))[0], "--no-detect")
    one_line_error(result, str(bomb), "embedded spec is larger than")
