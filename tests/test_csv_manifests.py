"""CSV manifests: the common column names and gender spellings, and a missing column named with the accepted ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edge.datasets import load_csv
from edge.errors import EdgeError


def _images(tmp_path: Path, utkface_dir: Path, count: int) -> list[str]:
    names = []
    for index, chip in enumerate(sorted(utkface_dir.glob("*.jpg"))[:count]):
        shutil.copy(chip, tmp_path / f"face{index}.jpg")
        names.append(f"face{index}.jpg")
    return names


@pytest.mark.parametrize("header", ["path,age,gender", "file,Age,sex", "FILENAME,age,Gender", "image,years,SEX"])
def test_common_column_names_and_gender_spellings(tmp_path, utkface_dir, header):
    names = _images(tmp_path, utkface_dir, 6)
    genders = ["0", "1", "m", "F", "Male", "FEMALE"]
    manifest = tmp_path / "faces.csv"
    manifest.write_text(header + "\n" + "".join(f"{n},{20 + i},{g}\n" for i, (n, g) in enumerate(zip(names, genders))))
    dataset = load_csv(manifest)
    assert [r.gender for r in dataset.records] == [0, 1, 0, 1, 0, 1]
    assert [r.age_years for r in dataset.records] == [20, 21, 22, 23, 24, 25]


def test_a_missing_column_is_named_with_the_accepted_names(tmp_path):
    manifest = tmp_path / "faces.csv"
    manifest.write_text("picture,age\nx.jpg,3\n")
    with pytest.raises(EdgeError, match="no image-path column: name it one of path, file, filename, image"):
        load_csv(manifest)
    manifest.write_text("path,colour\nx.jpg,red\n")
    with pytest.raises(EdgeError, match="no label column"):
        load_csv(manifest)
