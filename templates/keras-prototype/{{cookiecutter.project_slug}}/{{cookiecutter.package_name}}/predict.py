"""Scoring and prediction with a saved model: columns matched by name, labels through the model's own classes."""

from __future__ import annotations

import logging
from pathlib import Path

from .data import check_columns, label_ids, numeric_features, read_table, write_table
from .model import Trained, card_path, load_trained, probabilities, scores
from .runtime import DataError, fingerprint, refuse_overwrite, write_metrics
from .train import METRICS_FILE, TEST_FILE

log = logging.getLogger(__name__)


def evaluate(model_path: str | Path, data: str | Path | None = None) -> dict[str, float]:
    """Score the model on the training run's held-out test rows, or on ``data``; write ``metrics.json``.

    With ``data``, labels are mapped through the classes saved with the model (a file that lacks a
    class, or orders them differently, still scores correctly); a label the model never saw is refused.
    """
    trained = load_trained(model_path)
    if data is None:
        data = trained.path.parent / TEST_FILE
        expected = trained.card.get("test_file", {}).get("fingerprint")
        if not Path(data).is_file():
            raise DataError(f"{data}: the held-out rows of the training run are missing; train again or pass --data")
        if fingerprint(data) != expected:
            raise DataError(f"{data}: changed since training, so it is no longer the held-out split; pass --data")
    table = read_table(data)
    if data != trained.path.parent / TEST_FILE and fingerprint(data) == trained.card["data"]["fingerprint"]:
        log.warning(
            "%s is the training data: the model was fitted on most of these rows, so this score is optimistic "
            "(evaluate without --data scores only the held-out rows)",
            data,
        )
    target = trained.card["target"]
    check_columns(table, trained.features, [target, *trained.card["dropped"]])
    if target not in table.header:
        raise DataError(f"{table.source}: no {target!r} column with the true labels to score against")
    labels = label_ids(table, target, trained.classes)
    result = scores(probabilities(trained.model, numeric_features(table, trained.features)), labels)
    write_metrics(trained.path.parent / METRICS_FILE, result)
    return result


def predict(model_path: str | Path, data: str | Path, output: str | Path) -> Path:
    """Write one row per input row: the predicted label (the data's own values) and each class's probability.

    The input's columns are matched to the model's features by name (any order); a missing feature or
    an unexpected column is refused. The output never replaces the input, the training data or a model file.
    """
    trained: Trained = load_trained(model_path)
    training_data = trained.card["data"]["path"]
    artifacts = trained.path.parent
    output = refuse_overwrite(output, data, training_data, artifacts / TEST_FILE, trained.path, card_path(trained.path))
    table = read_table(data)
    check_columns(table, trained.features, [trained.card["target"], *trained.card["dropped"]])
    probs = probabilities(trained.model, numeric_features(table, trained.features))
    classes = trained.classes
    rows = (
        [classes[int(best)], *(f"{p:.6f}" for p in row)]
        for best, row in zip(probs.argmax(axis=1), probs.tolist(), strict=True)
    )
    written = write_table(output, ["prediction", *(f"probability_{name}" for name in classes)], rows)
    log.info("predicted %d rows of %s into %s", len(table.rows), table.source, written)
    return written
