"""Training: ``model.fit`` with early stopping, a best-model checkpoint and a CSV log."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras

from .config import Config
from .data import Dataset, load_dataset, split
from .model import build_model

MODEL_FILE = "model.keras"
CHECKPOINT_FILE = "checkpoint.keras"
HISTORY_FILE = "history.csv"


@dataclass(frozen=True)
class FitResult:
    """What one training run produced."""

    model: keras.Model
    epochs_run: int
    val_loss: float
    val_accuracy: float
    seconds: float


def fit(
    config: Config,
    train: Dataset,
    validation: Dataset,
    num_classes: int,
    *,
    hidden_units: Sequence[int] | None = None,
    learning_rate: float | None = None,
    epochs: int | None = None,
    artifacts_dir: Path | None = None,
    verbose: int | str = 0,
) -> FitResult:
    """Build a fresh model and fit it; keyword arguments override the config (the sweep uses them).

    With ``artifacts_dir`` the run also checkpoints its best model and logs each epoch to CSV.
    """
    # Same seed, same initial weights and shuffling: runs differ only in what the arguments change.
    keras.utils.set_random_seed(config.data.seed)
    model = build_model(
        num_features=train.features.shape[1],
        num_classes=num_classes,
        hidden_units=config.model.hidden_units if hidden_units is None else hidden_units,
        dropout=config.model.dropout,
        learning_rate=config.training.learning_rate if learning_rate is None else learning_rate,
        normalize_on=train.features,
    )
    callbacks: list[keras.callbacks.Callback] = [
        # Restoring the best epoch's weights makes the returned model the one the metrics describe.
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.training.patience, restore_best_weights=True),
    ]
    if artifacts_dir is not None:
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        callbacks += [
            # Keeps the best model on disk while training runs, so an interrupted run is not lost.
            keras.callbacks.ModelCheckpoint(artifacts_dir / CHECKPOINT_FILE, monitor="val_loss", save_best_only=True),
            keras.callbacks.CSVLogger(str(artifacts_dir / HISTORY_FILE)),
        ]
    started = time.perf_counter()
    history = model.fit(
        train.features,
        train.labels,
        validation_data=(validation.features, validation.labels),
        epochs=config.training.epochs if epochs is None else epochs,
        batch_size=config.training.batch_size,
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - started
    val_loss, val_accuracy = model.evaluate(validation.features, validation.labels, verbose=0)
    return FitResult(model, len(history.epoch), float(val_loss), float(val_accuracy), seconds)


def train(config: Config, verbose: int | str = 2) -> tuple[FitResult, Path]:
    """Train on the configured data and save the model in the native ``.keras`` format."""
    dataset = load_dataset(config.data)
    train_set, validation_set = split(dataset, config.data.validation_split, config.data.seed)
    artifacts_dir = Path(config.training.artifacts_dir)
    result = fit(
        config,
        train_set,
        validation_set,
        num_classes=dataset.num_classes,
        artifacts_dir=artifacts_dir,
        verbose=verbose,
    )
    model_path = artifacts_dir / MODEL_FILE
    result.model.save(model_path)
    return result, model_path
