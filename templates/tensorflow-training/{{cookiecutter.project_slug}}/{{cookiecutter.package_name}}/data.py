"""Where the examples come from, and the tf.data pipeline that feeds them to the model.

Two sources give the same thing, an unbatched ``tf.data.Dataset`` of ``(image, label)`` with
float32 images in [0, 1] of shape ``(size, size, channels)`` and int32 labels:

* :func:`image_folder` reads your own images: ``root/<class name>/<image file>``.
* :func:`synthetic_images` draws small noisy images of bars (horizontal, vertical, diagonal),
  so the project trains offline with no download. ``python -m PACKAGE make-data DIR`` writes
  them as an image folder, which is also the layout :func:`image_folder` expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from .config import TrainConfig

SYNTHETIC_CLASSES = ("diagonal", "horizontal", "vertical")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


@dataclass(frozen=True)
class Examples:
    """Train and validation splits (unbatched) and the class names, index = label."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    class_names: tuple[str, ...]


def synthetic_images(num_examples: int, image_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy grayscale images of one bar each; the label is the bar's orientation.

    Returns ``images`` float32 ``(n, size, size, 1)`` in [0, 1] and ``labels`` int32 ``(n,)``
    indexing :data:`SYNTHETIC_CLASSES`.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SYNTHETIC_CLASSES), size=num_examples).astype(np.int32)
    images = rng.normal(0.15, 0.1, size=(num_examples, image_size, image_size)).astype(np.float32)
    for image, label in zip(images, labels, strict=True):
        offset = int(rng.integers(2, image_size - 2))
        kind = SYNTHETIC_CLASSES[label]
        if kind == "horizontal":
            image[offset - 1 : offset + 1, :] += 0.7
        elif kind == "vertical":
            image[:, offset - 1 : offset + 1] += 0.7
        else:
            image += 0.7 * np.eye(image_size, k=offset - image_size // 2, dtype=np.float32)
    return np.clip(images, 0.0, 1.0)[..., np.newaxis], labels


def decode_image(encoded: tf.Tensor, image_size: int, channels: int) -> tf.Tensor:
    """Encoded PNG/JPEG/BMP/GIF bytes -> float32 ``(size, size, channels)`` in [0, 1].

    Training, ``predict`` and anything that serves the model must preprocess alike, so this is
    the one place that does it.
    """
    image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
    image = tf.image.convert_image_dtype(image, tf.float32)  # uint8 0..255 -> 0..1
    return tf.image.resize(image, (image_size, image_size))


def list_image_folder(root: Path) -> tuple[list[str], list[int], tuple[str, ...]]:
    """File paths, labels and class names (sorted sub-folder names) of an image folder."""
    class_names = tuple(sorted(d.name for d in root.iterdir() if d.is_dir()))
    if len(class_names) < 2:
        raise ValueError(f"{root} needs one sub-folder per class (at least two); found {list(class_names)}")
    paths, labels = [], []
    for label, name in enumerate(class_names):
        for path in sorted((root / name).iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                paths.append(str(path))
                labels.append(label)
    if not paths:
        raise ValueError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) under {root}")
    return paths, labels, class_names


def image_folder(paths: list[str], labels: list[int], image_size: int, channels: int) -> tf.data.Dataset:
    """Read and decode image files lazily, in parallel, as the pipeline asks for them."""
    dataset = tf.data.Dataset.from_tensor_slices((paths, np.asarray(labels, dtype=np.int32)))
    return dataset.map(
        lambda path, label: (decode_image(tf.io.read_file(path), image_size, channels), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def write_image_folder(images: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], root: Path) -> None:
    """Write float images in [0, 1] as PNG files under ``root/<class name>/``."""
    for name in class_names:
        (root / name).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        pixels = tf.convert_to_tensor(np.round(image * 255.0).astype(np.uint8))
        tf.io.write_file(str(root / class_names[label] / f"{i:05d}.png"), tf.io.encode_png(pixels))


def load_examples(config: TrainConfig) -> Examples:
    """Split the configured source into train and validation sets, reproducibly."""
    rng = np.random.default_rng(config.seed)
    if config.data_dir is None:
        images, labels = synthetic_images(config.num_examples, config.image_size, config.seed)
        images = np.repeat(images, config.channels, axis=-1)  # grayscale -> RGB when --channels 3
        order = rng.permutation(len(labels))
        n_val = max(1, int(len(order) * config.validation_fraction))
        val, train = order[:n_val], order[n_val:]
        return Examples(
            train=tf.data.Dataset.from_tensor_slices((images[train], labels[train])),
            validation=tf.data.Dataset.from_tensor_slices((images[val], labels[val])),
            class_names=SYNTHETIC_CLASSES,
        )
    paths, labels_list, class_names = list_image_folder(config.data_dir)
    # Split file names, not decoded images: nothing is read from disk until the pipeline runs.
    order = rng.permutation(len(paths))
    n_val = max(1, int(len(order) * config.validation_fraction))

    def subset(indices: np.ndarray) -> tf.data.Dataset:
        return image_folder(
            [paths[i] for i in indices], [labels_list[i] for i in indices], config.image_size, config.channels
        )

    return Examples(train=subset(order[n_val:]), validation=subset(order[:n_val]), class_names=class_names)


def make_pipeline(
    dataset: tf.data.Dataset, batch_size: int, *, training: bool, shuffle_buffer: int = 4096, seed: int = 0
) -> tf.data.Dataset:
    """cache -> (shuffle) -> batch -> prefetch.

    ``cache()`` keeps decoded examples in memory after the first epoch, so files are read and
    decoded once; for data larger than memory pass a file name (``cache("/fast/disk/cache")``).
    It must come before ``shuffle`` so that each epoch still sees a new order.
    ``prefetch`` overlaps preparing the next batch with the training step on the current one.
    """
    dataset = dataset.cache()
    if training:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
