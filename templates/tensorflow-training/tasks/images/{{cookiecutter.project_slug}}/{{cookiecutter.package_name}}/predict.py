"""Classify image files with an exported model and write one CSV row per image."""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from .data import check_images_decode, image_files, list_images
from .export import Predictor
from .runs import latest_export
from .runtime import DataError, refuse_overwrite

log = logging.getLogger(__package__)
BATCH = 256


def _inside(path: Path, folder: str | Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(Path(folder).resolve())


def predict(data: Path, output: Path, export_dir: Path, model: Path | None = None) -> Path:
    """Write ``output``: ``path``, ``prediction`` (a class name), ``probability_<class>`` per class.

    ``data`` is one image or a folder searched for images in any layout. The CSV never replaces
    the input and is never written into an image folder (a CSV there would stop the next `train`).
    """
    predictor = Predictor(model or latest_export(export_dir))
    files = list_images(data)
    trained_root = predictor.metadata.get("source", {}).get("root")
    refuse_overwrite(output, *files)
    if (data.is_dir() and _inside(output, data)) or _inside(output, trained_root):
        raise DataError(
            f"{output}: inside an image folder ({data if data.is_dir() else trained_root}); "
            "choose an --output outside it"
        )
    names = [str(f) for f in files]
    check_images_decode(names, predictor.channels)
    dataset = image_files(names, np.zeros(len(names), np.int32), predictor.image_size, predictor.channels)
    probabilities = np.concatenate(
        [predictor(images)["probabilities"] for images, _ in dataset.batch(BATCH).prefetch(tf.data.AUTOTUNE)]
    )
    header = ["path", "prediction", *(f"probability_{name}" for name in predictor.class_names)]
    tmp = None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: an interrupted run leaves no half file.
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for name, row in zip(names, probabilities, strict=True):
                writer.writerow([name, predictor.class_names[int(row.argmax())], *(f"{p:.6f}" for p in row)])
        os.replace(tmp, output)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise DataError(f"{output}: cannot write the predictions ({e.strerror or e})") from None
    log.info("%d image(s) classified with %s -> %s", len(names), predictor.path, output)
    return output
