"""benchmarks/face_list.py: the face list behind `web_latency.mjs --list` (BENCHMARKS.md, "face-api.js
and ours on Adience").

1. On 20 real Adience faces: the JSON has the fields the browser benchmark reads, labels straight
   from the project's loader (same faces, evenly spaced, same order on a second run), and the 8
   Adience group ranges and rule of edge.labels.
2. The browser benchmark's own group mapping (adienceGroupOf in web_latency.mjs, run by node)
   gives Python's group at every check age the list carries, ties included.
3. A missing dataset folder is one error line, exit 2.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from edge.datasets import load_dataset
from edge.labels import ADIENCE8_NAMES, ADIENCE8_RANGES, adience_group_of_years
from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "benchmarks" / "face_list.py"
BENCH = PROJECT_ROOT / "benchmarks" / "web_latency.mjs"
COUNT = 20


def _face_list(data, out, *extra):
    return subprocess.run([sys.executable, str(SCRIPT), "--data", str(data), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def adience_list(adience_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("face_list") / "adience.json"
    result = _face_list(adience_dir, out, "--max", str(COUNT))
    assert result.returncode == 0, result.stderr
    assert f"{COUNT} of " in result.stdout
    return adience_dir, out, json.loads(out.read_text())


def test_adience_list_fields_labels_and_groups(adience_list, tmp_path):
    data, out, listing = adience_list
    records = load_dataset(data).records
    assert listing["kind"] == "adience" and listing["total_records"] == len(records)
    assert listing["adience_groups"] == [list(r) for r in ADIENCE8_RANGES]
    assert listing["adience_group_names"] == list(ADIENCE8_NAMES)
    faces = listing["faces"]
    assert len(faces) == COUNT
    # evenly spaced over the loader's records, labels exactly the loader's
    expected = [records[(i * len(records)) // COUNT] for i in range(COUNT)]
    assert [f["path"] for f in faces] == [str(r.path) for r in expected]
    assert len({f["path"] for f in faces}) == COUNT
    for face, record in zip(faces, expected):
        assert set(face) == {"path", "age_years", "gender", "adience_group"}
        assert os.path.isfile(face["path"])
        assert (face["age_years"], face["gender"], face["adience_group"]) == (
            record.age_years, record.gender, record.adience_group)
        assert face["gender"] in (0, 1, None)
        if face["adience_group"] is not None:
            assert 0 <= face["adience_group"] < len(ADIENCE8_RANGES)
            # an Adience label's years (range midpoint) fall in its own group under the rule
            assert adience_group_of_years(face["age_years"]) == face["adience_group"]
    assert any(f["adience_group"] is not None for f in faces)
    # deterministic: the same command writes the same list
    again = tmp_path / "again.json"
    assert _face_list(data, again, "--max", str(COUNT)).returncode == 0
    assert json.loads(again.read_text()) == listing


def test_group_checks_are_pythons_rule_and_the_benchmark_agrees(adience_list):
    _, _, listing = adience_list
    checks = listing["adience_group_checks"]
    assert all(adience_group_of_years(age) == group for age, group in checks)
    ages = {age for age, _ in checks}
    assert {3.0, 7.0, 35.0} <= ages  # the documented ties (to the older group) are checked
    if not shutil.which("node") or not (PROJECT_ROOT / "web_demo" / "node_modules" / "playwright-core").is_dir():
        message = "node or web_demo/node_modules missing (run .ci/deps/web.sh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- under CI a missing toolchain is an error")
        pytest.skip(message)
    script = (f"import {{ adienceGroupOf }} from {json.dumps(BENCH.as_uri())};"
              f"const l = {json.dumps({'ranges': listing['adience_groups'], 'ages': sorted(ages)})};"
              "console.log(JSON.stringify(l.ages.map((a) => [a, adienceGroupOf(a, l.ranges)])));")
    result = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                            timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == sorted(checks)


def test_missing_folder_is_one_error_line(tmp_path):
    result = _face_list(tmp_path / "nowhere", tmp_path / "out.json")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere" in lines[0], result.stderr
    assert not (tmp_path / "out.json").exists()
