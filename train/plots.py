"""Training plots: learning curves, confusion matrix, per-fold curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.plotting import draw_confusion, pyplot, save_png


def plot_learning_curves(history: dict[str, list[float]], path: Path, title: str) -> Path:
    """Loss (train/val) and the validation metrics per epoch."""
    plt = pyplot()
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    metric_keys = [k for k in ("val_gender_accuracy", "val_age_exact_accuracy", "val_age_1off_accuracy") if k in history]
    figure, axes = plt.subplots(1, 3 if "val_age_mae_years" in history else 2, figsize=(13, 3.8))
    axes[0].plot(epochs, history["loss"], label="train loss")
    if "val_loss" in history:
        axes[0].plot(epochs, history["val_loss"], label="val loss")
    axes[0].set_xlabel("epoch")
    axes[0].legend()
    axes[0].set_title("loss")
    for key in metric_keys:
        axes[1].plot(epochs, history[key], label=key.replace("val_", ""))
    axes[1].set_xlabel("epoch")
    axes[1].set_ylim(0, 1)
    axes[1].legend()
    axes[1].set_title("validation accuracy")
    if "val_age_mae_years" in history:
        axes[2].plot(epochs, history["val_age_mae_years"], color="tab:red")
        axes[2].set_xlabel("epoch")
        axes[2].set_title("validation age MAE (years)")
    figure.suptitle(title)
    return save_png(figure, path)


def plot_confusion(matrix: np.ndarray, class_names: list[str], path: Path, title: str) -> Path:
    """Row-normalized confusion matrix (rows = true age group) as a PNG."""
    figure, axis = pyplot().subplots(figsize=(0.45 * len(class_names) + 3, 0.45 * len(class_names) + 2.5))
    image = draw_confusion(axis, matrix, class_names, title)
    figure.colorbar(image, ax=axis, fraction=0.046)
    return save_png(figure, path)


def plot_fold_curves(histories: dict[str, dict], path: Path) -> Path:
    """Per-fold validation accuracy curves (the k-fold view of the source report)."""
    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, history in histories.items():
        if "val_gender_accuracy" in history:
            axes[0].plot(range(1, len(history["val_gender_accuracy"]) + 1), history["val_gender_accuracy"], label=name)
        if "val_age_exact_accuracy" in history:
            axes[1].plot(range(1, len(history["val_age_exact_accuracy"]) + 1), history["val_age_exact_accuracy"], label=name)
    for axis, title in zip(axes, ("val gender accuracy", "val age exact accuracy")):
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.legend(fontsize=7)
    return save_png(figure, path)
