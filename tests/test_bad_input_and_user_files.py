"""Nothing lost, nothing crashes: bad input, full and read-only disks, kills and damaged files.

Bad input must give one line naming the file and
the fix with exit 2; only a failed check or gate exits 1; nothing edge did not create is ever
deleted or overwritten. Fast tests build the bad files they need; the slow ones reuse the
session's small real runs (tests/conftest.py).
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge import layout
from edge.datasets import load_csv, load_utkface
from edge.errors import EdgeError
from edge.io import check_output_dir, make_temp_dir, write_bytes_atomic
from edge.preprocess import ImageError, decode_image
from tests.conftest import LOOSE_GATE, run_cli
from tests.helpers import EDGE, fake_run, one_line_error, snapshot, tmpfs

# --- never delete or overwrite the user's files ------------------------------------------------
def test_export_refuses_a_user_folder_and_the_run_itself(tmp_path):
    run = fake_run(tmp_path / "run")
    mydocs = tmp_path / "mydocs"
    mydocs.mkdir()
    (mydocs / "thesis.txt").write_text("four years of work")
    (mydocs / "results.csv").write_text("a,b\n1,2\n")
    before, run_before = snapshot(mydocs), snapshot(run)
    one_line_error(run_cli("export", run, "--out", mydocs), "without edge's .edge-export marker", str(mydocs))
    assert snapshot(mydocs) == before
    one_line_error(run_cli("export", run, "--out", run), "run directory")
    one_line_error(run_cli("export", run, "--out", tmp_path), "run directory")
    assert snapshot(run) == run_before


def test_train_refuses_a_non_empty_folder_that_is_not_a_run(tmp_path, utkface_dir):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "spec.json").write_text('{"mine": true}')
    (mine / "history.csv").write_text("my,history\n")
    before = snapshot(mine)
    one_line_error(run_cli("train", "--data", utkface_dir, "--out", mine, "--max-images", "40"), "without edge's .edge-run marker")
    assert snapshot(mine) == before


# --- duplicate rows, conflicting labels, one image on both sides of a split ---------------------------
def _chips(utkface_dir: Path, count: int) -> list[Path]:
    return sorted(utkface_dir.glob("*.jpg"))[:count]


def test_csv_duplicates_and_conflicts_are_counted_not_kept(tmp_path, utkface_dir):
    chips = _chips(utkface_dir, 60)
    images = tmp_path / "img"
    images.mkdir()
    rows = []
    for index, chip in enumerate(chips):
        shutil.copy(chip, images / f"{index}.jpg")
        rows += [(f"img/{index}.jpg", 30, "m")] * 3  # every row listed three times
    shutil.copy(chips[0], images / "copy_of_0.jpg")  # the same bytes under another name
    rows.append(("img/copy_of_0.jpg", 30, "m"))
    rows += [("img/1.jpg", 50, "f")]  # one image with a different label
    manifest = tmp_path / "faces.csv"
    with open(manifest, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "age", "gender"])
        writer.writerows(rows)
    dataset = load_csv(manifest)
    paths = [r.path for r in dataset.records]
    assert len(paths) == len(set(paths)) == 59  # 60 images minus the conflicting one; the copy merged into 0
    assert dataset.skipped.counts["conflicting labels for one image (listed with different labels)"] == 4
    assert dataset.skipped.counts["duplicate row (image already listed)"] == 59 * 2 + 1  # two extra rows each + the copy
    from edge.splits import holdout_split

    split = holdout_split(dataset.records, 0.2, 0.1, seed=42)
    sides = [{paths[i] for i in part} for part in (split.train, split.val, split.test)]
    assert not (sides[0] & sides[2]) and not (sides[0] & sides[1])


# --- read-only, missing, file-in-the-way and full outputs -------------------------------------------
def test_output_locations_are_checked_before_slow_work(tmp_path, utkface_dir):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    one_line_error(run_cli("train", "--data", utkface_dir, "--out", blocker / "run", "--max-images", "40"), str(blocker))
    one_line_error(run_cli("data", "inspect", utkface_dir, "--out", blocker), str(blocker))
    with pytest.raises(EdgeError, match="is a file"):
        check_output_dir(blocker, "report directory")


@pytest.mark.slow
def test_read_only_and_full_disks_give_one_line(tmp_path, utkface_dir, exported_run):
    with tmpfs(tmp_path / "ro", read_only=True) as read_only:
        one_line_error(run_cli("train", "--data", utkface_dir, "--out", read_only / "run", "--max-images", "40"),
                        "read-only")
    with tmpfs(tmp_path / "full", size="64k") as full:
        (full / "filler").write_bytes(b"x" * (64 * 1024 - 8192))
        export = exported_run("mobile")
        result = run_cli("validate", export, "--data", utkface_dir, "--max-images", "20", "--report", full / "rep",
                         "--no-keras")
        one_line_error(result, "no space left")


def test_a_failed_save_leaves_no_temporary_file(tmp_path):
    from edge.tf_bootstrap import save_model_atomic

    class DiskFullModel:
        def save(self, path):
            Path(path).write_bytes(b"half a model")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with pytest.raises(OSError):
        save_model_atomic(DiskFullModel(), tmp_path / "epoch_001.keras")
    assert list(tmp_path.iterdir()) == []


# --- impossible option values --------------------------------------------------------------------------
@pytest.mark.parametrize("option, value, needle", [
    ("--batch", "-4", "--batch"), ("--batch", "0", "--batch"), ("--max-images", "-5", "--max-images"),
    ("--max-images", "0", "--max-images"), ("--max-images", "5", "--max-images"), ("--dropout", "2", "--dropout"),
    ("--img-size", "0", "--img-size"), ("--lr", "0", "--lr"), ("--lr", "-1", "--lr"), ("--depth", "0", "--depth"),
    ("--width", "0", "--width"), ("--folds", "0", "--folds"), ("--folds", "-3", "--folds"),
    ("--epochs", "0", "--epochs"), ("--test-frac", "1.5", "--test-frac"),
])
def test_impossible_options_are_refused_at_the_boundary(tmp_path, option, value, needle):
    result = run_cli("train", "--data", tmp_path / "does-not-matter", "--out", tmp_path / "run", option, value)
    one_line_error(result, needle)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("options, needle", [
    (["--depth", "8"], "--depth 8: mobile takes at most 7 blocks"),  # once built 7 blocks and said nothing
    (["--model", "cnn", "--img-size", "32", "--depth", "5"], "--depth 5: cnn takes at most 4 blocks at 32 px"),
    (["--model", "fcn2hot", "--depth", "3"], "fcn2hot has none"),
])
def test_a_depth_the_family_cannot_build_is_refused_before_training(tmp_path, options, needle):
    result = run_cli("train", "--data", tmp_path / "does-not-matter", "--out", tmp_path / "run", *options)
    one_line_error(result, needle)
    assert not (tmp_path / "run").exists()


def test_more_folds_than_images_is_one_line(tmp_path, utkface_dir):
    result = run_cli("train", "--data", utkface_dir, "--max-images", "30", "--folds", "50", "--out", tmp_path / "run")
    one_line_error(result, "--folds 50")


# --- failed first attempts, --resume with new options -------------------------------------------
@pytest.mark.slow
def test_failed_attempt_restarts_and_resume_extends(tmp_path, utkface_dir):
    run = tmp_path / "run"
    run.mkdir()
    (run / layout.RUN_MARKER).write_text("")
    (run / layout.CONFIG_JSON).write_text(json.dumps({"data": str(utkface_dir), "model": "mobile", "max_images": 5}))
    (run / layout.SPEC_JSON).write_text("{}")  # what a run that failed before its first epoch leaves
    result = run_cli("train", "--data", utkface_dir, "--max-images", "60", "--epochs", "1", "--out", run)
    assert result.exit_code == 0, result.output
    assert "starting fresh" in result.output
    result = run_cli("train", "--resume", "--out", run, "--model", "cnn", "--epochs", "2", "--data", tmp_path)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "ignored with --resume" in text and "--model cnn" in text and "--data" in text
    assert "extending the run from 1 to 2 epochs" in text
    history = json.loads((run / layout.HISTORY_JSON).read_text())
    assert len(history["loss"]) == 2
    assert json.loads((run / layout.CONFIG_JSON).read_text())["model"] == "mobile"


# --- file names that are not UTF-8 ---------------------------------------------------------------------
def test_non_utf8_directory_names(tmp_path, utkface_dir):
    folder = os.path.join(os.fsencode(tmp_path), b"caf\xe9")
    os.makedirs(folder)
    for chip in _chips(utkface_dir, 30):
        shutil.copy(chip, os.path.join(folder, os.fsencode(chip.name)))
    done = subprocess.run([EDGE, "data", "inspect", folder, "--out", os.fsencode(tmp_path)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"usable images: 30" in done.stdout


# --- damaged run files -------------------------------------------------------------------------
def test_export_of_a_keras_file_or_a_corrupt_run_is_one_line(tmp_path):
    loose = tmp_path / "model.keras"
    loose.write_bytes(b"PK\x03\x04 not really")
    one_line_error(run_cli("export", loose), "is a file", "edge train --out")
    run = fake_run(tmp_path / "run")
    (run / layout.CONFIG_JSON).write_text("{ this is not json")
    one_line_error(run_cli("export", run), str(run / layout.CONFIG_JSON), "corrupt")
    assert not (run / "export").exists()


@pytest.mark.slow
def test_validate_survives_a_corrupt_keras_model(tmp_path, utkface_dir, exported_run):
    export = tmp_path / "export"
    shutil.copytree(exported_run("mobile"), export)
    fake_run = tmp_path / "run"
    fake_run.mkdir()
    (fake_run / layout.MODEL_KERAS).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 300)
    report = json.loads((export / layout.EXPORT_REPORT).read_text())
    report["run_dir"] = str(fake_run)
    (export / layout.EXPORT_REPORT).write_text(json.dumps(report))
    result = run_cli("validate", export, "--data", utkface_dir, "--max-images", "20")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "no Keras column" in result.output
    assert "| int8_qat" in result.output or "int8_qat" in result.output


# --- impossible ages -----------------------------------------------------------------------------
def test_ages_outside_0_to_120_are_skipped_everywhere(tmp_path, utkface_dir):
    chip = _chips(utkface_dir, 1)[0]
    folder = tmp_path / "utk"
    folder.mkdir()
    for index, age in enumerate((200, 999, 120, 0)):
        name = folder / f"{age}_0_0_20170109150557335.jpg.chip.jpg"
        shutil.copy(chip, name)
        with open(name, "ab") as stream:  # its own bytes: identical copies with two ages would be a label conflict
            stream.write(bytes([index]))
    dataset = load_utkface(folder)
    assert sorted(r.age_years for r in dataset.records) == [0, 120]
    assert dataset.skipped.counts["age outside 0..120 years"] == 2
    manifest = tmp_path / "m.csv"
    for index, age in enumerate((131, 500, 999, -1, 45)):
        shutil.copy(chip, tmp_path / f"{index}.jpg")
    manifest.write_text("path,age,gender\n" + "".join(f"{i}.jpg,{a},m\n" for i, a in enumerate((131, 500, 999, -1, 45))))
    # identical bytes merge: give each copy its own content so only the age rule decides
    for index in range(5):
        with open(tmp_path / f"{index}.jpg", "ab") as stream:
            stream.write(bytes([index]))
    dataset = load_csv(manifest)
    assert [r.age_years for r in dataset.records] == [45]
    assert dataset.skipped.counts["age outside 0..120 years"] == 4  # 131, 500, 999 and -1


# --- corrupt JPEG data, trailing bytes ---------------------------------------------------------------
def test_corrupt_middle_is_skipped_trailing_bytes_are_fine(tmp_path, utkface_dir):
    raw = _chips(utkface_dir, 1)[0].read_bytes()
    corrupt = bytearray(raw)
    middle = len(raw) // 2
    corrupt[middle:middle + 600] = np.random.default_rng(0).integers(0, 256, 600, dtype=np.uint8).tobytes()
    (tmp_path / "corrupt.jpg").write_bytes(bytes(corrupt))
    (tmp_path / "phone.jpg").write_bytes(raw + np.random.default_rng(1).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    (tmp_path / "cut.jpg").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ImageError, match="corrupt JPEG"):
        decode_image(tmp_path / "corrupt.jpg")
    assert decode_image(tmp_path / "phone.jpg").shape == (200, 200, 3)
    with pytest.raises(ImageError, match="truncated"):
        decode_image(tmp_path / "cut.jpg")


# --- damaged .tflite files --------------------------------------------------------------------------
@pytest.mark.slow
def test_damaged_tflite_files_name_file_and_cause(tmp_path, utkface_dir, exported_run):
    good = (exported_run("mobile") / "model_int8_qat.tflite").read_bytes()
    cases = {"empty.tflite": (b"", "empty file"),
             "photo.tflite": (_chips(utkface_dir, 1)[0].read_bytes(), "JPEG image"),
             "cut.tflite": (good[: len(good) // 2], "truncated or corrupt"),
             "scrambled.tflite": (good[:8] + bytes(200) + good[208:], "truncated or corrupt")}
    for name, (data, needle) in cases.items():
        (tmp_path / name).write_bytes(data)
        result = run_cli("validate", tmp_path / name, "--data", utkface_dir, "--split", "all", "--max-images", "5")
        one_line_error(result, name, needle)


# --- interrupted and stale exports -----------------------------------------------------------
def _complete_export(path: Path, tag: str) -> Path:
    path.mkdir(parents=True)
    (path / layout.EXPORT_MARKER).write_text("")
    (path / "model_float32.tflite").write_text(tag)
    return path


def test_a_kill_between_the_two_renames_is_recovered(tmp_path):
    out = tmp_path / "export"
    dead_pid = 2 ** 22 + 17  # above pid_max's default: certainly not running
    _complete_export(tmp_path / f".export{layout.BACKUP_TAG}{dead_pid}", "old")
    staged = _complete_export(tmp_path / f".export{layout.STAGING_TAG}{dead_pid}-abc", "new")
    os.utime(staged / layout.EXPORT_MARKER, (2e9, 2e9))
    layout.recover_export(out, log=lambda _: None)
    assert (out / "model_float32.tflite").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


_KILLED_MID_SWAP = """
import os, sys
import edge.export.exporter as exporter
exporter._exchange = lambda first, second: False  # as on a kernel without renameat2(RENAME_EXCHANGE)
replace = os.replace
def replace_then_die(source, target):
    replace(source, target)
    if ".previous-" in str(target):  # the old export moved aside, the new one not yet in place
        os.kill(os.getpid(), 9)
