"""The model: its preprocessing and a small network in the Keras functional API, saved as one ``.keras`` file.

Everything learnt from the training rows lives inside the saved model, so ``predict`` takes the raw table:

- numeric columns (and the parts of date columns): :class:`FillMissing` replaces a missing value by the
  column's training median (a weight), then ``keras.layers.Normalization`` scales by the training mean
  and variance (weights, set by ``adapt``);
- categorical columns: :class:`CategoryEncoder` holds each column's training vocabulary and its most
  frequent value (filled in for a missing one) in its config, and one-hot encodes each column in the
  graph; index 0 is kept for a value it never saw in training, counted and reported, never a crash;
- a regression model ends in ``keras.layers.Rescaling`` by the training target's spread and mean, so it
  predicts on the original scale and its MSE loss is in the target's own units squared.

Why not ``StringLookup`` or ``FeatureSpace``, as the Keras structured-data examples use? Both run on
TensorFlow ops (``tf.lookup``, ``tf.data``) whatever the backend, and the JAX and torch backends of this
starter do not install TensorFlow; besides, JAX and torch have no string tensors, so no layer can take
text inside their graphs. :class:`CategoryEncoder` keeps the vocabulary in the ``.keras`` file on every
backend and turns text into indices with NumPy (:func:`model_inputs`) right before the graph.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from .artifacts import card_path, read_card
from .data import Dataset, Features
from .runtime import DataError

#: The most categories one column keeps (the most frequent); rarer ones share index 0 with unseen values.
MAX_CATEGORIES = 50
PACKAGE = {{ cookiecutter.package_name|tojson }}


@keras.saving.register_keras_serializable(package=PACKAGE)
class FillMissing(layers.Layer):
    """Replaces NaN in each column by that column's training median, saved as a (non-trainable) weight."""

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.fill = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="fill")

    def adapt(self, data: np.ndarray) -> None:
        """Learn the medians from the training rows (0 for a column with no value there)."""
        if not self.built:
            self.build(data.shape)
        with np.errstate(all="ignore"):
            present = ~np.isnan(data)
            medians = np.array(
                [np.median(data[present[:, j], j]) if present[:, j].any() else 0.0 for j in range(data.shape[1])]
            )
        self.fill.assign(medians.astype("float32"))

    def transform(self, data: np.ndarray) -> np.ndarray:
        """The same filling in NumPy, for adapting the layers that follow."""
        return np.where(np.isnan(data), ops.convert_to_numpy(self.fill), data).astype("float32")

    def call(self, inputs: Any) -> Any:
        return ops.where(ops.isnan(inputs), self.fill, inputs)


@keras.saving.register_keras_serializable(package=PACKAGE)
class CategoryEncoder(layers.Layer):
    """One-hot codes of each categorical column; the vocabularies are saved in this layer's config.

    ``vocabularies[j]`` lists column j's training categories, most frequent first; category ``k`` is
    index ``k + 1``, and index 0 means "not seen in training". ``fills[j]`` is the value put in for a
    missing cell (the training mode).
    """

    def __init__(
        self, columns: Sequence[str], vocabularies: Sequence[Sequence[str]], fills: Sequence[str], **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.columns = list(columns)
        self.vocabularies = [list(v) for v in vocabularies]
        self.fills = list(fills)
        self._index = [{value: k + 1 for k, value in enumerate(v)} for v in self.vocabularies]

    @classmethod
    def learn(cls, columns: Sequence[str], categorical: np.ndarray, **kwargs: Any) -> CategoryEncoder:
        """Vocabularies and fills from the training rows' categories (``None`` is missing)."""
        vocabularies, fills = [], []
        for j in range(categorical.shape[1]):
            counts = Counter(value for value in categorical[:, j].tolist() if value is not None)
            ranked = sorted(counts, key=lambda value: (-counts[value], value))
            vocabularies.append(ranked[:MAX_CATEGORIES])
            fills.append(ranked[0] if ranked else "")
        return cls(columns, vocabularies, fills, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "columns": self.columns, "vocabularies": self.vocabularies, "fills": self.fills}

    def encode(self, categorical: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[int, str]]]:
        """Indices for the graph, and per column the count of values it never saw (with one example)."""
        ids = np.zeros(categorical.shape, dtype="int32")
        unseen: dict[str, tuple[int, str]] = {}
        for j, index in enumerate(self._index):
            fill = index.get(self.fills[j], 0)
            misses = [value for value in categorical[:, j].tolist() if value is not None and value not in index]
            ids[:, j] = [fill if value is None else index.get(value, 0) for value in categorical[:, j].tolist()]
            if misses:
                unseen[self.columns[j]] = (len(misses), misses[0])
        return ids, unseen

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], sum(len(v) + 1 for v in self.vocabularies))

    def call(self, inputs: Any) -> Any:
        inputs = ops.cast(inputs, "int32")
        parts = [ops.one_hot(inputs[:, j], len(v) + 1) for j, v in enumerate(self.vocabularies)]
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)


