"""The network: a small convolutional classifier in the Keras functional API.

The training loop only calls it (``model(images, training=True)``) and reads
``model.trainable_variables``, so any Keras model, or a ``tf.Module``, can take its place.
"""

from __future__ import annotations

import keras
from keras import layers


def build_model(image_size: int, channels: int, num_classes: int) -> keras.Model:
    """Images ``(batch, size, size, channels)`` in [0, 1] -> class logits ``(batch, num_classes)``."""
    inputs = keras.Input(shape=(image_size, image_size, channels), name="images")
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    # Flatten, not global pooling: where a stroke is (a digit's loop, a bar's offset) is information.
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="classifier")
