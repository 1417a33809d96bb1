"""SavedModel export with a serving signature, and loading it back for predictions.

Exports go to numbered folders (``export/1``, ``export/2``, ...), the layout TensorFlow Serving
watches: it serves the highest number and picks up new ones as training writes them.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

SIGNATURE = "serving_default"


def export_saved_model(model: keras.Model, class_names: tuple[str, ...], export_dir: Path) -> Path:
    """Save ``model`` as the next numbered SavedModel under ``export_dir`` and return its path.

    Signature ``serving_default``: ``images`` float32 ``(batch, size, size, channels)`` in [0, 1]
    -> ``probabilities`` ``(batch, classes)``, ``class_id`` int32 and ``class_name`` string.
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
    path = export_dir / str(_latest_version(export_dir) + 1)
    tf.saved_model.save(module, str(path), signatures={SIGNATURE: serve})
    return path


def _latest_version(export_dir: Path) -> int:
    versions = [int(p.name) for p in export_dir.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0)


def latest_export(export_dir: Path) -> Path:
    """The newest numbered export under ``export_dir``."""
    version = _latest_version(export_dir)
    if version == 0:
        raise FileNotFoundError(f"no SavedModel under {export_dir}: run `train` first")
    return export_dir / str(version)


class Predictor:
    """A loaded SavedModel; knows its input shape from the serving signature."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._serve = tf.saved_model.load(str(path)).signatures[SIGNATURE]
        spec = self._serve.structured_input_signature[1]["images"]
        self.image_size, self.channels = int(spec.shape[1]), int(spec.shape[3])

    def __call__(self, images: np.ndarray | tf.Tensor) -> dict[str, np.ndarray]:
        outputs = self._serve(images=tf.convert_to_tensor(images, tf.float32))
        return {key: value.numpy() for key, value in outputs.items()}
