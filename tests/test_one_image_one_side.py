"""One image is on one side of a split, whatever path, folder, copy or link it comes through.

A face that is trained on and then tested on inflates every figure without a warning. Images are
known by their bytes (``edge.datasets.content_key``): copies inside one dataset folder (the public
UTKFace download ships the same chips in ``UTKFace/`` and ``crop_part1/``) are merged or, when
their labels disagree, dropped; ``--extra-data`` never re-adds a face ``--data`` already holds,
even through a symlink or a copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from edge.datasets import CONFLICTING_LABELS, DUPLICATE_IMAGE, load_dataset
from tests.conftest import run_cli


def _chips(utkface_dir: Path, count: int) -> list[Path]:
    return sorted(utkface_dir.iterdir())[:count]


def _two_folder_copy(utkface_dir: Path, root: Path, count: int) -> Path:
    """The download layout: the same chips in UTKFace/ and crop_part1/ (copies, not links)."""
    for folder in ("UTKFace", "crop_part1"):
        (root / folder).mkdir(parents=True)
        for chip in _chips(utkface_dir, count):
            shutil.copyfile(chip, root / folder / chip.name)
    return root


def test_copies_in_two_folders_are_one_image_and_conflicting_copies_are_dropped(tmp_path, utkface_dir):
    root = _two_folder_copy(utkface_dir, tmp_path / "utkdup", 40)
    # the same bytes under a name that says another age: a labelling conflict, not a second face
    first = _chips(utkface_dir, 1)[0]
    age, rest = first.name.split("_", 1)
    shutil.copyfile(first, root / "UTKFace" / f"{int(age) - 3}_{rest}")

    dataset = load_dataset(root)

    hashes = [hashlib.sha1(Path(r.path).read_bytes()).hexdigest() for r in dataset.records]
    assert len(hashes) == len(set(hashes)) == 39  # 40 chips; the conflicting one is dropped with all its copies
    assert dataset.skipped.counts[DUPLICATE_IMAGE] == 39
    assert dataset.skipped.counts[CONFLICTING_LABELS] == 3
    assert all("/UTKFace/" in r.path for r in dataset.records)  # the first copy in path order is kept


def test_a_dataset_without_copies_keeps_every_image_in_order(utkface_dir):
    """The merge must not move anything in a clean dataset: same records, same order (so splits are unchanged)."""
    folder = load_dataset(utkface_dir)
    assert DUPLICATE_IMAGE not in folder.skipped.counts
    assert [r.path for r in folder.records] == sorted(r.path for r in folder.records)


def _hashes(paths: list[str]) -> set[str]:
    return {hashlib.sha1(Path(p).read_bytes()).hexdigest() for p in paths}


def test_training_never_sees_a_test_or_validation_face_through_copies_or_links(tmp_path, utkface_dir):
    """A real `edge train` on the two-folder layout, with --extra-data a symlink to the same folder."""
    data = _two_folder_copy(utkface_dir, tmp_path / "utkdup", 150)
    link = tmp_path / "utk_link"
    os.symlink(data, link)
    out = tmp_path / "run"

    result = run_cli("train", "--data", data, "--extra-data", link, "--kind", "utkface", "--model", "tuple",
                     "--epochs", "1", "--img-size", "32", "--out", out)

    assert result.exit_code == 0, result.output
    assert "150 already listed (same image), not added twice" in " ".join(result.output.split())
    split = json.loads((out / "split.json").read_text())
    parts = {name: _hashes([split["paths"][i] for i in split[name]]) for name in ("train", "val", "test")}
    assert parts["test"] and parts["val"]
    assert not parts["train"] & parts["test"]
    assert not parts["train"] & parts["val"]
    assert not parts["val"] & parts["test"]
    assert len(split["paths"]) == 150
