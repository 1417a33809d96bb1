"""The input pipeline: the image-folder loader reads what it should, and batches come out right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.config import TrainConfig
from {{ cookiecutter.package_name }}.data import (
    SYNTHETIC_CLASSES,
    load_examples,
    make_pipeline,
    synthetic_images,
    write_image_folder,
)


def test_image_folder_loader_reads_back_written_images(tmp_path: Path) -> None:
    images, labels = synthetic_images(30, 16, seed=1)
    write_image_folder(images, labels, SYNTHETIC_CLASSES, tmp_path)
    config = TrainConfig(data_dir=tmp_path, validation_fraction=0.2)

    examples = load_examples(config)

    assert examples.class_names == SYNTHETIC_CLASSES
    loaded = list(examples.train.concatenate(examples.validation).as_numpy_iterator())
    assert len(loaded) == 30
    # Every decoded image equals an original one (PNG stores 8 bits) and carries its label.
    originals = {label: images[labels == label] for label in range(len(SYNTHETIC_CLASSES))}
    for image, label in loaded:
        assert image.shape == (16, 16, 1) and image.dtype == np.float32
        distances = np.abs(originals[label] - image).max(axis=(1, 2, 3))
        assert distances.min() <= 1 / 255 + 1e-6


def test_pipeline_batches_and_reshuffles_every_epoch() -> None:
    data = tf.data.Dataset.from_tensor_slices((np.arange(10, dtype=np.float32), np.arange(10, dtype=np.int32)))
    pipeline = make_pipeline(data, 4, training=True, seed=3)

    epoch_1 = list(pipeline.as_numpy_iterator())
    epoch_2 = np.concatenate([labels for _, labels in pipeline.as_numpy_iterator()])

    assert [len(labels) for _, labels in epoch_1] == [4, 4, 2]
    order_1 = np.concatenate([labels for _, labels in epoch_1])
    assert sorted(order_1) == list(range(10))  # every example once per epoch
    assert list(order_1) != list(range(10)) and list(order_1) != list(epoch_2)
    evaluation = np.concatenate([labels for _, labels in make_pipeline(data, 4, training=False).as_numpy_iterator()])
    assert list(evaluation) == list(range(10))  # evaluation keeps the order