exporter.os.replace = replace_then_die
from edge.app.cli import main
sys.argv = ["edge", "export", sys.argv[1], "--out", sys.argv[2]]
main()
"""


@pytest.mark.slow
def test_a_real_sigkill_mid_swap_is_recovered_by_the_next_command(tmp_path, trained_run, utkface_dir):
    out = tmp_path / "export"
    _complete_export(out, "previous")
    # the export in a child process patched to take the two-rename path and die between the renames
    done = subprocess.run([sys.executable, "-c", _KILLED_MID_SWAP, str(trained_run("mobile")), str(out)],
                          capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode(errors="replace")[-2000:]
    assert not out.exists()  # killed between the renames: both exports sit in hidden folders
    result = run_cli("validate", out, "--data", utkface_dir, "--max-images", "10", "--no-keras")
    assert "recovered the export" in result.output, result.output
    assert (out / "model_float32.tflite").stat().st_size > 10_000  # the new, complete export
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export.")] == [".export.lock"]


def test_stale_staging_is_reclaimed_and_hidden_folds_are_ignored(tmp_path):
    out = _complete_export(tmp_path / "export", "current")
    stale = tmp_path / f".export{layout.STAGING_TAG}{2 ** 22 + 5}-x"
    stale.mkdir()
    (stale / "half.tflite").write_bytes(b"x" * 1000)
    live = tmp_path / f".export{layout.STAGING_TAG}{os.getppid()}-y"  # a running process's staging: left alone
    live.mkdir()
    layout.recover_export(out, log=lambda _: None)
    assert not stale.exists() and live.exists() and (out / "model_float32.tflite").read_text() == "current"
    folds = tmp_path / "folds"
    for name in ("fold_0", ".fold_1.staging-1-z", "fold_1"):
        (folds / name).mkdir(parents=True)
    assert [p.name for p in layout.visible_subdirs(folds)] == ["fold_0", "fold_1"]


@pytest.mark.slow
def test_a_folds_export_failing_on_fold_1_keeps_every_old_fold(tmp_path, trained_run):
    run = tmp_path / "run"
    for fold in ("fold_0", "fold_1"):
        shutil.copytree(trained_run("mobile"), run / "folds" / fold, ignore=shutil.ignore_patterns("export"))
    (run / layout.CONFIG_JSON).write_text("{}")
    (run / "folds" / "fold_1" / layout.CONFIG_JSON).write_text("{ broken")
    old = run / "export"
    for fold in ("fold_0", "fold_1"):
        _complete_export(old / "folds" / fold, f"old {fold}")
    (old / layout.EXPORT_MARKER).write_text("")
    before = snapshot(old)
    result = run_cli("export", run, *LOOSE_GATE)
    one_line_error(result, "fold_1", "corrupt")
    assert snapshot(old) == before


# --- bare-file reports, permissions, concurrent exports ---------------------------------------
@pytest.mark.slow
def test_validating_a_bare_file_keeps_the_export_report(tmp_path, utkface_dir, exported_run):
    export = tmp_path / "export"
    shutil.copytree(exported_run("mobile"), export)
    (export / "validation").mkdir(exist_ok=True)
    (export / "validation" / "validation.json").write_text('{"full": "report"}')
    result = run_cli("validate", export / "model_int8_qat.tflite", "--data", utkface_dir, "--max-images", "10")
    assert result.exit_code in (0, 1), result.output
    assert (export / "validation" / "validation.json").read_text() == '{"full": "report"}'
    assert (export / "validation" / "model_int8_qat" / "validation.json").is_file()


def test_artifacts_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "model.tflite", b"x")
        staging = make_temp_dir(tmp_path, ".export.staging-")
    finally:
        os.umask(old)
    assert (tmp_path / "model.tflite").stat().st_mode & 0o777 == 0o644
    assert staging.stat().st_mode & 0o777 == 0o755


def test_a_second_export_of_the_same_target_is_refused(tmp_path):
    from edge.export.exporter import export_lock

    run = fake_run(tmp_path / "run")
    with export_lock(run / "export"):
        result = run_cli("export", run)
    one_line_error(result, "another `edge export`", "is writing")


def test_validate_of_a_moved_run_compares_with_its_own_keras_model(exported_run, trained_run, adience_dir, tmp_path):
    """A run renamed after export, with ANOTHER run now at its recorded path: the Keras column is its own."""
    source = exported_run("mobile").parent
    moved = tmp_path / "moved"
    shutil.copytree(source, moved)
    report_path = moved / "export" / layout.EXPORT_REPORT
    report = json.loads(report_path.read_text())
    report["run_dir"] = str(trained_run("cnn"))  # a different model (64 px gray) at the recorded path
    report_path.write_text(json.dumps(report))
    result = run_cli("validate", moved / "export", "--data", adience_dir, "--split", "all", "--max-images", "40",
                     "--report", tmp_path / "report", *("--max-drop-gender", "100", "--max-increase-mae", "100"))
    assert result.exit_code == 0, result.output
    models = json.loads((tmp_path / "report" / "validation.json").read_text())["models"]
    assert models["keras"]["age_mae_years"] == pytest.approx(models["float32"]["age_mae_years"], abs=1e-3)
