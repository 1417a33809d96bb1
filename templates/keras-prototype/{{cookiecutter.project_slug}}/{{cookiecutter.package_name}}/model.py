"""The model: a few readable lines of the Keras functional API."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers


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
