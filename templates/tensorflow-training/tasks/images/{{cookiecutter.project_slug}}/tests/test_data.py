"""The input pipeline: the image-folder loader reads what it should, splits it three ways without
overlap, refuses bad folders with one clear error, and batches come out right."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.config import (
    TrainConfig,
)
from {{ cookiecutter.package_name }}.data import (
    SYNTHETIC_CLASSES,
    load_examples,
    make_pipeline,
    scan_image_folder,
    stratified_split,
    synthetic_images,
    write_image_folder,
    write_synthetic_folder,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)


def test_image_folder_loader_reads_back_written_images(tmp_path: Path) -> None:
    images, labels = synthetic_images(60, 16, seed=1)
    write_image_folder(images, labels, SYNTHETIC_CLASSES, tmp_path)
    config = TrainConfig(data_dir=tmp_path)

    examples = load_examples(config)

    assert examples.class_names == SYNTHETIC_CLASSES
    split_paths = [set(examples.splits[name]) for name in ("train", "validation", "test")]
    assert sum(map(len, split_paths)) == 60
    assert len(set.union(*split_paths)) == 60
    loaded = list(examples.train.concatenate(examples.validation).concatenate(examples.test).as_numpy_iterator())
    assert len(loaded) == 60
    # Every decoded image equals an original one (PNG stores 8 bits) and carries its label.
    originals = {label: images[labels == label] for label in range(len(SYNTHETIC_CLASSES))}
    for image, label in loaded:
        assert image.shape == (16, 16, 1)
        assert image.dtype == np.float32
        distances = np.abs(originals[label] - image).max(axis=(1, 2, 3))
        assert distances.min() <= 1 / 255 + 1e-6


def test_split_holds_out_every_class_in_validation_and_test() -> None:
    labels = np.repeat(np.arange(3, dtype=np.int32), [40, 10, 3])
    train, validation, test = stratified_split(labels, ("a", "b", "c"), 0.15, 0.15, seed=0)

    assert not (set(train) & set(validation))
    assert not (set(train) & set(test))
    assert not (set(validation) & set(test))
    assert len(train) + len(validation) + len(test) == len(labels)
    for split in (train, validation, test):
        assert set(labels[split]) == {0, 1, 2}  # the smallest class still appears in every split
    with pytest.raises(DataError, match="class 'c' has 2 image"):
        stratified_split(np.repeat(np.arange(3, dtype=np.int32), [40, 10, 2]), ("a", "b", "c"), 0.15, 0.15, 0)


# The classic 1x1 GIF, and a 2x2 24-bit BMP: formats TensorFlow decodes but cannot encode.
_GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
_BMP_PIXELS = bytes(range(12)) + bytes(range(100, 112))  # two rows of 2 pixels, 6 bytes + 2 padding each
_BMP = (
    b"BM"
    + struct.pack("<IHHI", 54 + 16, 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, 16, 2835, 2835, 0, 0)
    + _BMP_PIXELS[:6]
    + b"\0\0"
    + _BMP_PIXELS[12:18]
    + b"\0\0"
)


def test_images_of_any_format_size_and_colour_come_out_one_shape(tmp_path: Path) -> None:
    shapes = {"a": [(20, 20, 3), (9, 30, 1)], "b": [(12, 12, 4), (64, 48, 3)], "c": [(16, 16, 1), (5, 5, 3)]}
    for name, sizes in shapes.items():
        (tmp_path / name).mkdir()
        for i, shape in enumerate(sizes * 2):
            pixels = np.random.default_rng(i).integers(0, 256, size=shape, dtype=np.uint8)
            tf.io.write_file(str(tmp_path / name / f"{i}.png"), tf.io.encode_png(pixels))
    rgb = np.random.default_rng(0).integers(0, 256, size=(10, 14, 3), dtype=np.uint8)
    tf.io.write_file(str(tmp_path / "a" / "photo.JPG"), tf.io.encode_jpeg(rgb))
    (tmp_path / "b" / "icon.gif").write_bytes(_GIF)
    (tmp_path / "c" / "old.bmp").write_bytes(_BMP)
    (tmp_path / "a" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden files are not data
    (tmp_path / "README.txt").write_text("top-level files belong to no class")

    examples = load_examples(TrainConfig(data_dir=tmp_path, image_size=16, channels=3))

    loaded = list(examples.train.concatenate(examples.validation).concatenate(examples.test).as_numpy_iterator())
    assert len(loaded) == 15
    assert {image.shape for image, _ in loaded} == {(16, 16, 3)}


def _png(path: Path, seed: int = 0) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(8, 8, 1), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (lambda root: root.rmdir(), "folder not found"),
        (lambda root: None, r"at least two; found \[\]"),
        (lambda root: _png(root / "only" / "1.png"), r"at least two; found \['only'\]"),
        (lambda root: (_png(root / "a" / "1.png"), (root / "b").mkdir()), "class folder has no images"),
        (
            lambda root: (
                _png(root / "a" / "1.png"),
                _png(root / "b" / "2.png"),
                (root / "b" / "notes.txt").write_text("x"),
            ),
            "notes.txt: not an image file",
        ),
        (
            lambda root: (_png(root / "a" / "1.png"), (root / "b").mkdir(), (root / "b" / "2.png").write_text("text")),
            "2.png: not a PNG, JPEG, BMP or GIF image",
        ),
        (
            lambda root: (_png(root / "a" / "1.png"), (root / "b").mkdir(), (root / "b" / "2.png").write_bytes(b"")),
            "2.png: empty file",
        ),
    ],
)
def test_bad_folders_are_one_data_error_naming_the_problem(tmp_path: Path, arrange, message: str) -> None:
    root = tmp_path / "images"
    root.mkdir()
    arrange(root)
    with pytest.raises(DataError, match=message):
        scan_image_folder(root)


def test_a_truncated_image_is_named_before_training(tmp_path: Path) -> None:
    root = write_synthetic_folder(tmp_path / "images", 30)
    victim = sorted((root / "vertical").glob("*.png"))[2]
    victim.write_bytes(victim.read_bytes()[:40])  # a valid PNG header, then nothing

    with pytest.raises(DataError, match=f"{victim.name}: cannot decode this image"):
        load_examples(TrainConfig(data_dir=root))


def test_pipeline_batches_and_reshuffles_every_epoch() -> None:
    data = tf.data.Dataset.from_tensor_slices((np.arange(10, dtype=np.float32), np.arange(10, dtype=np.int32)))
    pipeline = make_pipeline(data, 4, training=True, seed=3)

    epoch_1 = list(pipeline.as_numpy_iterator())
    epoch_2 = np.concatenate([labels for _, labels in pipeline.as_numpy_iterator()])

    assert [len(labels) for _, labels in epoch_1] == [4, 4, 2]
    order_1 = np.concatenate([labels for _, labels in epoch_1])
    assert sorted(order_1) == list(range(10))  # every example once per epoch
    assert list(order_1) != list(range(10))
    assert list(order_1) != list(epoch_2)
    evaluation = np.concatenate([labels for _, labels in make_pipeline(data, 4, training=False).as_numpy_iterator()])
    assert list(evaluation) == list(range(10))  # evaluation keeps the order


def test_pipeline_shards_by_example_across_workers() -> None:
    # Built from tensors (file names), so FILE sharding has no reader to split; the README says DATA.
    data = tf.data.Dataset.from_tensor_slices((np.arange(4, dtype=np.float32), np.arange(4, dtype=np.int32)))
    pipeline = make_pipeline(data, 2, training=False)
    assert pipeline.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.DATA
