"""The data layer on the real ../shared data and on bad files the tests make themselves."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cache import load_images
from edge.datasets import load_adience, load_csv, load_dataset, load_utkface
from edge.errors import EdgeError
from edge.preprocess import ImageError, decode_image, load_image_uint8
from edge.spec import Spec
from edge.splits import holdout_split, kfold_splits


# --- real datasets ---------------------------------------------------------------------------
def test_utkface_loader_parses_names_and_reports_the_4_malformed(utkface_dir):
    dataset = load_utkface(utkface_dir)
    assert len(dataset.records) == 19_858
    assert dataset.skipped.total == 4
    assert dataset.skipped.counts["malformed UTKFace name"] == 4
    malformed = {"39_1_20170116174525125.jpg.chip.jpg", "55_0_0_20170116232725357jpg.chip.jpg",
                 "61_1_20170109142408075.jpg.chip.jpg", "61_1_20170109150557335.jpg.chip.jpg"}
    examples = dataset.skipped.examples["malformed UTKFace name"]
    assert len(examples) == 3 and set(examples) <= malformed  # three examples of the four, by name
    record = next(r for r in dataset.records if Path(r.path).name.startswith("100_1_0_"))
    assert (record.age_years, record.gender) == (100.0, 1)


def test_adience_loader_keeps_folds_and_counts_missing_rows(adience_dir):
    dataset = load_adience(adience_dir)
    assert len(dataset.records) == 6_148  # one record per image present
    assert dataset.skipped.counts["image not present"] == 13_284
    assert dataset.folds == [f"fold_{k}" for k in range(5)]
    assert all(r.gender in (0, 1, None) for r in dataset.records)
    assert all(r.adience_group is None or 0 <= r.adience_group < 8 for r in dataset.records)


def test_adience_folds_are_subject_disjoint(adience_dir):
    dataset = load_adience(adience_dir)
    folds_of_subject: dict[str, set] = {}
    for record in dataset.records:
        folds_of_subject.setdefault(record.subject, set()).add(record.fold)
    assert all(len(folds) == 1 for folds in folds_of_subject.values())
    splits = kfold_splits(dataset.records, 5, 0.1, seed=0, by_fold=True)
    for split in splits:
        train_subjects = {dataset.records[i].subject for i in split.train}
        test_subjects = {dataset.records[i].subject for i in split.test}
        assert not train_subjects & test_subjects


def test_auto_detection_of_each_source(utkface_dir, adience_dir, tmp_path):
    assert load_dataset(utkface_dir).kind == "utkface"
    assert load_dataset(adience_dir).kind == "adience"
    manifest = _manifest(tmp_path, [("a.png", "30", "f")])
    assert load_dataset(manifest).kind == "csv"
    assert load_dataset(tmp_path).kind == "csv"  # a folder holding one manifest


def test_splits_are_deterministic_by_seed(utkface_dir):
    records = load_utkface(utkface_dir).records[:2000]
    first = holdout_split(records, 0.15, 0.1, seed=7)
    again = holdout_split(records, 0.15, 0.1, seed=7)
    other = holdout_split(records, 0.15, 0.1, seed=8)
    assert np.array_equal(first.test, again.test) and not np.array_equal(first.test, other.test)
    assert len(first.test) == 300 and not set(first.train) & set(first.test) and not set(first.val) & set(first.test)
    assert len(set(first.train) | set(first.val) | set(first.test)) == 2000


def test_decoded_cache_serves_the_second_load(utkface_dir):
    records = load_utkface(utkface_dir).records[:300]
    spec = Spec.create("utk20", 32, "gray")
    cold = load_images(records, spec)
    warm = load_images(records, spec)
    assert warm.from_cache and np.array_equal(cold.images, warm.images)
    assert cold.images.shape == (300, 32, 32, 1) and cold.images.dtype == np.uint8


# --- bad input ---------------------------------------------------------------------------------
def _face(size=80, channels=3) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (size, size, channels), dtype=np.uint8)


def _manifest(folder: Path, rows, header="path,age,gender") -> Path:
    """Write a manifest (properly quoted) and a distinct image for every row not named missing*.

    Distinct: identical bytes are one image to the loader (merged, or dropped on conflicting labels).
    """
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    for index, (name, *_) in enumerate(rows):
        if name and not name.startswith("missing") and not (folder / name).exists():
            face = _face()
            face[0, 0] = index  # one pixel makes the bytes unique
            cv2.imwrite(str(folder / name), face)
    path = folder / "manifest.csv"
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header.split(","))
        writer.writerows(rows)
    return path


@pytest.fixture
def bad_files(tmp_path) -> dict[str, Path]:
    good = tmp_path / "good.jpg"
    cv2.imwrite(str(good), _face())
    files = {"good": good}
    files["zero"] = tmp_path / "zero.jpg"
    files["zero"].write_bytes(b"")
    files["truncated"] = tmp_path / "truncated.jpg"
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["not_image"] = tmp_path / "text.jpg"
    files["not_image"].write_text("this is not an image\n" * 50)
    files["alpha"] = tmp_path / "alpha.png"
    cv2.imwrite(str(files["alpha"]), _face(channels=4))
    files["png16"] = tmp_path / "deep.png"
    cv2.imwrite(str(files["png16"]), (_face().astype(np.uint16) * 257))
    files["gray"] = tmp_path / "gray.jpg"
    cv2.imwrite(str(files["gray"]), _face(channels=1)[:, :, 0])
    files["huge"] = tmp_path / "huge.jpg"
    cv2.imwrite(str(files["huge"]), np.full((5000, 5000, 3), 128, np.uint8))
    return files


@pytest.mark.parametrize("name", ["good", "alpha", "png16", "gray", "huge"])
def test_unusual_but_valid_images_load(bad_files, name):
    for spec in (Spec.create("utk20", 32, "gray"), Spec.create("utk20", 32, "rgb")):
        pixels = load_image_uint8(bad_files[name], spec)
        assert pixels.shape == spec.input_shape and pixels.dtype == np.uint8


def test_16bit_png_keeps_its_brightness(bad_files):
    eight_bit = load_image_uint8(bad_files["good"], Spec.create("utk20", 32, "rgb")).astype(int)
    deep = load_image_uint8(bad_files["png16"], Spec.create("utk20", 32, "rgb")).astype(int)
    assert abs(eight_bit.mean() - deep.mean()) < 3


@pytest.mark.parametrize("name, reason", [
    ("zero", "empty file"), ("truncated", "truncated JPEG"), ("not_image", "not a decodable image"),
])
def test_broken_images_raise_a_countable_reason(bad_files, name, reason):
    with pytest.raises(ImageError, match=reason):
        decode_image(bad_files[name])


def test_broken_images_are_counted_and_skipped_by_the_loader(bad_files, tmp_path):
    rows = [(p.name, "30", "m") for p in bad_files.values()]
    dataset = load_csv(_manifest(tmp_path, rows))
    image_set = load_images(dataset.records, Spec.create("utk20", 32, "gray"), use_cache=False)
    assert len(image_set.records) == 5  # good, alpha, png16, gray, huge
    assert image_set.skipped.total == 3
    assert set(image_set.skipped.counts) == {"empty file (0 bytes)", "truncated JPEG (no end-of-image marker after the image data)",
                                             "not a decodable image"}


def test_csv_bad_rows_are_counted_with_line_numbers(tmp_path):
    rows = [("a.png", "30", "f"), ("b.png", "", "m"), ("c.png", "(25, 32)", ""), ("d.png", "abc", "m"),
            ("e.png", "30", "x"), ("missing.png", "30", "m"), ("f.png", "", ""), ("", "30", "m")]
    dataset = load_csv(_manifest(tmp_path, [r for r in rows if r[0]] + [rows[-1]]))
    assert [Path(r.path).name for r in dataset.records] == ["a.png", "b.png", "c.png"]
    assert dataset.records[2].adience_group == 4 and dataset.records[1].age_years is None
    counts = dataset.skipped.counts
    assert counts["bad age value (want years 0..120 or a range like (25, 32))"] == 1
    assert counts["bad gender value (want 0/1, m/f or male/female)"] == 1
    assert counts["image not present"] == 1 and counts["no age and no gender label"] == 1
    assert counts["row without a path"] == 1
    assert dataset.skipped.examples["image not present"] == ["manifest.csv:7"]


def test_csv_with_missing_columns_is_one_clear_error(tmp_path):
    manifest = _manifest(tmp_path, [("a.png", "30")], header="picture,age")
    with pytest.raises(EdgeError, match=r"no image-path column: name it one of path, file, filename, image"):
        load_csv(manifest)
    assert len(load_csv(_manifest(tmp_path / "age-only", [("a.png", "30")], header="path,age")).records) == 1


def test_empty_dataset_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EdgeError, match="cannot tell what dataset"):
        load_dataset(tmp_path / "empty")
    with pytest.raises(EdgeError, match="no usable labelled images"):
        load_dataset(tmp_path / "empty", kind="utkface")


def test_missing_path_is_one_clear_error(tmp_path):
    with pytest.raises(EdgeError, match="dataset not found"):
        load_dataset(tmp_path / "nowhere")


def test_unreadable_directory_is_counted_not_fatal(tmp_path, monkeypatch):
    root = tmp_path / "utk"
    (root / "locked").mkdir(parents=True)
    cv2.imwrite(str(root / "30_1_0_20170101000000000.jpg.chip.jpg"), _face())
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":  # root can read anything: simulate EACCES
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    dataset = load_utkface(root)
    assert len(dataset.records) == 1
    assert dataset.skipped.counts["unreadable directory"] == 1


def test_utkface_non_image_files_are_counted(tmp_path):
    cv2.imwrite(str(tmp_path / "30_1_0_20170101000000000.jpg.chip.jpg"), _face())
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "31_1_20170101000000000.jpg.chip.jpg").write_bytes(b"x")
    dataset = load_utkface(tmp_path)
    assert len(dataset.records) == 1
    assert Counter(dataset.skipped.counts) == Counter({"not an image file": 1, "malformed UTKFace name": 1})
