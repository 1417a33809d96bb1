"""SavedModel export with a serving signature and the record of what it was trained on; loading both back.

Exports are numbered folders (``runs.py``); each ``metadata.json`` holds the class names, image shape,
data fingerprint and the held-out test images, which ``evaluate`` and ``predict`` check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .runs import METADATA, SIGNATURE, save_export
from .runtime import DataError


def export_saved_model(
    model: keras.Model, class_names: tuple[str, ...], export_dir: Path, metadata: Mapping[str, Any]
) -> Path:
    """Save ``model`` as the next numbered SavedModel under ``export_dir`` and return its path.

    Signature ``serving_default``: ``images`` float32 ``(batch, size, size, channels)`` in [0, 1]
    -> ``probabilities`` ``(batch, classes)``, ``class_id`` int32 and ``class_name`` string.
    It is written under a temporary name and renamed when complete, so a server watching
    ``export_dir`` never loads half a model.
    """
    image_shape = tuple(model.inputs[0].shape[1:])
    names = tf.constant(class_names)

    @tf.function(input_signature=[tf.TensorSpec((None, *image_shape), tf.float32, name="images")])
    def serve(images: tf.Tensor) -> dict[str, tf.Tensor]:
        probabilities = tf.nn.softmax(model(images, training=False), axis=-1)
        class_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "class_id": class_id, "class_name": tf.gather(names, class_id)}

    module = tf.Module()
    module.model = model  # tracked, so the SavedModel holds the weights
    module.serve = serve
    return save_export(module, serve, export_dir, {**metadata, "class_names": list(class_names)})


class Predictor:
    """A loaded SavedModel and its metadata; knows its input shape from the serving signature."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not (path / "saved_model.pb").is_file():
            raise DataError(f"{path}: not a SavedModel folder (no saved_model.pb)")
        try:
            self.metadata: dict[str, Any] = json.loads((path / METADATA).read_text(encoding="utf-8"))
            self.class_names = tuple(str(name) for name in self.metadata["class_names"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DataError(
                f"{path / METADATA}: missing or unreadable ({type(e).__name__}); "
                "without it the model's classes and held-out images are unknown"
            ) from None
        try:
            self._serve = tf.saved_model.load(str(path)).signatures[SIGNATURE]
        except Exception as e:  # noqa: BLE001 -- a corrupt SavedModel fails in protobuf, TF or Python alike
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise DataError(f"{path}: not a loadable SavedModel ({reason[:200]})") from None
        spec = self._serve.structured_input_signature[1]["images"]
        self.image_size, self.channels = int(spec.shape[1]), int(spec.shape[3])

    def __call__(self, images: np.ndarray | tf.Tensor) -> dict[str, np.ndarray]:
        outputs = self._serve(images=tf.convert_to_tensor(images, tf.float32))
        return {key: value.numpy() for key, value in outputs.items()}
