"""Prediction with a saved ``.keras`` model."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from .data import read_csv


@dataclass(frozen=True)
class Predictions:
    """Predicted class ids, their probabilities, and the accuracy when the input had labels."""

    classes: np.ndarray
    probabilities: np.ndarray
    accuracy: float | None


def load_model(path: str | Path) -> keras.Model:
    """Load a model saved by ``train`` (architecture, weights and normalisation statistics)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no saved model; run `train` first or pass --model")
    return keras.saving.load_model(path)


def predict(model: keras.Model, features: np.ndarray, labels: np.ndarray | None = None) -> Predictions:
    """Class probabilities for raw feature rows (the model normalises them itself)."""
    expected = model.input_shape[-1]
    if features.shape[1] != expected:
        raise ValueError(f"the model takes {expected} features, the input has {features.shape[1]}")
    probabilities = np.asarray(model.predict(features, verbose=0))
    classes = probabilities.argmax(axis=1)
    accuracy = float((classes == labels).mean()) if labels is not None else None
    return Predictions(classes, probabilities, accuracy)


def predict_csv(model_path: str | Path, input_csv: str | Path, label_column: str = "label") -> Predictions:
    """Predict every row of a CSV file; a label column, if present, is used only to score."""
    features, labels, _ = read_csv(input_csv, label_column)
    return predict(load_model(model_path), features, labels)


def write_predictions(predictions: Predictions, path: str | Path) -> Path:
    """One row per example: the predicted class and each class's probability."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["predicted", *(f"p{k}" for k in range(predictions.probabilities.shape[1]))])
        for cls, row in zip(predictions.classes.tolist(), predictions.probabilities.tolist(), strict=True):
            writer.writerow([cls, *(f"{p:.6f}" for p in row)])
    return path
