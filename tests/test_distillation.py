"""Distillation: `edge train --teacher-labels FILE` blends a teacher's soft labels into the training targets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from edge.datasets import load_dataset
from edge.errors import EdgeError
from edge.labels import get_scheme
from edge.targets import Targets
from edge.teacher import TeacherLabels, blend, load_teacher_labels, relative_key
from edge.train.pipeline import TargetRecipe, age_distribution, model_targets
from tests.conftest import run_cli

UTK20 = get_scheme("utk20")


def write_teacher(path: Path, paths: list[str], female: float = 1.0, scheme: str = "utk20", groups: int = 20,
                  age_group: int = 0) -> Path:
    """A teacher file in edge/teacher.py's format: every face put in ``age_group``, P(female) = ``female``."""
    age = np.zeros((len(paths), groups), np.float16)
    age[:, age_group] = 1.0
    np.savez_compressed(path, paths=np.asarray(paths), age_distribution=age,
                        gender_prob=np.full(len(paths), female, np.float16), label_scheme=np.asarray(scheme))
    return path


def test_teacher_labels_align_by_path_relative_to_the_dataset(utkface_dir, tmp_path):
    records = load_dataset(utkface_dir).records[:50]
    names = [relative_key(r.path, str(utkface_dir)) for r in records]
    assert all("/" not in name for name in names)  # UTKFace chips sit at the dataset's top level
    # the teacher labelled every other face, in another order
    file = write_teacher(tmp_path / "teacher.npz", names[::2][::-1], female=0.25, age_group=3)
    teacher = load_teacher_labels(file, [r.path for r in records], str(utkface_dir), "utk20", 20)
    assert teacher.covered.tolist() == [i % 2 == 0 for i in range(50)]
    assert np.allclose(teacher.gender_prob[::2], 0.25) and np.isnan(teacher.gender_prob[1::2]).all()
    assert np.allclose(teacher.age_distribution[::2, 3], 1.0)


def test_a_teacher_that_cannot_serve_is_a_one_line_error(utkface_dir, tmp_path):
    paths = [r.path for r in load_dataset(utkface_dir).records[:5]]
    names = [relative_key(p, str(utkface_dir)) for p in paths]
    with pytest.raises(EdgeError, match="adience8 age groups.*--labels adience8"):
        load_teacher_labels(write_teacher(tmp_path / "a.npz", names, scheme="adience8", groups=8), paths,
                            str(utkface_dir), "utk20", 20)
    with pytest.raises(EdgeError, match="expected 5 x 20"):
        load_teacher_labels(write_teacher(tmp_path / "b.npz", names, groups=8), paths, str(utkface_dir), "utk20", 20)
    (tmp_path / "c.npz").write_bytes(b"not an npz")
    with pytest.raises(EdgeError, match="not a readable .npz"):
        load_teacher_labels(tmp_path / "c.npz", paths, str(utkface_dir), "utk20", 20)
    # before anything slow starts: exit 2, one line naming the option
    result = run_cli("train", "--data", utkface_dir, "--teacher-labels", tmp_path / "missing.npz", "--out", tmp_path / "run")
    assert result.exit_code == 2 and "--teacher-labels" in result.output and "no such file" in result.output
    result = run_cli("train", "--data", utkface_dir, "--teacher-labels", tmp_path / "a.npz", "--age-sigma", "0",
                     "--out", tmp_path / "run")
    assert result.exit_code == 2 and "--age-sigma > 0" in result.output
    result = run_cli("train", "--data", utkface_dir, "--model", "cnn", "--teacher-labels", tmp_path / "a.npz",
                     "--out", tmp_path / "run")  # cnn's default --age-sigma is 0
    assert result.exit_code == 2 and "--age-sigma > 0" in result.output
    assert not (tmp_path / "run").exists()


def test_targets_blend_the_teacher_where_it_has_a_label():
    targets = Targets(age_class=np.array([4, 6]), age_years=np.array([22.0, 31.0]), gender=np.array([0, 1]))
    teacher = TeacherLabels(np.stack([np.eye(20, dtype=np.float32)[10], np.full(20, np.nan, np.float32)]),
                            np.array([0.8, np.nan], np.float32))
    (age_y, gender_y), _ = model_targets("mobile", "utk20", targets, 20, TargetRecipe(
        age_sigma=3.0, age_centers=UTK20.class_centers, teacher=teacher, teacher_weight=0.25))
    dataset_label = age_distribution(np.array([22.0, 31.0]), np.asarray(UTK20.class_centers), 3.0)
    assert np.allclose(age_y[0, :20], 0.75 * dataset_label[0] + 0.25 * np.eye(20)[10])
    assert np.allclose(age_y[1, :20], dataset_label[1])  # no teacher label: the dataset's alone
    assert age_y[:, 20].tolist() == [22.0, 31.0]  # the years term stays the dataset's
    assert np.allclose(gender_y, [0.25 * 0.8, 1.0])
    assert np.allclose(blend(np.array([1.0, 0.0]), np.array([0.0, np.nan]), 1.0), [0.0, 0.0])


