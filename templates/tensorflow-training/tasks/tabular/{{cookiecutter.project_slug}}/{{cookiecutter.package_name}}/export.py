"""SavedModel export whose serving signature takes the table's raw columns; loading it back.

Exports are numbered folders (``runs.py``); each ``metadata.json`` holds the schema, classes, categories,
the data's fingerprint and the held-out rows, which ``evaluate`` and ``predict`` check.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .data import Features, Schema
from .runs import METADATA, SIGNATURE, save_export
from .runtime import DataError

BATCH = 4096


def input_names(columns: Sequence[str]) -> dict[str, str]:
    """Column -> signature input name: a Python identifier (the signature is called with keywords)."""
    names: dict[str, str] = {}
    for column in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", column)
        name = name if re.match(r"[A-Za-z]", name) else f"c_{name}"
        name = f"{name}_" if keyword.iskeyword(name) else name  # a column named "class"
        base, k = name, 2
        while name in names.values():
            name, k = f"{base}_{k}", k + 1
        names[column] = name
    return names


def export_saved_model(
    model: keras.Model,
    schema: Schema,
    classes: Sequence[str],
    target_scale: tuple[float, float],
    export_dir: Path,
    metadata: Mapping[str, Any],
) -> Path:
    """Save ``model`` as the next numbered SavedModel under ``export_dir`` and return its path.

    Signature ``serving_default``: one input per feature column, named as :func:`input_names` says,
    each shaped ``(batch,)``: float32 for numeric columns (NaN = missing), string for categorical ones
    ("" = missing). Outputs: ``probabilities``, ``class_id`` and ``class_name`` for a classifier;
    ``prediction`` (on the target's own scale) for a regressor. Written under a temporary name and
    renamed when complete, so a server watching ``export_dir`` never loads half a model.
    """
    names = input_names(schema.features)
    specs = {names[c]: tf.TensorSpec((None,), tf.float32, name=names[c]) for c in schema.numeric}
    specs |= {names[c]: tf.TensorSpec((None,), tf.string, name=names[c]) for c in schema.categorical}
    class_names = tf.constant(list(classes) or [""])
    mean, std = target_scale

    @tf.function(input_signature=[specs])
    def serve(inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        parts = [tf.stack([inputs[names[c]] for c in schema.numeric], axis=1)] if schema.numeric else []
        parts += [tf.reshape(inputs[names[c]], (-1, 1)) for c in schema.categorical]
        output = model(parts, training=False)
        if not classes:
            return {"prediction": output[:, 0] * std + mean}
        probabilities = tf.nn.softmax(output, axis=-1)
        class_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "class_id": class_id, "class_name": tf.gather(class_names, class_id)}

    module = tf.Module()
    module.model = model  # tracked, so the SavedModel holds the weights and the lookup tables
    module.serve = serve
    return save_export(
        module, serve.get_concrete_function(), export_dir, {**metadata, "inputs": names, "classes": list(classes)}
    )


class Predictor:
    """A loaded SavedModel and its metadata: raw feature columns in, predictions out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not (path / "saved_model.pb").is_file():
            raise DataError(f"{path}: not a SavedModel folder (no saved_model.pb)")
        try:
            self.metadata: dict[str, Any] = json.loads((path / METADATA).read_text(encoding="utf-8"))
            self.schema = Schema.from_json(self.metadata["schema"])
            self.classes = tuple(str(c) for c in self.metadata["classes"])
            self.inputs = {str(k): str(v) for k, v in self.metadata["inputs"].items()}
            self.vocabularies = {str(k): set(v) for k, v in self.metadata["vocabularies"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise DataError(
                f"{path / METADATA}: missing or unreadable ({type(e).__name__}); "
                "without it the model's columns and classes are unknown"
            ) from None
        try:
            self._serve = tf.saved_model.load(str(path)).signatures[SIGNATURE]
        except Exception as e:  # noqa: BLE001 -- a corrupt SavedModel fails in protobuf, TF or Python alike
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise DataError(f"{path}: not a loadable SavedModel ({reason[:200]})") from None
        expected = set(self.inputs.values())
        if set(self._serve.structured_input_signature[1]) != expected:
            raise DataError(f"{path}: its signature's inputs do not match {METADATA}; export the model again")

    def unseen(self, features: Features) -> dict[str, int]:
        """Categorical column -> rows whose value training never saw (they share the unknown slot)."""
        counts = {}
        for name, column in zip(self.schema.categorical, features.categorical, strict=True):
            vocab = self.vocabularies[name]
            count = sum(1 for value in column.tolist() if value and value not in vocab)
            if count:
                counts[name] = count
        return counts

    def __call__(self, features: Features) -> dict[str, np.ndarray]:
        """The signature's outputs for every row of ``features``, in batches."""
        outputs: dict[str, list[np.ndarray]] = {}
        for start in range(0, max(len(features), 1), BATCH):
            rows = slice(start, start + BATCH)
            feed = {self.inputs[c]: tf.constant(features.numeric[rows, j]) for j, c in enumerate(self.schema.numeric)}
            feed |= {
                self.inputs[c]: tf.constant(features.categorical[j][rows].astype(object), tf.string)
                for j, c in enumerate(self.schema.categorical)
            }
            for key, value in self._serve(**feed).items():
                outputs.setdefault(key, []).append(value.numpy())
        return {key: np.concatenate(parts) for key, parts in outputs.items()}
