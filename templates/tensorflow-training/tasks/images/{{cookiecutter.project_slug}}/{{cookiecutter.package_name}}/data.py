"""Where the examples come from, how they are split, and the tf.data pipeline that feeds them to the model.

Two sources give the same thing, an unbatched ``tf.data.Dataset`` of ``(image, label)`` with
float32 images in [0, 1] of shape ``(size, size, channels)`` and int32 labels:

* :func:`scan_image_folder` + :func:`image_files` read your own images: ``root/<class name>/<image file>``.
* :func:`synthetic_images` draws small noisy images of bars (horizontal, vertical, diagonal),
  so the project trains offline with no download. ``python -m PACKAGE make-data DIR`` writes
  them as an image folder, which is also the layout :func:`scan_image_folder` expects.

Every image is checked before anything trains (:func:`check_images_decode`): a file that is not an
image, or does not decode, is a :class:`~.runtime.DataError` naming it, not a failure mid-epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from .config import TrainConfig
from .runtime import DataError, fingerprint

SYNTHETIC_CLASSES = ("diagonal", "horizontal", "vertical")
SPLITS = ("train", "validation", "test")
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# The first bytes of each format tf.io.decode_image reads.
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"GIF87a", b"GIF89a")


@dataclass(frozen=True)
class ImageFolder:
    """The images of a folder: paths relative to ``root`` (POSIX), their labels, the class names (index = label)."""

    root: Path
    paths: tuple[str, ...]
    labels: np.ndarray
    class_names: tuple[str, ...]

    def files(self, indices: Sequence[int] | np.ndarray | None = None) -> list[str]:
        """Full paths of the images at ``indices`` (all when ``None``)."""
        chosen = range(len(self.paths)) if indices is None else indices
        return [str(self.root / self.paths[i]) for i in chosen]


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


def synthetic_dataset(
    num_examples: int, image_size: int, channels: int, seed: int, indices: Sequence[int] | np.ndarray
) -> tf.data.Dataset:
    """The synthetic examples at ``indices``: regenerated from the seed, so a split is saved as indices."""
    images, labels = synthetic_images(num_examples, image_size, seed)
    images = np.repeat(images, channels, axis=-1)  # grayscale -> RGB when channels is 3
    chosen = np.asarray(indices, dtype=np.int64)
    return tf.data.Dataset.from_tensor_slices((images[chosen], labels[chosen]))


def write_image_folder(images: np.ndarray, labels: np.ndarray, class_names: Sequence[str], root: Path) -> None:
    """Write ``images`` as PNG files in the ``root/<class name>/<n>.png`` layout."""
    for name in class_names:
        (root / name).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        pixels = tf.constant(np.round(image * 255.0).astype(np.uint8))
        tf.io.write_file(str(root / class_names[label] / f"{i:05d}.png"), tf.io.encode_png(pixels))


def write_synthetic_folder(
    root: Path,
    num_examples: int,
    *,
    seed: int = 0,
    image_size: int = 16,
    class_names: Sequence[str] = SYNTHETIC_CLASSES,
) -> Path:
    """Write :func:`synthetic_images` as an image folder (``make-data``), its classes named ``class_names``."""
    images, labels = synthetic_images(num_examples, image_size, seed)
    write_image_folder(images, labels, tuple(class_names), root)
    return root


def decode_image(encoded: tf.Tensor, image_size: int, channels: int) -> tf.Tensor:
    """Encoded PNG/JPEG/BMP/GIF bytes -> float32 ``(size, size, channels)`` in [0, 1].

    Training, ``evaluate``, ``predict`` and anything that serves the model must preprocess alike,
    so this is the one place that does it. Any size, grayscale, RGB or RGBA comes in; one shape
    comes out.
    """
    image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
    image = tf.image.convert_image_dtype(image, tf.float32)  # uint8 0..255 (or uint16) -> 0..1
    return tf.image.resize(image, (image_size, image_size))


def _visible(relative: Path) -> bool:
    return not any(part.startswith(".") for part in relative.parts)  # .DS_Store, .git/: never data


def _sniff(path: Path) -> Path:
    """``path`` if its first bytes are those of an image format TensorFlow decodes, else a :class:`DataError`."""
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        raise DataError(f"{path}: empty file, not an image")
    if not head.startswith(_MAGIC):
        raise DataError(f"{path}: not a PNG, JPEG, BMP or GIF image despite its name")
    return path


def _image_files(folder: Path) -> list[Path]:
    """The image files under ``folder`` (recursively); any other visible file is a :class:`DataError`."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and _visible(p.relative_to(folder)))
    others = [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        raise DataError(
            f"{others[0]}: not an image file ({len(others)} such file(s) under {folder}); "
            f"allowed: {', '.join(IMAGE_SUFFIXES)}; move other files out of the image folders"
        )
    return [_sniff(p) for p in files]


def scan_image_folder(root: Path, class_names: Sequence[str] | None = None) -> ImageFolder:
    """The images of ``root/<class>/...``.

    Without ``class_names`` (training) the sorted sub-folder names are the classes and there must be
    at least two. With them (``evaluate --data``) every sub-folder must be one of those classes, and
    labels are their index there, so a folder lacking a class still scores right.
    """
    if not root.exists():
        raise DataError(f"{root}: folder not found")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; --data takes a folder with one sub-folder of images per class")
    found = tuple(sorted(d.name for d in root.iterdir() if d.is_dir() and _visible(Path(d.name))))
    if class_names is None:
        if len(found) < 2:
            raise DataError(f"{root}: needs one sub-folder of images per class, at least two; found {list(found)}")
        class_names = found
    else:
        class_names = tuple(class_names)
        unexpected = sorted(set(found) - set(class_names))
        if unexpected:
            raise DataError(
                f"{root}: classes the model was not trained on: {unexpected}; its classes are {list(class_names)}"
            )
        if not found:
            raise DataError(f"{root}: no class sub-folders; the model's classes are {list(class_names)}")
    paths, labels = [], []
    for name in found:
        files = _image_files(root / name)
        if not files:
            raise DataError(f"{root / name}: class folder has no images ({', '.join(IMAGE_SUFFIXES)})")
        paths += [p.relative_to(root).as_posix() for p in files]
        labels += [class_names.index(name)] * len(files)
    return ImageFolder(root, tuple(paths), np.asarray(labels, dtype=np.int32), tuple(class_names))


def list_images(path: Path) -> list[Path]:
    """``predict --data``: one image file, or every image under a folder (any layout)."""
    if not path.exists():
        raise DataError(f"{path}: file or folder not found")
    if path.is_file():
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{path}: not an image file; allowed: {', '.join(IMAGE_SUFFIXES)}")
        return [_sniff(path)]
    files = _image_files(path)
    if not files:
        raise DataError(f"{path}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    return files


def check_images_decode(files: Sequence[str], channels: int) -> None:
    """Decode every file once, in parallel; the first that fails is a :class:`DataError` naming it.

    A truncated or corrupt image would otherwise stop training in the middle of an epoch with a
    TensorFlow error that names no file.
    """
    decoded = tf.data.Dataset.from_tensor_slices(list(files)).map(
        lambda path: tf.shape(tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,  # the n-th result is the n-th file, so a failure points at its file
    )
    done = 0
    try:
        for _ in decoded.as_numpy_iterator():
            done += 1
    except tf.errors.OpError as e:
        # TensorFlow prefixes the decoder's words with where in the graph it failed; keep the words.
        reason = (e.message or type(e).__name__).strip().splitlines()[0].split(": ")[-1]
        raise DataError(f"{files[done]}: cannot decode this image ({reason})") from None


def image_files(
    files: Sequence[str], labels: Sequence[int] | np.ndarray, image_size: int, channels: int
) -> tf.data.Dataset:
    """``(image, label)`` pairs read lazily from ``files``, decoded in parallel."""
    paths = tf.data.Dataset.from_tensor_slices(
        (tf.constant(list(files), tf.string), tf.constant(np.asarray(labels, dtype=np.int32)))
    )
    return paths.map(
        lambda path, label: (decode_image(tf.io.read_file(path), image_size, channels), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def stratified_split(
    labels: np.ndarray, class_names: Sequence[str], validation_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of train, validation and held-out test examples, the same share of every class in each.

    Every class needs at least one example in each split: otherwise validation or the held-out
    score would say nothing about it.
    """
    rng = np.random.default_rng(seed)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for label, name in enumerate(class_names):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test = max(1, round(len(members) * test_fraction))
        n_val = max(1, round(len(members) * validation_fraction))
        if len(members) - n_test - n_val < 1:
            raise DataError(
                f"class {name!r} has {len(members)} image(s); every class needs at least 3 "
                "(training, validation and the held-out test each need one)"
            )
        parts[2].append(members[:n_test])
        parts[1].append(members[n_test : n_test + n_val])
        parts[0].append(members[n_test + n_val :])
    train, validation, test = (np.sort(np.concatenate(p)) for p in parts)
    return train, validation, test


def make_pipeline(
    dataset: tf.data.Dataset, batch_size: int, *, training: bool, shuffle_buffer: int = 4096, seed: int = 0
) -> tf.data.Dataset:
    """cache -> (shuffle) -> batch -> prefetch, auto-sharded by examples across workers.

    ``cache()`` keeps decoded examples in memory after the first epoch, so files are read and
    decoded once; for data larger than memory pass a file name (``cache("/fast/disk/cache")``).
    It must come before ``shuffle`` so that each epoch still sees a new order.
    ``prefetch`` overlaps preparing the next batch with the training step on the current one.

    The datasets here start from tensors (file names or arrays), not from a reader of files, so
    ``AutoShardPolicy.FILE`` has no files to split between workers; ``DATA`` makes each worker of a
    ``MultiWorkerMirroredStrategy`` keep every n-th example instead. One worker ignores it.
    """
    dataset = dataset.cache()
    if training:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE).with_options(options)


@dataclass(frozen=True)
class Examples:
    """The three splits (unbatched), the class names (index = label) and what they were made from."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    class_names: tuple[str, ...]
    source: dict[str, Any]  # kind, root or generator settings, fingerprint, number of images
    splits: dict[str, list[Any]]  # split -> relative paths (a folder) or indices (synthetic data)


def synthetic_fingerprint(num_examples: int, image_size: int, seed: int) -> str:
    """Synthetic data is defined by its generator's settings; they stand in for a file hash."""
    return f"synthetic:num_examples={num_examples}:image_size={image_size}:seed={seed}"


def load_examples(config: TrainConfig, splits: Mapping[str, Sequence[Any]] | None = None) -> Examples:
    """Check the configured source and split it into train, validation and held-out test sets.

    ``splits`` (saved beside a checkpoint) reuses an earlier run's split instead of drawing one, so
    a resumed run never moves validation or test examples into training.
    """
    if config.data_dir is None:
        images, labels = synthetic_images(config.num_examples, config.image_size, config.seed)
        images = np.repeat(images, config.channels, axis=-1)  # grayscale -> RGB when --channels 3
        if splits is None:
            parts = stratified_split(
                labels, SYNTHETIC_CLASSES, config.validation_fraction, config.test_fraction, config.seed
            )
        else:
            parts = tuple(np.asarray(splits[name], dtype=np.int64) for name in SPLITS)

        def subset(indices: np.ndarray) -> tf.data.Dataset:
            return tf.data.Dataset.from_tensor_slices((images[indices], labels[indices]))

        source = {
            "kind": "synthetic",
            "images": len(labels),
            "fingerprint": synthetic_fingerprint(config.num_examples, config.image_size, config.seed),
        }
        train, validation, test = (subset(p) for p in parts)
        saved = {name: [int(i) for i in p] for name, p in zip(SPLITS, parts, strict=True)}
        return Examples(train, validation, test, SYNTHETIC_CLASSES, source, saved)
    folder = scan_image_folder(config.data_dir)
    check_images_decode(folder.files(), config.channels)
    if splits is None:
        parts = stratified_split(
            folder.labels, folder.class_names, config.validation_fraction, config.test_fraction, config.seed
        )
    else:
        index = {path: i for i, path in enumerate(folder.paths)}
        missing = [path for name in SPLITS for path in splits[name] if path not in index]
        if missing:
            raise DataError(
                f"{config.data_dir}: {len(missing)} image(s) of the saved split are gone, e.g. {missing[0]}"
            )
        parts = tuple(np.asarray([index[path] for path in splits[name]], dtype=np.int64) for name in SPLITS)

    # Split file names, not decoded images: nothing is read from disk until the pipeline runs.
    def files(indices: np.ndarray) -> tf.data.Dataset:
        return image_files(folder.files(indices), folder.labels[indices], config.image_size, config.channels)

    source = {
        "kind": "folder",
        "root": str(folder.root.resolve()),
        "images": len(folder.paths),
        "fingerprint": fingerprint(folder.root),
    }
    train, validation, test = (files(p) for p in parts)
    saved = {name: [folder.paths[i] for i in p] for name, p in zip(SPLITS, parts, strict=True)}
    return Examples(train, validation, test, folder.class_names, source, saved)
