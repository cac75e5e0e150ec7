"""The decoded-image cache stays under its size cap (least recently used evicted first), and
`edge cache info` / `edge cache clear` report and empty it without touching files edge did not write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from edge.cache import cache_key, load_images, scan_cache
from edge.datasets import load_dataset
from edge.spec import Spec
from tests.conftest import PROJECT_ROOT, run_cli

SPEC = Spec.create("utk20", 32, "gray")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    directory.mkdir()
    monkeypatch.setenv("EDGE_CACHE_DIR", str(directory))
    return directory


@pytest.fixture(scope="module")
def record_sets(utkface_dir):
    """Three disjoint sets of 12 real faces: three different cache entries of equal size."""
    records = load_dataset(utkface_dir).records
    return [records[i * 12:(i + 1) * 12] for i in range(3)]


def _entry_bytes(records) -> int:
    return len(records) * SPEC.image_size * SPEC.image_size * SPEC.channels


def _age(path, seconds_ago: float) -> None:
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp))


def test_least_recently_used_entry_is_evicted_at_the_cap(cache, record_sets, monkeypatch):
    first, second, third = record_sets
    # room for two entries (array + header + index), not three
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", str(int(_entry_bytes(first) * 2.5)))
    foreign = [cache / "notes.txt", cache / ("ab" * 16 + ".json"), cache / "keep" / "x.npy"]
    foreign[0].write_text("mine")
    foreign[1].write_text(json.dumps({"not": "an edge index"}))
    foreign[2].parent.mkdir()
    np.save(foreign[2], np.zeros((4, 8, 8, 1), np.uint8))
    keys = [cache_key(records, SPEC) for records in record_sets]

    cold = load_images(first, SPEC)
    load_images(second, SPEC)
    _age(cache / f"{keys[0]}.json", 60)
    _age(cache / f"{keys[1]}.json", 30)
    warm = load_images(first, SPEC)  # a hit makes the first entry the most recently used
    assert warm.from_cache and np.array_equal(warm.images, cold.images)
    load_images(third, SPEC)  # over the cap: the second (least recently used) goes

    kept = {entry.key for entry in scan_cache().entries}
    assert kept == {keys[0], keys[2]}
    assert not (cache / f"{keys[1]}.npy").exists() and not (cache / f"{keys[1]}.json").exists()
    assert all(path.exists() for path in foreign), "a file edge did not write was deleted"
    assert scan_cache().total_bytes <= int(_entry_bytes(first) * 2.5)
    assert not load_images(second, SPEC).from_cache  # evicted entries are simply decoded again


def test_an_array_larger_than_the_cap_is_not_cached_and_zero_turns_the_cache_off(cache, record_sets, monkeypatch):
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", str(_entry_bytes(record_sets[0]) // 2))
    load_images(record_sets[0], SPEC)
    assert not any(cache.iterdir())
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", "0")
    load_images(record_sets[0], SPEC)
    assert not load_images(record_sets[0], SPEC).from_cache and not any(cache.iterdir())
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", "1.5K")
    assert scan_cache().max_bytes == 1536


def test_cache_info_and_clear_touch_only_edge_files(cache, record_sets, monkeypatch):
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", "1G")
    load_images(record_sets[0], SPEC)
    load_images(record_sets[1], SPEC)
    key = cache_key(record_sets[0], SPEC)
    stale_temp = cache / f".{key}.npy.abc123.tmp"  # what a killed write leaves behind
    stale_temp.write_bytes(b"x" * 100)
    _age(stale_temp, 2 * 3600)
    live_temp = cache / f".{key}.json.def456.tmp"  # a write in progress in another process
    live_temp.write_bytes(b"{}")
    foreign = [cache / "README", cache / ("cd" * 16 + ".npy"), cache / "sub" / f"{key}.npy"]
    foreign[0].write_text("someone else's")
    foreign[1].write_bytes(b"not a numpy file")
    foreign[2].parent.mkdir()
    foreign[2].write_bytes(b"nested: not edge's")

    result = run_cli("cache", "info")
    assert result.exit_code == 0, result.output
    assert str(cache) in result.output and "2 entries" in result.output
    assert f"{key}" in result.output and "12 images" in result.output
    assert "1 temp files left by killed runs" in result.output
    assert "2 other files" in result.output  # README and the fake .npy (sub/ is a directory)

    result = run_cli("cache", "clear")
    assert result.exit_code == 0, result.output
    assert "removed 2 entries" in result.output
    assert all(path.exists() for path in foreign) and live_temp.exists()
    assert not stale_temp.exists()
    assert not list(cache.glob("*.json")) and sorted(p.name for p in cache.glob("*.npy")) == [foreign[1].name]
    assert "0 entries" in run_cli("cache", "info").output


def test_a_bad_cap_is_one_line_exit_2_and_cache_help_stays_light(cache, monkeypatch):
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", "lots")
    result = run_cli("cache", "info")
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: EDGE_CACHE_MAX_SIZE='lots' is not a size")
    assert len(result.output.strip().splitlines()) == 1
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom edge.app.cli import app\n"
            "for args in (['cache', '--help'], ['cache', 'info']):\n"
            "    assert CliRunner().invoke(app, args).exit_code == 0\n"
            "assert 'tensorflow' not in sys.modules and 'cv2' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT,
                   env={**os.environ, "EDGE_CACHE_MAX_SIZE": "4G"})


def test_files_named_like_entries_that_edge_did_not_record_are_never_touched(cache, record_sets, monkeypatch):
    """A user's md5-named uint8 image batch and a JSON with failures/count keys look like entries: not edge's."""
    user_array = cache / ("de64" * 8 + ".npy")
    np.save(user_array, np.zeros((40, 64, 64, 3), np.uint8))
    user_json = cache / ("4152" * 8 + ".json")
    user_json.write_text(json.dumps({"failures": {}, "count": 3, "my": "survey results"}))
    _age(user_array, 3600)
    _age(user_json, 3600)  # the oldest "entries": first to go if edge thought they were its own
    monkeypatch.setenv("EDGE_CACHE_MAX_SIZE", str(_entry_bytes(record_sets[0]) + 1024))
    load_images(record_sets[0], SPEC)
    load_images(record_sets[1], SPEC)  # over the cap: evicts edge's older entry, never the user's files

    info = scan_cache()
    assert [e.key for e in info.entries] == [cache_key(record_sets[1], SPEC)]
    assert info.foreign_files == 2
    assert run_cli("cache", "clear").exit_code == 0
    assert user_array.exists() and user_json.exists()
    assert json.loads(user_json.read_text())["my"] == "survey results"
