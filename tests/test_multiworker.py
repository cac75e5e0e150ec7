"""--strategy multiworker for real: two worker processes on 127.0.0.1 ports train one model together
(MultiWorkerMirroredStrategy from TF_CONFIG), only the chief writes the run directory, the result
matches a single-worker run, and a killed worker is recovered by restarting the cluster with --resume."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT, run_cli
from edge.train.multiworker import WORKER_DIR_PREFIX, worker_role

ONE_EPOCH = ["--max-images", "300", "--epochs", "1", "--seed", "5"]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _start_workers(data: Path, out: Path, *options: str, logs: Path) -> list[subprocess.Popen]:
    addresses = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    workers = []
    for index in range(2):
        tf_config = {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "2"}
        log = open(logs / f"worker{index}.log", "w")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "edge.app.cli", "train", "--data", str(data), "--out", str(out), *options],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def _wait(workers: list[subprocess.Popen], logs: Path, timeout: float = 400) -> list[int]:
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            for other in workers:
                other.kill()
            pytest.fail("a worker hung: " + (logs / "worker0.log").read_text()[-2000:])
    return codes


def _own_worker_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{WORKER_DIR_PREFIX}*"))


def test_tf_config_errors_are_one_line_before_any_training(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = run_cli("train", "--data", tmp_path, "--strategy", "multiworker", "--out", tmp_path / "run")
    assert result.exit_code == 2 and "TF_CONFIG, which is not set" in result.output
    assert len(result.output.strip().splitlines()) == 1
    for bad, phrase in (("{not json", "not a valid cluster description"),
                        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}', "outside the 1 worker"),
                        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "task type 'ps'")):
        monkeypatch.setenv("TF_CONFIG", bad)
        result = run_cli("train", "--data", tmp_path, "--strategy", "multiworker", "--out", tmp_path / "run")
        assert result.exit_code == 2 and phrase in result.output, result.output
    two = {"cluster": {"worker": ["a:1", "b:2"]}}
    assert worker_role({"TF_CONFIG": json.dumps({**two, "task": {"type": "worker", "index": 0}})}).is_chief
    assert not worker_role({"TF_CONFIG": json.dumps({**two, "task": {"type": "worker", "index": 1}})}).is_chief
    with_chief = {"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}
    role = worker_role({"TF_CONFIG": json.dumps(with_chief)})
    assert not role.is_chief and role.workers == 2


@pytest.mark.slow
def test_two_workers_train_like_one_and_only_the_chief_writes(utkface_dir, tmp_path):
    before = _own_worker_dirs()
    out = tmp_path / "multi"
    workers = _start_workers(utkface_dir, out, *ONE_EPOCH, "--strategy", "multiworker", logs=tmp_path)
    codes = _wait(workers, tmp_path)
    chief_log, other_log = ((tmp_path / f"worker{i}.log").read_text() for i in range(2))
    assert codes == [0, 0], chief_log[-3000:] + other_log[-3000:]
    assert "worker 0 (chief), 2 workers, 2 replicas in sync" in chief_log
    assert "worker 1 (not the chief)" in other_log

    # the chief's run directory is a complete run; the other worker's private copy is gone
    for name in ("model.keras", "metrics.json", "split.json", "config.json", "spec.json", "history.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epoch"] == 1
    assert json.loads((out / "config.json").read_text())["strategy"] == "multiworker"
    assert _own_worker_dirs() <= before
    writers = {re.search(r"\.(\d+)\.\d+\.v2$", p.name).group(1) for p in (out / "tensorboard").rglob("events.out.tfevents.*")}
    assert writers == {str(workers[0].pid)}, "a process other than the chief wrote into the run directory"

    single = tmp_path / "single"
    result = run_cli("train", "--data", utkface_dir, "--out", single, *ONE_EPOCH)
    assert result.exit_code == 0, result.output

    # same data, split, seed and global batch: only BatchNorm statistics (per replica: half the batch)
    # and summation order differ, so after one epoch the two models must agree closely
    assert json.loads((out / "split.json").read_text()) == json.loads((single / "split.json").read_text())
    multi_history = json.loads((out / "history.json").read_text())
    single_history = json.loads((single / "history.json").read_text())
    for key in ("loss", "val_loss"):
        assert abs(multi_history[key][0] - single_history[key][0]) <= 0.02 * abs(single_history[key][0]), key
    from edge.spec import Spec
    from edge.tf_bootstrap import load_keras_model, predict_outputs
    from edge.train.run_data import load_run_data

    spec = Spec.load(out / "spec.json")
    data = load_run_data(out, spec)
    faces = data.images[data.split.test]
    multi = predict_outputs(load_keras_model(out / "model.keras"), faces, spec)
    alone = predict_outputs(load_keras_model(single / "model.keras"), faces, spec)
    for name in multi:
        assert float(np.abs(multi[name] - alone[name]).max()) < 0.05, name
    multi_metrics = json.loads((out / "metrics.json").read_text())
    single_metrics = json.loads((single / "metrics.json").read_text())
    assert abs(multi_metrics["age_mae_years"] - single_metrics["age_mae_years"]) < 1.0


@pytest.mark.slow
def test_a_killed_worker_is_recovered_by_resuming_the_cluster(utkface_dir, tmp_path):
    out = tmp_path / "run"
    options = ["--max-images", "300", "--epochs", "6", "--strategy", "multiworker"]
    workers = _start_workers(utkface_dir, out, *options, logs=tmp_path)
    state = out / "checkpoint" / "state.json"
    deadline = time.monotonic() + 300
    while not state.is_file():
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), \
            (tmp_path / "worker0.log").read_text()[-3000:]
        time.sleep(0.2)
    workers[1].send_signal(signal.SIGKILL)  # worker 1 dies after the first checkpoint
    chief_code = _wait(workers[:1], tmp_path)[0]
    workers[1].wait()
    chief_log = (tmp_path / "worker0.log").read_text()
    if chief_code == 0:  # the chief finished every epoch before the kill landed: nothing to recover
        pytest.fail("the chief finished before worker 1 was killed: raise --epochs in this test")
    assert chief_code == 1, chief_log[-3000:]
    assert "the cluster broke off training" in chief_log and "--resume" in chief_log
    saved = json.loads(state.read_text())["epoch"]
    assert 1 <= saved < 6

    workers = _start_workers(utkface_dir, out, "--resume", logs=tmp_path)
    codes = _wait(workers, tmp_path)
    chief_log = (tmp_path / "worker0.log").read_text()
    assert codes == [0, 0], chief_log[-3000:] + (tmp_path / "worker1.log").read_text()[-3000:]
    assert f"resumed after epoch {saved}" in chief_log
    assert f"resumed after epoch {saved}" in (tmp_path / "worker1.log").read_text()
    final = json.loads(state.read_text())
    assert final["epoch"] == 6 and len(final["history"]["loss"]) == 6
    assert (out / "metrics.json").is_file()
