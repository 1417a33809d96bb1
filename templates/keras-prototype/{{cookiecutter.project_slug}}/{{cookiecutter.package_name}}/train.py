"""Training: ``model.fit`` with early stopping, a best-model checkpoint, a CSV log and a backup to resume from.

The data is split three ways (see :func:`data.split`): the validation rows steer early stopping and
the checkpoint, and the test rows are scored once, at the end, for the metrics this run reports.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from . import TASK
from .artifacts import (
    BACKUP_DIR,
    CHECKPOINT_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    MODEL_FILE,
    RUN_FILE,
    TEST_FILE,
    Prepared,
    card_path,
    prepare,
)
from .config import Config
from .data import Dataset, Table, ensure_writable, write_table
from .model import build_model, load_keras_model, model_inputs, predict_raw, scores
from .runtime import fingerprint, write_json, write_metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitResult:
    """What one call of ``model.fit`` produced, scored on the validation rows."""

    model: keras.Model
    epochs_run: int
    initial_epoch: int
    validation: dict[str, float]  # scores() of the validation rows
    seconds: float

    @property
    def val_loss(self) -> float:
        return self.validation["loss"]


@dataclass(frozen=True)
class TrainResult:
    """A finished ``train``: the fit, the test scores and where everything was written."""

    fit: FitResult
    metrics: dict[str, float]
    model_path: Path


class LogEpochs(keras.callbacks.Callback):
    """One log line per epoch, through the standard ``logging`` module."""

    def __init__(self, epochs: int, level: int = logging.INFO) -> None:
        super().__init__()
        self.epochs, self.level = epochs, level

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        shown = " ".join(f"{name}={float(value):.4f}" for name, value in sorted((logs or {}).items()))
        log.log(self.level, "epoch %d/%d %s", epoch + 1, self.epochs, shown)


def _best_val_loss(history: Path) -> float | None:
    """The lowest validation loss logged so far, so a resumed checkpoint keeps the true best epoch."""
    if not history.is_file():
        return None
    with history.open(newline="") as handle:
        values = [float(row["val_loss"]) for row in csv.DictReader(handle) if row.get("val_loss")]
    return min(values) if values else None


def _keep_history_rows(history: Path, epochs: int) -> None:
    """Drop log rows of epochs after the backup (a run killed between the two writes logged one more)."""
    if not history.is_file():
        return
    lines = history.read_text().splitlines(keepends=True)
    history.write_text("".join(lines[: epochs + 1]))


def class_weights(train: Dataset, how: str) -> dict[int, float] | None:
    """``balanced``: each class weighs rows / (classes x its rows), so a rare class is not ignored."""
    if how != "balanced" or not train.classes:
        return None
    counts = np.bincount(train.target, minlength=train.num_classes)
    return {k: float(len(train) / (train.num_classes * count)) for k, count in enumerate(counts) if count}


def fit(
    config: Config,
    train: Dataset,
    validation: Dataset,
    *,
    hidden_units: Sequence[int] | None = None,
    learning_rate: float | None = None,
    epochs: int | None = None,
    artifacts_dir: Path | None = None,
    resume: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    log_level: int = logging.INFO,
) -> FitResult:
    """Build a fresh model and fit it; keyword arguments override the config (the sweep uses them).

    With ``artifacts_dir`` the run also checkpoints its best model, logs each epoch to CSV and backs
    up its state after every epoch (``BackupAndRestore``), so an interrupted run can be resumed.
    """
    # Same seed, same initial weights and shuffling: runs differ only in what the arguments change.
    keras.utils.set_random_seed(config.data.seed)
    epochs = config.training.epochs if epochs is None else epochs
    model = build_model(
        train,
        hidden_units=config.model.hidden_units if hidden_units is None else hidden_units,
        dropout=config.model.dropout,
        learning_rate=config.training.learning_rate if learning_rate is None else learning_rate,
    )
    chosen: list[keras.callbacks.Callback] = []
    if artifacts_dir is not None:
        history = artifacts_dir / HISTORY_FILE
        chosen += [
            # Restores weights, optimizer state and the epoch count at the start of fit when a backup
            # exists; deletes the backup when fit ends normally.
            keras.callbacks.BackupAndRestore(str(artifacts_dir / BACKUP_DIR)),
            keras.callbacks.ModelCheckpoint(
                artifacts_dir / CHECKPOINT_FILE,
                monitor="val_loss",
                save_best_only=True,
                initial_value_threshold=_best_val_loss(history) if resume else None,
            ),
            keras.callbacks.CSVLogger(str(history), append=resume),
        ]
    chosen += [
        # Validation loss, never the test rows, decides when to stop and which weights to keep.
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.training.patience, restore_best_weights=True),
        LogEpochs(epochs, log_level),
        *callbacks,
    ]
    started = time.perf_counter()
    # The vocabularies were learnt from the training rows only; validation rows go through them as new data would.
    train_inputs, _ = model_inputs(model, train.features)
    validation_inputs, _ = model_inputs(model, validation.features)
    fitted = model.fit(
        train_inputs,
        train.target,
        validation_data=(validation_inputs, validation.target),
        epochs=epochs,
        batch_size=config.training.batch_size,
        class_weight=class_weights(train, config.training.class_weight),
        callbacks=chosen,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    initial_epoch = fitted.epoch[0] if fitted.epoch else epochs
    if artifacts_dir is not None and (artifacts_dir / CHECKPOINT_FILE).is_file():
        # The checkpoint is the best epoch of the whole run, the part before an interruption included.
        model = load_keras_model(artifacts_dir / CHECKPOINT_FILE)
    validation_scores = scores(predict_raw(model, validation.features)[0], validation.target)
    epochs_run = fitted.epoch[-1] + 1 if fitted.epoch else epochs
    return FitResult(model, epochs_run, initial_epoch, validation_scores, seconds)


def _save_model(model: keras.Model, path: Path) -> None:
    # Keras insists on the .keras suffix; writing beside and renaming keeps the old model until the new one is whole.
    partial = path.with_name(f".partial-{path.name}")
    model.save(partial)
    os.replace(partial, path)


def _test_rows_table(table: Table, test: Dataset) -> tuple[tuple[str, ...], list[list[str]]]:
    return table.header, [table.rows[i] for i in test.rows.tolist()]


def train(
    config: Config,
    *,
    resume: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    prepared: Prepared | None = None,
) -> TrainResult:
    """Train on the configured data; save the model, its card, the held-out rows and the test metrics.

    ``resume`` continues an interrupted run with the settings and split it started with; ``prepared``
    is the result of :func:`artifacts.prepare` when the caller has checked the data already.
    """
    # Everything that can refuse the data runs before the first file is written.
    prepared = prepared or prepare(config, resume=resume)
    config, table, dataset = prepared.config, prepared.table, prepared.dataset
    train_set, validation_set, test_set = prepared.train, prepared.validation, prepared.test
    artifacts_dir = ensure_writable(config.training.artifacts_dir)
    backup_dir = artifacts_dir / BACKUP_DIR
    if prepared.resume_epoch is not None:
        log.info(
            "resuming the interrupted run after epoch %d of %d, with its saved settings",
            prepared.resume_epoch,
            config.training.epochs,
        )
        _keep_history_rows(artifacts_dir / HISTORY_FILE, prepared.resume_epoch)
    else:
        if backup_dir.exists():
            log.warning(
                "discarding the backup of an interrupted run in %s (train --resume would continue it)", backup_dir
            )
            shutil.rmtree(backup_dir)
        # A fresh run must never fall back on an earlier run's checkpoint (other data, other shape).
        (artifacts_dir / CHECKPOINT_FILE).unlink(missing_ok=True)
        write_json(
            artifacts_dir / RUN_FILE,
            {"config": config.to_dict(), "fingerprint": prepared.digest, "split": prepared.split_rows()},
        )
    schema = dataset.schema
    log.info(
        "data: %s, %d rows; features: %d numeric, %d categorical, %d date; %s; train/validation/test rows %d/%d/%d",
        table.source,
        len(dataset),
        len(schema.numeric),
        len(schema.categorical),
        len(schema.dates),
        f"classes {', '.join(dataset.classes)}" if dataset.classes else f"target {config.data.target!r}",
        len(train_set),
        len(validation_set),
        len(test_set),
    )
    resuming = prepared.resume_epoch is not None
    result = fit(config, train_set, validation_set, artifacts_dir=artifacts_dir, resume=resuming, callbacks=callbacks)

    test_scores = scores(predict_raw(result.model, test_set.features)[0], test_set.target)
    header, test_rows = _test_rows_table(table, test_set)
    test_file = write_table(artifacts_dir / TEST_FILE, header, test_rows)
    model_path = artifacts_dir / MODEL_FILE
    _save_model(result.model, model_path)
    card = {
        "backend": keras.backend.backend(),
        "keras_version": keras.__version__,
        "task": TASK,
        "features": list(dataset.feature_names),
        "feature_types": schema.kinds(),
        "numeric_inputs": list(schema.numeric_inputs),
        "target": config.data.target,
        "classes": list(dataset.classes),
        "dropped": list(config.data.drop),
        "data": {
            "path": config.data.path or None,
            "source": table.source,
            "fingerprint": prepared.digest,
            "rows": len(dataset),
        },
        # Row ids count the data rows of the source from 0 (line numbers minus the header, for a CSV).
        "split": prepared.split_rows(),
        "test_file": {"name": TEST_FILE, "fingerprint": fingerprint(test_file)},
        "config": config.to_dict(),
    }
    write_json(card_path(model_path), card)
    metrics = {
        **{name: value for name, value in test_scores.items() if name != "rows"},
        **{f"val_{name}": value for name, value in result.validation.items() if name != "rows"},
        "epochs": float(result.epochs_run),
        "train_rows": float(len(train_set)),
        "validation_rows": float(len(validation_set)),
        "test_rows": float(len(test_set)),
        "rows_unlabelled": float(len(table.rows) - len(dataset)),
        "seconds": round(result.seconds, 2),
    }
    write_metrics(artifacts_dir / METRICS_FILE, metrics)
    return TrainResult(result, metrics, model_path)
