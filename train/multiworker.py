"""``--strategy multiworker``: synchronous data-parallel training over several machines.

Every worker runs the same ``edge train`` command with its own ``TF_CONFIG`` (the cluster's
``host:port`` list and this worker's index). ``tf.distribute.MultiWorkerMirroredStrategy`` keeps
one copy of the model per worker in lock step: each global batch of ``--batch`` images is split
across the workers (the input is sharded by data: every worker builds the same seeded,
shuffled stream and keeps its own part of each batch) and the gradients are all-reduced.

Only the chief (task ``chief``, or worker 0 when the cluster has no chief) writes ``--out``.
The other workers write their checkpoints and reports into a private temporary directory that
is deleted when they finish. ``--resume`` works as on one machine: when a worker dies the
others stop (the collective ops fail), and every worker is started again with ``--resume``; a
non-chief worker then starts from a copy of the chief's run directory, so ``--out`` must be on
storage every worker can read (the same path on a shared file system, e.g. NFS).

Pure Python until ``make_strategy``: TF_CONFIG is checked before TensorFlow is imported.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from edge import layout
from edge.layout import RunDir
from edge.errors import EdgeError

Log = Callable[[str], None]
TF_CONFIG = "TF_CONFIG"
EXAMPLE = ('{"cluster": {"worker": ["host0:12345", "host1:12345"]}, "task": {"type": "worker", "index": 0}}')


@dataclass(frozen=True)
class WorkerRole:
    """This process's place in the cluster described by TF_CONFIG."""

    task_type: str
    index: int
    workers: int  # number of training tasks (workers plus chief)
    is_chief: bool

    @property
    def name(self) -> str:
        """The task as people read it, e.g. ``worker 1``."""
        return f"{self.task_type} {self.index}"


def worker_role(environ: dict | None = None) -> WorkerRole:
    """Parse and check ``TF_CONFIG``; an unset or malformed one is one EdgeError line."""
    raw = (environ if environ is not None else os.environ).get(TF_CONFIG, "").strip()
    fix = f"export {TF_CONFIG}='{EXAMPLE}' on every worker (its own index on each; see the README)"
    if not raw:
        raise EdgeError(f"--strategy multiworker reads the cluster from {TF_CONFIG}, which is not set: {fix}")
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        task_type, index = str(task["type"]), int(task["index"])
        chiefs, workers = list(cluster.get("chief", [])), list(cluster.get("worker", []))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise EdgeError(f"{TF_CONFIG} is not a valid cluster description ({type(error).__name__}: {error}): {fix}") from None
    members = {"chief": chiefs, "worker": workers}
    if task_type not in members:
        raise EdgeError(f"{TF_CONFIG} task type {task_type!r}: edge trains with 'worker' (and optionally 'chief') tasks: {fix}")
    if not 0 <= index < len(members[task_type]):
        raise EdgeError(f"{TF_CONFIG} task index {index} is outside the {len(members[task_type])} "
                        f"{task_type} addresses of its cluster: {fix}")
    if len(chiefs) > 1:
        raise EdgeError(f"{TF_CONFIG} lists {len(chiefs)} chiefs: a cluster has at most one")
    is_chief = task_type == "chief" or (not chiefs and index == 0)
    return WorkerRole(task_type, index, len(chiefs) + len(workers), is_chief)


def uses_multiworker(strategy: str, out_dir: Path, resume: bool) -> bool:
    """Whether this run is a multi-worker run (on --resume the saved config decides)."""
    if strategy == "multiworker":
        return True
    saved = RunDir(out_dir).config_json
    if resume and saved.is_file():
        try:
            return json.loads(saved.read_text()).get("strategy") == "multiworker"
        except (OSError, ValueError):
            return False  # train() reports a damaged config.json itself
    return False


WORKER_DIR_PREFIX = "edge-worker-"  # + pid: a killed worker's directory is reclaimed by the next one


def _reclaim_dead_workers_dirs() -> None:
    """Delete private directories of non-chief workers whose process is gone (killed: no cleanup ran)."""
    for path in Path(tempfile.gettempdir()).glob(f"{WORKER_DIR_PREFIX}*-*"):
        pid = path.name[len(WORKER_DIR_PREFIX):].split("-")[0]
        if path.is_dir() and pid.isdigit() and not layout.pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def worker_directory(out_dir: Path, role: WorkerRole, resume: bool, log: Log) -> Iterator[Path]:
    """A non-chief worker's private run directory (deleted afterwards); with ``resume``, a copy of the chief's."""
    _reclaim_dead_workers_dirs()
    scratch = Path(tempfile.mkdtemp(prefix=f"{WORKER_DIR_PREFIX}{os.getpid()}-"))
    try:
        if resume:
            out_dir = Path(out_dir)
            if not RunDir(out_dir).config_json.is_file():
                raise EdgeError(f"{role.name}: --resume needs the chief's run directory, but {out_dir} has no "
                                f"{layout.CONFIG_JSON} here: put --out on storage every worker sees (e.g. NFS)")
            shutil.rmtree(scratch)
            shutil.copytree(out_dir, scratch, ignore=shutil.ignore_patterns(layout.TENSORBOARD_DIR, layout.EXPORT_DIR_NAME))
        log(f"{role.name} of {role.workers}: not the chief, so {out_dir} is left to the chief "
            f"(this worker's checkpoints go to {scratch}, deleted at the end)")
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class ClusterFailure(EdgeError):
    """Another worker stopped mid-training (crash, kill, lost network): the run can be resumed."""

    exit_code = 1


@contextmanager
def cluster_failures(role: WorkerRole, out_dir: Path) -> Iterator[None]:
    """Turn TensorFlow's aborted-collective errors (a peer died) into one line that says how to resume."""
    try:
        yield
    except Exception as error:
        module = type(error).__module__
        if not module.startswith("tensorflow") or not type(error).__name__.endswith("Error"):
            raise
        reason = " ".join(str(error).split())
        reason = "another worker stopped sending heartbeats" if "unhealthy" in reason else reason[:160]
        raise ClusterFailure(f"{role.name}: the cluster broke off training ({type(error).__name__}: {reason}); "
                             f"the last completed epoch is saved in {out_dir}: start EVERY worker again with the "
                             f"same command plus --resume") from None


def make_strategy(tf, log: Log):
    """The MultiWorkerMirroredStrategy for TF_CONFIG; must run before any other TensorFlow op."""
    role = worker_role()
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as error:
        raise EdgeError(f"cannot start MultiWorkerMirroredStrategy from {TF_CONFIG} "
                        f"({' '.join(str(error).split())[:200]}): check the addresses and that each port is free") from None
    log(f"MultiWorkerMirroredStrategy: {role.name} ({'chief' if role.is_chief else 'not the chief'}), "
        f"{role.workers} workers, {strategy.num_replicas_in_sync} replicas in sync")
    return strategy
