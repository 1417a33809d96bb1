"""train, evaluate and predict on this machine, with the model the training script saves (no AWS).

The model file carries what it was trained on (task, feature names and types, dropped columns,
category vocabularies, classes, the data's fingerprint, the held-out row ids); ``evaluate`` and
``predict`` check a table against it by column name and refuse a mismatch, report categories the
model never saw, and ``evaluate`` scores only rows the model never saw.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from . import entry_point
from .runtime import DataError, refuse_overwrite, write_metrics

log = logging.getLogger(__name__)
BUNDLE_KEYS = {
    "model",
    "task",
    "target",
    "features",
    "feature_types",
    "drop",
    "categories",
    "classes",
    "data",
    "fingerprint",
    "rows",
    "heldout_ids",
}


def metrics_path(model_dir: Path) -> Path:
    """``artifacts/metrics.json`` beside the default ``artifacts/model/``."""
    return model_dir.parent / "metrics.json"


def _writable_folder(folder: Path, what: str) -> None:
    """Fail before the work, not after it, when the results could not be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{folder}: cannot create the {what} folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise DataError(f"{folder}: the {what} folder is not writable")


def train(data: Path, target: str, model_dir: Path, **hyperparameters: Any) -> dict[str, float]:
    """Run the training script's ``train`` here and write ``artifacts/metrics.json``.

    ``hyperparameters`` are the script's own (task, drop, c, class_weight, test_size, seed).
    """
    _writable_folder(model_dir, "model")
    metrics = entry_point.train(data, target, model_dir, **hyperparameters)
    write_metrics(metrics_path(model_dir), metrics)
    return metrics


def load_model(model_dir: Path) -> dict[str, Any]:
    """The bundle ``train`` saved, or a DataError saying it is missing or damaged."""
    path = model_dir / entry_point.MODEL_FILE
    if not path.is_file():
        raise DataError(f"{path}: no model here; run `train` first")
    try:
        # joblib unpickles: load only model files you made yourself.
        bundle = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - a damaged pickle raises whatever the broken bytes lead to
        raise DataError(f"{path}: not a readable model ({type(exc).__name__}); run `train` again") from None
    if not isinstance(bundle, dict) or not BUNDLE_KEYS <= bundle.keys():
        raise DataError(f"{path}: not a model saved by this project's `train`; run `train` again")
    return bundle


def _matching_columns(
    table: entry_point.Table, bundle: dict[str, Any], *, need_target: bool, ignore: tuple[str, ...] = ()
) -> None:
    """Refuse a table whose columns are not the model's, naming the missing and unexpected ones.

    The target, the columns dropped in training and ``ignore`` (predict's --drop) may be there too.
    """
    expected = set(bundle["features"]) | ({bundle["target"]} if need_target else set())
    allowed = expected | {bundle["target"], *bundle["drop"], *ignore}
    missing = [
        name for name in [*bundle["features"], bundle["target"]] if name in expected and name not in table.header
    ]
    unexpected = [name for name in table.header if name not in allowed]
    if missing or unexpected:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(unexpected)}"] if unexpected else []
        )
        hint = " (pass --drop COLUMN to pass one through)" if unexpected else ""
        raise DataError(f"{table.source}: columns do not match the model's: {'; '.join(parts)}{hint}")


def _known_labels(table: entry_point.Table, bundle: dict[str, Any]) -> np.ndarray:
    """The table's target; for classes, each one of the model's own (never re-numbered from this file)."""
    labels = entry_point.target_of(table, bundle["target"], bundle["task"])
    if bundle["task"] != "classification":
        return labels
    unknown = sorted(set(labels.tolist()) - set(bundle["classes"]))
    if unknown:
        raise DataError(
            f"{table.source}: labels the model was not trained on: {', '.join(map(repr, unknown[:5]))}; "
            f"its classes are {', '.join(map(repr, bundle['classes']))}"
        )
    return labels


def _features(table: entry_point.Table, bundle: dict[str, Any]) -> tuple[Any, dict[str, int]]:
    """The model's input from ``table``, typed as in training, and the unseen categories per column."""
    frame = entry_point.model_frame(table, bundle["feature_types"])
    return frame, entry_point.unseen_categories(frame, bundle["categories"])


def evaluate(model_dir: Path, data: Path | None = None, ignore: tuple[str, ...] = ()) -> dict[str, float]:
    """Score the saved model on its held-out rows (or on ``data``) and write ``artifacts/metrics.json``.

    Given the training file itself, only its held-out rows are scored: the others were trained on.
    """
    bundle = load_model(model_dir)
    path = Path(data) if data is not None else Path(bundle["data"])
    if data is None and not path.exists():
        raise DataError(f"{path}: the training data is gone, so its held-out rows are too; pass --data FILE")
    table = entry_point.read_table(path)
    same_data = entry_point.fingerprint(path) == bundle["fingerprint"]
    if data is None and not same_data:
        raise DataError(
            f"{path} changed since training (its fingerprint differs), so the held-out rows cannot be "
            "found again; train again, or pass --data FILE to score other rows"
        )
    _matching_columns(table, bundle, need_target=True, ignore=ignore)
    labels = _known_labels(table, bundle)
    if same_data:
        ids = np.array(bundle["heldout_ids"], dtype=int)
        log.info("scoring the %d held-out rows of %s (the model never saw them)", len(ids), path)
    else:
        ids = np.arange(len(table.rows))
        log.info("scoring %d rows of %s", len(ids), path)
    scored = entry_point.Table(table.source, table.header, [table.rows[i] for i in ids])
    features, unseen = _features(scored, bundle)
    metrics = entry_point.score(bundle["task"], bundle["model"], features, labels[ids])
    metrics["values_unseen"] = float(sum(unseen.values()))
    write_metrics(metrics_path(model_dir), metrics)
    return metrics


def predict(model_dir: Path, data: Path, output: Path, ignore: tuple[str, ...] = ()) -> Path:
    """Write ``output``: the table's rows (dropped columns too) with a ``prediction`` column, and for
    classes one ``proba_<class>`` column per class."""
    bundle = load_model(model_dir)
    output = refuse_overwrite(output, data, bundle["data"])
    _writable_folder(output.parent.resolve(), "output")
    table = entry_point.read_table(data)
    _matching_columns(table, bundle, need_target=False, ignore=ignore)
    model, classes = bundle["model"], bundle["classes"]
    added = ["prediction", *(f"proba_{label}" for label in classes)]
    clash = [name for name in added if name in table.header]
    if clash:
        raise DataError(f"{table.source}: already has column(s) {', '.join(clash)}; predictions would replace them")
    features, _ = _features(table, bundle)
    predicted = model.predict(features)
    if classes:
        probabilities = model.predict_proba(features)
        values = [[label, *(f"{p:.4f}" for p in proba)] for label, proba in zip(predicted, probabilities, strict=True)]
    else:
        values = [[f"{value:.6g}"] for value in predicted]
    fd, tmp = tempfile.mkstemp(dir=output.parent.resolve(), prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([*table.header, *added])
            for row, cells in zip(table.rows, values, strict=True):
                writer.writerow([*row, *cells])
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("%d predictions written to %s", len(predicted), output)
    return output