def test_training_follows_the_teacher(utkface_dir, tmp_path):
    """A teacher that calls every face female, at full weight, makes the student call faces female:
    the soft labels really are the training targets, and the run records where they came from."""
    names = [relative_key(r.path, str(utkface_dir)) for r in load_dataset(utkface_dir).records]
    file = write_teacher(tmp_path / "all_female.npz", names, female=1.0, age_group=12)
    out = tmp_path / "student"
    # the teacher's groups are the student's (--labels utk20; mobile's default is utk28)
    result = run_cli("train", "--data", utkface_dir, "--max-images", "200", "--epochs", "3", "--img-size", "48",
                     "--labels", "utk20", "--lr", "0.01", "--teacher-labels", file, "--teacher-weight", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert re.search(r"teacher labels for (\d+) of \1 training faces", " ".join(result.output.split()))
    config = json.loads((out / "config.json").read_text())
    assert config["teacher_labels"] == str(file) and config["teacher_weight"] == 1.0
    from edge.spec import Spec
    from edge.tf_bootstrap import import_tf, predict_outputs
    from edge.train.run_data import load_run_data

    _, keras = import_tf()
    spec = Spec.load(out / "spec.json")
    data = load_run_data(out, spec)
    outputs = predict_outputs(keras.models.load_model(out / "model.keras", compile=False), data.images[data.split.test], spec)
    gender = next(v for k, v in outputs.items() if "gender" in k).ravel()
    age = next(v for k, v in outputs.items() if "age" in k)
    assert gender.mean() > 0.75, gender.mean()  # about half the test faces are male
    assert np.median(age.argmax(axis=1)) >= 8  # the teacher put everyone in 60-64


def test_packing_a_run_for_a_teacher_leaves_its_test_faces_behind(trained_run, tmp_path):
    """`edge teacher pack`: the faces that travel to a GPU teacher are the run's training and
    validation faces, as the student sees them; not one test face."""
    run = trained_run("mobile")
    out = tmp_path / "packed.npz"
    result = run_cli("teacher", "pack", run, out)
    assert result.exit_code == 0 and "test faces stay here" in result.output, result.output
    split = json.loads((run / "split.json").read_text())
    keys = [relative_key(p, split["data"]) for p in split["paths"]]
    packed = np.load(out)
    assert sorted(packed["paths"]) == sorted(keys[i] for i in split["train"] + split["val"])
    assert not set(packed["paths"]) & {keys[i] for i in split["test"]}
    first = packed["jpeg"][packed["offsets"][0]:packed["offsets"][1]].tobytes()
    from PIL import Image
    import io

    size = json.loads((run / "spec.json").read_text())["image_size"]
    assert Image.open(io.BytesIO(first)).size == (size, size)  # the spec's input size, as the student sees faces


def test_averaged_teachers_are_one_file_edge_reads(utkface_dir, tmp_path):
    records = load_dataset(utkface_dir).records[:10]
    names = [relative_key(r.path, str(utkface_dir)) for r in records]
    a = write_teacher(tmp_path / "a.npz", names, female=0.2, age_group=2)
    b = write_teacher(tmp_path / "b.npz", names, female=0.6, age_group=4)
    assert run_cli("teacher", "average", tmp_path / "mean.npz", a, b).exit_code == 0
    teacher = load_teacher_labels(tmp_path / "mean.npz", [r.path for r in records], str(utkface_dir), "utk20", 20)
    assert np.allclose(teacher.gender_prob, 0.4, atol=1e-3)
    assert np.allclose(teacher.age_distribution[:, [2, 4]], 0.5, atol=1e-3)
    c = write_teacher(tmp_path / "c.npz", names[:5])
    refused = run_cli("teacher", "average", tmp_path / "bad.npz", a, c)
    assert refused.exit_code == 2 and "other faces" in refused.output and not (tmp_path / "bad.npz").exists()


def test_a_teacher_whose_age_rows_are_not_distributions_is_refused(utkface_dir, tmp_path):
    """All-zero rows would blend into targets summing to 0.5: the file is refused, naming a row."""
    paths = [r.path for r in load_dataset(utkface_dir).records[:5]]
    names = [relative_key(p, str(utkface_dir)) for p in paths]
    file = write_teacher(tmp_path / "zeros.npz", names)
    with np.load(file) as content:
        fields = dict(content)
    fields["age_distribution"] = np.zeros_like(fields["age_distribution"])
    np.savez_compressed(file, **fields)
    with pytest.raises(EdgeError, match=r"5 of 5 age rows are not probability distributions \(row 0, .* sums to 0"):
        load_teacher_labels(file, paths, str(utkface_dir), "utk20", 20)
