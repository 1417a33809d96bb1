"""The network: preprocessing layers learnt from the training rows, then a small multilayer perceptron.

Everything a raw row needs on its way in is a layer of the model, with its statistics from the training
rows only, so the exported SavedModel takes the table's own columns:

* numeric columns: missing values (NaN) filled with the column's training median (:class:`FillMissing`),
  then scaled by ``keras.layers.Normalization`` adapted on the training rows;
* categorical columns: ``keras.layers.StringLookup`` with the training rows' values (at most
  ``max_categories`` per column, the most frequent) and one out-of-vocabulary slot that every unseen
  value (and a missing one, if training had none) shares, one-hot encoded.

The training loop only calls it (``model(inputs, training=True)``) and reads ``model.trainable_variables``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers

from .data import Features


class FillMissing(layers.Layer):
    """NaN -> the column's training median; the medians are weights, so they are saved with the model."""

    def __init__(self, fill: Sequence[float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = np.asarray(fill, dtype=np.float32)

    def build(self, input_shape: Any) -> None:
        self.fill = self.add_weight(
            shape=self._initial.shape,
            initializer=keras.initializers.Constant(self._initial),
            trainable=False,
            name="fill",
        )

    def call(self, x: Any) -> Any:
        return keras.ops.where(keras.ops.isnan(x), self.fill, x)


def vocabulary(values: np.ndarray, max_categories: int) -> list[str]:
    """The training rows' categories, most frequent first ("" = missing is one of them when it occurs)."""
    counts = Counter(values.tolist())
    return [value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_categories]]


def medians(numeric: np.ndarray) -> np.ndarray:
    """Each numeric column's median over its present training values (0 for a column with none)."""
    out = np.zeros(numeric.shape[1], dtype=np.float32)
    for j in range(numeric.shape[1]):
        present = numeric[:, j][~np.isnan(numeric[:, j])]
        out[j] = float(np.median(present)) if len(present) else 0.0
    return out


def build_model(
    train: Features,
    vocabularies: Sequence[Sequence[str]],
    outputs: int,
    hidden_units: Sequence[int] = (64, 32),
    dropout: float = 0.1,
) -> keras.Model:
    """Inputs ``[numeric (batch, n) float32 with NaN (if any), one (batch, 1) string per categorical column]`` ->
    ``(batch, outputs)``: class logits, or the standardised regression target (``outputs`` 1).

    Call it under the strategy's scope: the preprocessing layers' tables and weights are created here.
    """
    inputs, encoded = [], []
    n_numeric = train.numeric.shape[1]
    if n_numeric:
        numeric = keras.Input(shape=(n_numeric,), dtype="float32", name="numeric")
        inputs.append(numeric)
        fill = FillMissing(medians(train.numeric), name="fill_missing")
        normalize = layers.Normalization(name="normalize")
        # Adapted on the training rows after filling, as the model sees them.
        normalize.adapt(np.where(np.isnan(train.numeric), medians(train.numeric), train.numeric))
        encoded.append(normalize(fill(numeric)))
    for j, vocab in enumerate(vocabularies):
        column = keras.Input(shape=(1,), dtype="string", name=f"categorical_{j}")
        inputs.append(column)
        lookup = layers.StringLookup(
            vocabulary=list(vocab), num_oov_indices=1, output_mode="one_hot", name=f"lookup_{j}"
        )
        encoded.append(lookup(column))
    x = encoded[0] if len(encoded) == 1 else layers.Concatenate(name="features")(encoded)
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return keras.Model(inputs, layers.Dense(outputs, name="output")(x), name="tabular")


def model_inputs(features: Features) -> tuple[np.ndarray, ...]:
    """:class:`Features` in the order and shapes :func:`build_model`'s inputs take."""
    numeric = (features.numeric,) if features.numeric.shape[1] else ()
    return (*numeric, *(column.reshape(-1, 1) for column in features.categorical))
