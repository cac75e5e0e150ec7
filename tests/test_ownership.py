"""Nothing of yours is lost: edge writes, replaces or deletes only what its own markers prove it made.

- a run is edge's by ``.edge-run``, an export by ``.edge-export``: folders that merely hold files
  named ``config.json`` + ``spec.json`` or ``export_report.json`` are refused, with the way to adopt
  a folder an older edge made;
- ``edge train`` locks its ``--out`` (real processes): a second train on it is refused;
- ``--android-assets`` / ``--web-assets`` write only names edge owns (``.edge-assets``), never over
  or under a user's file (``golden/`` included), and are checked before the export runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge import layout
from edge.errors import EdgeError
from edge.owned_folder import ASSETS_MARKER, OwnedFolder
from tests.conftest import LOOSE_GATE, PROJECT_ROOT, run_cli
from tests.helpers import fake_run, one_line_error, snapshot, tmpfs


def _looks_like_a_run(folder: Path) -> Path:
    (folder / "tensorboard").mkdir(parents=True)
    (folder / "checkpoint").mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "spec.json").write_text("{}")
    (folder / "tensorboard" / "events.user").write_text("x")
    (folder / "checkpoint" / "mine.ckpt").write_text("x")
    return folder


def test_train_refuses_a_folder_that_only_looks_like_a_run(tmp_path, utkface_dir):
    project = _looks_like_a_run(tmp_path / "myproj")
    before = snapshot(project)
    result = run_cli("train", "--data", utkface_dir, "--max-images", "30", "--epochs", "1", "--img-size", "32",
                     "--out", project)
    one_line_error(result, "without edge's .edge-run marker", f"touch {project / layout.RUN_MARKER}")
    assert snapshot(project) == before


def test_export_refuses_a_folder_that_only_holds_an_export_report(tmp_path):
    run = fake_run(tmp_path / "run")
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "thesis.txt").write_text("thesis")
    (docs / layout.EXPORT_REPORT).write_text("{}")
    before = snapshot(docs)
    one_line_error(run_cli("export", run, "--out", docs), "without edge's .edge-export marker")
    assert snapshot(docs) == before


def test_a_folder_an_older_edge_made_is_adopted_by_its_marker(tmp_path):
    old_run = _looks_like_a_run(tmp_path / "old_run")
    with pytest.raises(EdgeError, match="adopt it with `touch"):
        layout.claim_run_dir(old_run)
    (old_run / layout.RUN_MARKER).touch()
    layout.claim_run_dir(old_run)  # the marker, and nothing else, makes it edge's


_HOLD_LOCK = """
import sys, time
from pathlib import Path
from edge import layout
with layout.folder_lock(Path(sys.argv[1]), "edge train", "train into another --out"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_train_on_the_same_folder_is_refused(tmp_path, utkface_dir):
    """A real second process holds the run's lock (as a training in progress does)."""
    run = tmp_path / "twin"
    run.mkdir()
    (run / layout.RUN_MARKER).touch()
    (run / layout.CONFIG_JSON).write_text('{"first": "training"}')
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(run)], stdout=subprocess.PIPE, text=True,
                              cwd=PROJECT_ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(run)
        result = run_cli("train", "--data", utkface_dir, "--model", "tuple", "--max-images", "30", "--out", run)
        one_line_error(result, "another `edge train`", f"(pid {holder.pid})", str(run))
        assert snapshot(run) == before
    finally:
        holder.kill()
        holder.wait()


# --- asset folders ---------------------------------------------------------------------------------------------
def _android_assets(export: Path, dest: Path) -> None:
    from edge.export.exporter import _copy_android_assets

    shipped = json.loads((export / layout.EXPORT_REPORT).read_text())["shipped_model"]
    _copy_android_assets(export, dest, shipped, lambda message: None)


def _web_assets(export: Path, dest: Path) -> None:
    from edge.export.web import write_web_assets

    write_web_assets(export, dest, lambda message: None)


@pytest.mark.parametrize("write", [_android_assets, _web_assets], ids=["android", "web"])
def test_asset_exports_never_overwrite_or_delete_a_users_files(tmp_path, exported_run, write):
    export = exported_run("mobile")
    dest = tmp_path / "assets"
    (dest / "golden").mkdir(parents=True)
    (dest / "golden" / "my_test_face.png").write_text("mine")
    (dest / "model.tflite").write_text("my model")
    (dest / "notes.txt").write_text("my notes")
    before = snapshot(dest)

    with pytest.raises(EdgeError, match="model.tflite is not a file edge wrote"):
        write(export, dest)
    assert snapshot(dest) == before  # refused before writing anything

    (dest / "model.tflite").unlink()
    write(export, dest)
    write(export, dest)  # a re-export replaces edge's own files, and only those
    assert (dest / "golden" / "my_test_face.png").read_text() == "mine"
    assert (dest / "notes.txt").read_text() == "my notes"
    owned = json.loads((dest / ASSETS_MARKER).read_text())["files"]
    assert "model.tflite" in owned and any(name.startswith("golden/") for name in owned)
    assert "notes.txt" not in owned and "golden/my_test_face.png" not in owned

    edited = next(name for name in owned if name.startswith("golden/"))
    (dest / edited).write_bytes(b"the user changed this face")  # no longer what edge wrote: the user's now
    with pytest.raises(EdgeError, match="or it was changed since"):
        write(export, dest)
    assert (dest / edited).read_bytes() == b"the user changed this face"


def test_a_re_export_removes_only_its_own_earlier_files(tmp_path):
    folder = OwnedFolder(tmp_path / "assets", "--web-assets")
    folder.write({"golden/a.png": b"a", "golden/b.png": b"b", "model.tflite": b"m"})
    (tmp_path / "assets" / "golden" / "mine.png").write_bytes(b"mine")
    OwnedFolder(tmp_path / "assets", "--web-assets").write({"golden/c.png": b"c", "model.tflite": b"n"})
    assert sorted(p.name for p in (tmp_path / "assets" / "golden").iterdir()) == ["c.png", "mine.png"]
    digest = json.loads((tmp_path / "assets" / ASSETS_MARKER).read_text())["files"]["model.tflite"]
    assert digest == hashlib.sha256(b"n").hexdigest()


def test_asset_locations_are_checked_before_the_export(tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run("mobile"), run, ignore=shutil.ignore_patterns("export"))
    result = run_cli("export", run, "--int8", *LOOSE_GATE, "--android-assets", run / "export")
    one_line_error(result, "--android-assets", "is the export folder itself")
    assert not (run / "export").exists()

    with tmpfs(tmp_path / "readonly", read_only=True) as readonly:
        result = run_cli("export", run, "--int8", *LOOSE_GATE, "--web-assets", readonly / "web")
        one_line_error(result, "--web-assets", "read-only")
    assert not (run / "export").exists()  # refused before the export, not after committing it
