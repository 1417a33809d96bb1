"""Score the saved model on rows it never saw, and draw a diagnostic plot."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from . import artifacts
from .config import Config
from .data import Schema, features_for, labels_for, read_table
from .runtime import DataError, fingerprint, write_metrics
from .train import score

log = logging.getLogger(__package__)


def held_out_rows(metadata: dict[str, Any]) -> tuple[Path, Any]:
    """The training run's own held-out rows, re-read from its data file, which must not have changed."""
    data = metadata["data"]
    source = Path(data["path"])
    if not source.is_file():
        raise DataError(
            f"{source}: the training data is gone, so its held-out rows are too; pass --data FILE to "
            "score other labelled rows"
        )
    if fingerprint(source) != data["fingerprint"]:
        raise DataError(
            f"{source}: changed since training (its fingerprint differs), so which rows were held out "
            "is no longer known; run `train` again, or pass --data FILE to score other rows"
        )
    frame = read_table(source)
    return source, frame.loc[data["held_out_rows"]]


def _plot(task: str, classes: list[Any], y_true: Any, y_pred: Any, folder: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display is needed, and none may exist (CI, a server)
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(6, 5))
    if task == "classification":
        ConfusionMatrixDisplay.from_predictions(y_true, y_pred, labels=classes, ax=ax, colorbar=False)
        ax.set_title(f"Confusion matrix ({title})")
        plot = folder / "confusion_matrix.png"
    else:
        ax.scatter(y_pred, y_true - y_pred, s=12)
        ax.axhline(0, color="grey", linewidth=1)
        ax.set_xlabel("predicted")
        ax.set_ylabel("residual (actual - predicted)")
        ax.set_title(f"Residuals ({title})")
        plot = folder / "residuals.png"
    fig.tight_layout()
    tmp = plot.with_name(f".{plot.name}.tmp")
    fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    os.replace(tmp, plot)
    return plot


def evaluate(config: Config, data_path: str | Path | None = None, ignore: tuple[str, ...] = ()) -> dict[str, float]:
    """Score the saved model and write ``metrics.json`` and a PNG beside it; return the metrics.

    Without ``data_path``: the training run's saved held-out rows. With it: that file's labelled rows, their
    labels matched to the model's own classes.
    """
    model, metadata = artifacts.load(config.output_dir)
    artifacts.ensure_writable(config.output_dir)
    schema, task, classes = Schema.from_json(metadata["schema"]), metadata["task"], metadata["classes"]
    if data_path is None:
        source, frame = held_out_rows(metadata)
        title = "held-out rows"
        log.info("scoring the %d held-out rows of the training run", len(frame))
    else:
        source = Path(data_path)
        frame = read_table(source)
        title = source.name
        if fingerprint(source) == metadata["data"]["fingerprint"]:
            log.warning(
                "%s is the training data: %d of its rows were trained on, so these scores are optimistic; "
                "`evaluate` without --data scores only the held-out rows",
                source,
                metadata["data"]["rows"] - metadata["data"]["rows_unlabelled"] - len(metadata["data"]["held_out_rows"]),
            )
        log.info("scoring %d rows of %s", len(frame), source)
    labels, unlabelled = labels_for(frame, schema, task, classes or None, source)
    if unlabelled:
        log.warning("%s: %d row(s) have no value in %r and are not scored", source, unlabelled, schema.target)
    prepared = features_for(frame.loc[labels.index], schema, source, ignore)
    predicted = model.predict(prepared.features)
    metrics = score(task, labels, predicted)
    for name, value in metrics.items():
        log.info("%s: %.4f", name, value)
    plot = _plot(task, classes, labels, predicted, config.output_dir, title)
    metrics.update(rows=len(labels), rows_unlabelled=unlabelled, values_coerced=sum(prepared.coerced.values()))
    write_metrics(config.metrics_path, metrics)
    log.info("wrote %s and %s", config.metrics_path, plot)
    return metrics
