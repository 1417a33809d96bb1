"""Score an exported model: by default on the held-out test images its training run set aside."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import tensorflow as tf

from .data import check_images_decode, image_files, scan_image_folder, synthetic_dataset
from .export import Predictor
from .runs import latest_export
from .runtime import DataError, write_metrics

log = logging.getLogger(__package__)
BATCH = 256


def held_out(predictor: Predictor) -> tf.data.Dataset:
    """The test split saved with the model: images no training step, validation or choice ever saw."""
    meta = predictor.metadata
    try:
        source, settings, test = meta["source"], meta["settings"], meta["splits"]["test"]
    except (KeyError, TypeError):
        raise DataError(f"{predictor.path}: its metadata.json lists no held-out test images; use --data") from None
    if source.get("kind") == "synthetic":
        return synthetic_dataset(
            settings["num_examples"], predictor.image_size, predictor.channels, settings["seed"], test
        )
    root = Path(source["root"])
    files = [root / path for path in test]
    gone = [f for f in files if not f.is_file()]
    if gone:
        raise DataError(
            f"{gone[0]}: {len(gone)} held-out image(s) of the training run are gone; "
            "evaluate --data DIR scores another folder"
        )
    labels = [predictor.class_names.index(Path(path).parts[0]) for path in test]
    check_images_decode([str(f) for f in files], predictor.channels)
    return image_files([str(f) for f in files], labels, predictor.image_size, predictor.channels)


def evaluate(
    export_dir: Path, metrics_path: Path, model: Path | None = None, data_dir: Path | None = None
) -> dict[str, float]:
    """Accuracy and mean cross-entropy of the model on the held-out images, or on ``data_dir``.

    ``data_dir``'s class folders are mapped through the model's own class names, so a folder that
    lacks some classes still scores each image against its true class; a folder the model has no
    class for is refused.
    """
    predictor = Predictor(model or latest_export(export_dir))
    if data_dir is None:
        dataset, what = held_out(predictor), "held-out test images"
    else:
        folder = scan_image_folder(data_dir, predictor.class_names)
        check_images_decode(folder.files(), predictor.channels)
        dataset, what = image_files(folder.files(), folder.labels, predictor.image_size, predictor.channels), data_dir
        trained_root = predictor.metadata.get("source", {}).get("root")
        if trained_root and Path(trained_root) == data_dir.resolve():
            log.warning(
                "%s is the folder the model was trained on, so this score counts its training images; "
                "`evaluate` without --data scores the held-out ones only",
                data_dir,
            )
    correct, loss_sum, count = 0, 0.0, 0
    for images, labels in dataset.batch(BATCH).prefetch(tf.data.AUTOTUNE):
        probabilities = predictor(images)["probabilities"]
        truth = labels.numpy()
        correct += int((probabilities.argmax(axis=1) == truth).sum())
        picked = probabilities[np.arange(len(truth)), truth]
        loss_sum += float(-np.log(np.clip(picked, 1e-12, 1.0)).sum())
        count += len(truth)
    metrics = {"accuracy": correct / count, "loss": loss_sum / count, "images": count}
    write_metrics(metrics_path, metrics)
    log.info("%s on %d %s: accuracy %.3f, loss %.4f", predictor.path, count, what, metrics["accuracy"], metrics["loss"])
    return metrics
