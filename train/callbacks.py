"""Keras callbacks of the trainer: per-epoch evaluation + atomic checkpoint, progress bar.

Imported only inside training (it imports TensorFlow), never by ``edge --help``.
"""

from __future__ import annotations

import csv
import io
import time
from contextlib import nullcontext

from edge.console import console
from edge.decode import decode_outputs
from edge.io import write_json_atomic, write_text_atomic
from edge.metrics import label_metrics
from edge.tf_bootstrap import import_tf
from edge.tf_bootstrap import predict_outputs, save_model_atomic

tf, keras = import_tf()


class EpochEnd(keras.callbacks.Callback):
    """Evaluate on val with the project's metrics, checkpoint atomically, write history.

    ``run`` is the split's training (``train.trainer.SplitRun``: its folder, spec, faces, split and log);
    ``state`` the checkpoint state it updates; ``interrupted["flag"]`` is set by Ctrl-C.
    """

    def __init__(self, run, state: dict, interrupted: dict, average=None):
        super().__init__()
        self.average = average  # a train.averaging.WeightAverage: validate it, checkpoint it beside the raw weights
        self.train_size = len(run.split.train)
        self.files, self.spec, self.log = run.files, run.spec, run.log
        self.val_images, self.val_targets = run.images[run.split.val], run.targets.subset(run.split.val)
        self.state, self.epochs, self.interrupted = state, run.config.epochs, interrupted
        self.started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.interrupted["flag"]:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.interrupted["flag"]:
            return  # an interrupted epoch is incomplete: keep the previous checkpoint
        seconds = time.perf_counter() - self.started
        logs = dict(logs or {})
        logs.pop("lr", None)
        logs["lr"] = float(self.model.optimizer.learning_rate.numpy())
        if len(self.val_images):
            with self.average.averaged() if self.average else nullcontext():
                outputs = predict_outputs(self.model, self.val_images, self.spec)
            decoded = decode_outputs(self.spec, outputs)
            val = label_metrics(decoded, self.val_targets.age_class, self.val_targets.age_years,
                                self.val_targets.gender, len(self.spec.age_class_names))
            logs.update({f"val_{k}": v for k, v in val.items() if isinstance(v, float)})
        logs["epoch_seconds"] = seconds
        history = self.state["history"]
        for key, value in logs.items():
            history.setdefault(key, []).append(float(value))
        self._checkpoint(epoch + 1)
        self._write_history()
        self.log(f"epoch {epoch + 1}/{self.epochs}  " + "  ".join(
            f"{k} {logs[k]:.4f}" for k in ("loss", "val_loss", "val_gender_accuracy", "val_age_exact_accuracy",
                                            "val_age_mae_years") if k in logs) + f"  {seconds:.1f}s")

    def _checkpoint(self, epoch: int) -> None:
        directory = self.files.checkpoint_dir
        directory.mkdir(exist_ok=True)
        name = f"epoch_{epoch:03d}.keras"
        save_model_atomic(self.model, directory / name)
        average = f"average_{epoch:03d}.npz" if self.average else None
        if average:
            self.average.save(directory / average)
        epoch_seconds = self.state["history"].get("epoch_seconds", [])
        self.state.update({"epoch": epoch, "checkpoint": name, "average": average,
                           "optimizer_step": int(self.model.optimizer.iterations.numpy()),
                           "images_per_s": self.train_size * len(epoch_seconds) / max(sum(epoch_seconds), 1e-9)})
        write_json_atomic(self.files.checkpoint_state, self.state)
        for old in [*directory.glob("epoch_*.keras"), *directory.glob("average_*.npz")]:
            if old.name not in (name, average):
                old.unlink(missing_ok=True)

    def _write_history(self) -> None:
        history = self.state["history"]
        write_json_atomic(self.files.history_json, history)
        keys = sorted(history)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["epoch", *keys])
        for row in range(len(history[keys[0]])):
            writer.writerow([row + 1, *(history[k][row] if row < len(history[k]) else "" for k in keys)])
        write_text_atomic(self.files.history_csv, buffer.getvalue())


class ProgressBar(keras.callbacks.Callback):
    """A rich progress bar over the batches of each epoch."""

    def __init__(self, steps: int, epochs: int):
        super().__init__()
        self.steps, self.epochs = steps, epochs
        self.progress = None

    def on_epoch_begin(self, epoch, logs=None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn(f"epoch {epoch + 1}/{self.epochs}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]:.4f}"), TimeRemainingColumn(),
                                 console=console, transient=True, disable=not console.is_terminal)
        self.progress.start()
        self.task = self.progress.add_task("train", total=self.steps, loss=float("nan"))

    def on_train_batch_end(self, batch, logs=None):
        self.progress.update(self.task, completed=batch + 1, loss=float((logs or {}).get("loss", float("nan"))))

    def on_epoch_end(self, epoch, logs=None):
        self.progress.stop()

    def on_train_end(self, logs=None):
        if self.progress:
            self.progress.stop()
