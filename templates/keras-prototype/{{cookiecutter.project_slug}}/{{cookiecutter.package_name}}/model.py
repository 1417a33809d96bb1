"""The model: a few readable lines of the Keras functional API, saved with what it was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from .artifacts import card_path, read_card
from .runtime import DataError


def build_model(
    num_features: int,
    num_classes: int,
    hidden_units: Sequence[int] = (64, 64),
    dropout: float = 0.1,
    learning_rate: float = 0.01,
    normalize_on: np.ndarray | None = None,
) -> keras.Model:
    """A compiled multilayer perceptron that outputs class probabilities.

    ``normalize_on`` (the training features) sets the Normalization layer's mean and variance, so
    the saved model takes raw features and prediction needs no separate preprocessing step.
    """
    normalize = layers.Normalization(name="normalize")
    if normalize_on is not None:
        normalize.adapt(normalize_on)

    inputs = keras.Input(shape=(num_features,), name="features")
    x = normalize(inputs)
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="prototype")

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@dataclass(frozen=True)
class Trained:
    """A loaded model and its card: feature names and types, classes, data fingerprint, the split's row ids."""

    model: keras.Model
    card: dict[str, Any]
    path: Path

    @property
    def features(self) -> list[str]:
        return list(self.card["features"])

    @property
    def classes(self) -> list[str]:
        return list(self.card["classes"])


def load_keras_model(path: str | Path) -> keras.Model:
    """A ``.keras`` file as a model; a missing or damaged file is one :class:`DataError` line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no saved model; run `train` first or pass --model")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # noqa: BLE001 - Keras raises zipfile, OS, value and h5 errors for a damaged file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{path}: not a readable Keras model ({first})") from None


def load_trained(model_path: str | Path, card: dict[str, Any] | None = None) -> Trained:
    """The model saved by ``train`` and its card; both must be present, readable and consistent."""
    model_path = Path(model_path)
    card = card if card is not None else read_card(model_path)
    model = load_keras_model(model_path)
    shape = (model.input_shape[-1], model.output_shape[-1])
    if shape != (len(card["features"]), len(card["classes"])):
        raise DataError(f"{card_path(model_path)}: does not describe {model_path} (features and classes disagree)")
    return Trained(model, card, model_path)


def probabilities(model: keras.Model, features: np.ndarray) -> np.ndarray:
    """Class probabilities for raw feature rows (the model normalises them itself)."""
    return np.asarray(model.predict(features, verbose=0, batch_size=1024), dtype="float64")


def scores(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy and mean cross-entropy of predicted probabilities against label ids."""
    picked = probs[np.arange(len(labels)), labels]
    return {
        "accuracy": float((probs.argmax(axis=1) == labels).mean()),
        "loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()),
        "rows": float(len(labels)),
    }