def build_model(
    train: Dataset,
    hidden_units: Sequence[int] = (64, 64),
    dropout: float = 0.1,
    learning_rate: float = 0.01,
) -> keras.Model:
    """A compiled multilayer perceptron whose preprocessing is adapted on the training rows ``train``.

    A classifier outputs class probabilities (sparse categorical cross-entropy); a regressor one number
    on the target's scale (mean squared error).
    """
    inputs: dict[str, keras.KerasTensor] = {}
    parts = []
    numeric = train.features.numeric
    if numeric.shape[1]:
        fill = FillMissing(name="fill_missing")
        fill.adapt(numeric)
        normalize = layers.Normalization(name="normalize")
        normalize.adapt(fill.transform(numeric))
        inputs["numeric"] = keras.Input(shape=(numeric.shape[1],), name="numeric")
        parts.append(normalize(fill(inputs["numeric"])))
    if train.features.categorical.shape[1]:
        encoder = CategoryEncoder.learn(train.schema.categorical, train.features.categorical, name="category_encoder")
        inputs["categories"] = keras.Input(shape=(len(encoder.columns),), dtype="int32", name="categories")
        parts.append(encoder(inputs["categories"]))
    x = parts[0] if len(parts) == 1 else layers.Concatenate(name="features")(parts)
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    optimizer = keras.optimizers.Adam(learning_rate)
    if train.classes:
        outputs = layers.Dense(train.num_classes, activation="softmax", name="probabilities")(x)
        model = keras.Model(inputs, outputs, name="classifier")
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model
    # The network learns the standardised target; the last layer puts the mean and spread back.
    mean, spread = float(train.target.mean()), float(train.target.std()) or 1.0
    standardised = layers.Dense(1, name="standardised")(x)
    outputs = layers.Rescaling(scale=spread, offset=mean, name="prediction")(standardised)
    model = keras.Model(inputs, outputs, name="regressor")
    model.compile(optimizer=optimizer, loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model


def model_inputs(model: keras.Model, features: Features) -> tuple[dict[str, np.ndarray], dict[str, tuple[int, str]]]:
    """The arrays ``model`` takes for raw ``features``, and its categorical columns' unseen values."""
    inputs: dict[str, np.ndarray] = {}
    unseen: dict[str, tuple[int, str]] = {}
    names = set(model.input_names) if hasattr(model, "input_names") else {t.name for t in model.inputs}
    if "numeric" in names:
        inputs["numeric"] = features.numeric
    if "categories" in names:
        inputs["categories"], unseen = model.get_layer("category_encoder").encode(features.categorical)
    return inputs, unseen


@dataclass(frozen=True)
class Trained:
    """A loaded model and its card: feature names and kinds, classes, data fingerprint, the split's row ids."""

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
    outputs = len(card["classes"]) or 1
    categorical = [name for name in card["features"] if card["feature_types"].get(name) == "categorical"]
    encoded = (
        model.get_layer("category_encoder").columns
        if "category_encoder" in {layer.name for layer in model.layers}
        else []
    )
    if model.output_shape[-1] != outputs or list(encoded) != categorical:
        raise DataError(f"{card_path(model_path)}: does not describe {model_path} (features and outputs disagree)")
    return Trained(model, card, model_path)


def predict_raw(model: keras.Model, features: Features) -> tuple[np.ndarray, dict[str, tuple[int, str]]]:
    """Class probabilities (n, classes) or predictions (n,) for raw features, and the unseen categories."""
    inputs, unseen = model_inputs(model, features)
    output = np.asarray(model.predict(inputs, verbose=0, batch_size=1024), dtype="float64")
    # A classifier has two outputs or more (softmax); a regressor one.
    return (output[:, 0] if output.shape[-1] == 1 else output), unseen


def f1_macro(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """The unweighted mean of each class's F1, over the classes in the labels or the predictions (as scikit-learn)."""
    scores = []
    for k in range(num_classes):
        true_positive = float(np.sum((predicted == k) & (labels == k)))
        predicted_k, actual_k = float(np.sum(predicted == k)), float(np.sum(labels == k))
        if predicted_k + actual_k:
            scores.append(2 * true_positive / (predicted_k + actual_k))
    return float(np.mean(scores))


def scores(output: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Classification: accuracy, macro F1 and cross-entropy; regression: r2, rmse, mae and MSE loss."""
    if output.ndim == 2:
        picked = output[np.arange(len(target)), target]
        predicted = output.argmax(axis=1)
        return {
            "accuracy": float((predicted == target).mean()),
            "f1_macro": f1_macro(predicted, target, output.shape[1]),
            "loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()),
            "rows": float(len(target)),
        }
    target = target.astype("float64")
    error = output - target
    total = float(np.sum((target - target.mean()) ** 2))
    mse = float(np.mean(error**2))
    return {
        "r2": 1.0 - float(np.sum(error**2)) / total if total else 0.0,
        "rmse": float(np.sqrt(mse)),
        "mae": float(np.mean(np.abs(error))),
        "loss": mse,
        "rows": float(len(target)),
    }
