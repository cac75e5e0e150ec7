"""Who the model fails, and how sure it is: accuracy by group with intervals, the worst-group gate,
calibrated gender confidence, "not sure", and the age range (edge.groups, edge.calibration)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from edge import calibration
from edge.decode import decode_outputs
from edge.groups import AGE_BANDS, age_band, wilson_interval
from edge.tflite_meta import read_spec
from tests.conftest import LOOSE_GATE, run_cli


def test_age_bands_and_wilson_intervals():
    assert [age_band(y) for y in (0, 2.9, 3, 9, 10, 39, 40, 59.5, 60, 101)] == \
        ["0-2", "0-2", "3-9", "3-9", "10-19", "20-39", "40-59", "40-59", "60+", "60+"]
    assert [name for name, _, _ in AGE_BANDS] == ["0-2", "3-9", "10-19", "20-39", "40-59", "60+"]
    low, high = wilson_interval(3, 3)
    assert high == pytest.approx(1.0) and low < 0.45  # 3 of 3 right proves little
    low, high = wilson_interval(900, 1000)
    assert 0.87 < low < 0.9 < high < 0.92


def test_temperature_scaling_recovers_an_overconfident_model():
    """A model whose logits are twice what they should be: T = 2 is found and the ECE falls."""
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 2, 20000)
    gender = (rng.random(20000) < 1 / (1 + np.exp(-true_logit))).astype(int)
    overconfident = 1 / (1 + np.exp(-2 * true_logit))
    temperature = calibration.fit_temperature(overconfident, gender)
    assert temperature == pytest.approx(2.0, abs=0.1)
    before = calibration.expected_calibration_error(overconfident, gender)
    after = calibration.expected_calibration_error(calibration.calibrate_gender(overconfident, temperature), gender)
    assert after < before / 3
    threshold = calibration.fit_unsure_threshold(calibration.calibrate_gender(overconfident, temperature), gender)
    calibrated = calibration.calibrate_gender(overconfident, temperature)
    reported = ~calibration.unsure(calibrated, threshold)
    assert np.mean((calibrated[reported] >= 0.5) == gender[reported]) >= 0.97


def test_a_spec_without_calibration_decodes_as_before_and_one_with_it_adds_range_and_unsure(exported_run):
    spec = read_spec(exported_run("mobile") / "model_int8_qat.tflite")
    assert {"gender_temperature", "gender_unsure_below", "age_interval_mass"} <= set(spec.decoding)
    rng = np.random.default_rng(1)
    age = rng.dirichlet(np.ones(len(spec.age_class_names)), 8)
    outputs = {o.name: (age if o.kind == "age_softmax" else rng.random((8, 1))) for o in spec.outputs}
    bare = spec.with_updates(decoding={k: v for k, v in spec.decoding.items()
                                       if k not in ("gender_temperature", "gender_unsure_below", "age_interval_mass")})
    plain, calibrated = decode_outputs(bare, outputs), decode_outputs(spec, outputs)
    assert plain.age_low is None and "age_range" not in plain.labels(bare, 0)
    assert np.array_equal(plain.gender, calibrated.gender)  # calibration changes confidence, never the answer
    assert np.array_equal(plain.age_years, calibrated.age_years)
    labels = calibrated.labels(spec, 0)
    low, high = labels["age_range"]
    assert low <= labels["age_years"] <= high and isinstance(labels["gender_unsure"], bool)


def test_the_export_carries_its_calibration_into_the_golden_vectors(exported_run):
    golden = json.loads((exported_run("mobile") / "golden.json").read_text())
    assert all("age_range" in face["decoded"] and "gender_unsure" in face["decoded"] for face in golden["faces"])
    assert "gender_temperature" in golden["spec"]["decoding"]


def _validate(export, data, tmp_path, name, *extra):
    result = run_cli("validate", export, "--data", data, "--threads", "1", "--report", tmp_path / name,
                     *LOOSE_GATE, *extra)
    return result, tmp_path / name


def test_validate_by_group_on_utkface_adience_and_a_csv_with_a_tiny_group(exported_run, utkface_dir, adience_dir,
                                                                           tmp_path):
    export = exported_run("mobile")
    result, report_dir = _validate(export, utkface_dir, tmp_path, "utk", "--by", "age,race", "--group-min-faces", "10")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "| race |" in text and "| age |" in text
    assert "Worst group for gender accuracy (at least 10 faces)" in text
    report = json.loads((report_dir / "validation.json").read_text())
    assert set(report["by_group"]["dimensions"]) >= {"age", "gender", "race"}
    assert (report_dir / "by_group.png").stat().st_size > 10_000 and (report_dir / "reliability.png").is_file()
    assert report["calibration"]["overall"]["gender_ece_after"] is not None

    result, report_dir = _validate(export, adience_dir, tmp_path, "adience", "--split", "all", "--max-images", "150",
                                   "--by", "fold")
    assert result.exit_code == 0, result.output
    assert len(json.loads((report_dir / "validation.json").read_text())["by_group"]["dimensions"]["fold"]) == 5

    # a CSV with a group column: 3 faces in one group, 40 in the other
    chips = sorted(utkface_dir.iterdir())[:43]
    manifest = tmp_path / "faces.csv"
    with open(manifest, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "age", "gender", "group"])
        for number, chip in enumerate(chips):
            age, gender = chip.name.split("_")[:2]
            writer.writerow([str(chip), age, gender, "tiny" if number < 3 else "large"])
    result, report_dir = _validate(export, manifest, tmp_path, "csv", "--split", "all", "--by", "group")
    assert result.exit_code == 0, result.output
    groups = json.loads((report_dir / "validation.json").read_text())["by_group"]["dimensions"]["group"]
    assert groups["tiny"]["faces"] == 3
    tiny, large = (groups[g]["models"]["int8_qat"]["gender_accuracy_ci"] for g in ("tiny", "large"))
    assert tiny[1] - tiny[0] > 0.4 > large[1] - large[0]  # a 3-face group's interval is wide
    assert "tiny (few faces)" in result.output


def test_the_worst_group_gate_fails_validate(exported_run, utkface_dir, tmp_path):
    """int8 moves the MAE of some group by a little: with a zero group limit validate exits 1, naming the group (export judges with the same function)."""
    result, _ = _validate(exported_run("mobile"), utkface_dir, tmp_path, "strict", "--group-min-faces", "1",
                          "--max-group-mae-increase", "0", "--max-group-gender-drop", "0")
    assert result.exit_code == 1, result.output
    assert "years above float for" in " ".join(result.output.split())


def test_a_face_too_small_to_read_is_said_not_classified(exported_run, utkface_dir, tmp_path):
    """A face under the spec's readable size (face_crop.min_face_px) is flagged in words, never given a label."""
    from dataclasses import replace

    import cv2

    from edge.tflite_meta import embed_spec, strip_appended_archive

    model = exported_run("mobile") / "model_int8_qat.tflite"
    spec = read_spec(model)
    chip = cv2.imread(str(sorted(utkface_dir.iterdir())[500]))
    canvas = np.full((480, 640, 3), 180, np.uint8)
    canvas[40:240, 40:240] = chip  # the detector's box: about 180 px
    photo = tmp_path / "face.png"
    cv2.imwrite(str(photo), canvas)
    read = json.loads(run_cli("predict", model, photo, "--json").stdout)["images"][0]["faces"]
    assert read and not read[0].get("too_small") and read[0]["gender"]["label"] in ("male", "female")

    strict = tmp_path / "strict.tflite"  # the same model, asking for faces of at least 400 px
    strict.write_bytes(embed_spec(strip_appended_archive(model.read_bytes()),
                                  spec.with_updates(face_crop=replace(spec.face_crop, min_face_px=400))))
    result = run_cli("predict", strict, photo, "--json")
    faces = json.loads(result.stdout)["images"][0]["faces"]
    assert len(faces) == len(read) and all(f["too_small"] for f in faces)
    assert faces[0]["gender"]["label"] is None and "too small to read" in faces[0]["reason"]
    assert "too small to read" in run_cli("predict", strict, photo).output
