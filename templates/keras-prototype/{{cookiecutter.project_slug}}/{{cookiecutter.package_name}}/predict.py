"""Scoring and prediction with a saved model: columns matched by name, labels through the model's own classes.

The model card and the input file are checked before Keras is imported, so a mismatch is refused at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts import METRICS_FILE, TEST_FILE, card_path, read_card
from .data import (
    Table,
    check_columns,
    label_ids,
    numeric_features,
    read_table,
    write_table,
)
from .runtime import DataError, fingerprint, refuse_overwrite, write_metrics

log = logging.getLogger(__name__)


def _features(card: dict[str, Any], table: Table) -> np.ndarray:
    """The model's feature columns of ``table``, by name; the label and dropped columns may be present too."""
    check_columns(table, card["features"], [card["target"], *card["dropped"]])
    return numeric_features(table, card["features"])


def _probabilities(model_path: Path, card: dict[str, Any], features: np.ndarray) -> np.ndarray:
    from .model import load_trained, probabilities

    return probabilities(load_trained(model_path, card).model, features)


def evaluate(model_path: str | Path, data: str | Path | None = None) -> dict[str, float]:
    """Score the model on the training run's held-out test rows, or on ``data``; write ``metrics.json``.

    With ``data``, labels are mapped through the classes saved with the model (a file that lacks a
    class, or orders them differently, still scores correctly); a label the model never saw is refused.
    """
    model_path = Path(model_path)
    card = read_card(model_path)
    held_out = model_path.parent / TEST_FILE
    if data is None:
        if not held_out.is_file():
            raise DataError(
                f"{held_out}: the held-out rows of the training run are missing; train again or pass --data"
            )
        if fingerprint(held_out) != card.get("test_file", {}).get("fingerprint"):
            raise DataError(f"{held_out}: changed since training, so it is no longer the held-out split; pass --data")
    table = read_table(data if data is not None else held_out)
    if data is not None and fingerprint(data) == card["data"]["fingerprint"]:
        log.warning(
            "%s is the training data: the model was fitted on most of these rows, so this score is optimistic "
            "(evaluate without --data scores only the held-out rows)",
            data,
        )
    features = _features(card, table)
    if card["target"] not in table.header:
        raise DataError(f"{table.source}: no {card['target']!r} column with the true labels to score against")
    labels = label_ids(table, card["target"], card["classes"])

    from .model import scores

    result = scores(_probabilities(model_path, card, features), labels)
    write_metrics(model_path.parent / METRICS_FILE, result)
    return result


def predict(model_path: str | Path, data: str | Path, output: str | Path) -> Path:
    """Write one row per input row: the predicted label (the data's own values) and each class's probability.

    The input's columns are matched to the model's features by name (any order); a missing feature or
    an unexpected column is refused. The output never replaces the input, the training data or a model file.
    """
    model_path = Path(model_path)
    card = read_card(model_path)
    output = refuse_overwrite_all(output, data, card, model_path)
    table = read_table(data)
    probs = _probabilities(model_path, card, _features(card, table))
    classes = card["classes"]
    rows = (
        [classes[int(best)], *(f"{p:.6f}" for p in row)]
        for best, row in zip(probs.argmax(axis=1), probs.tolist(), strict=True)
    )
    written = write_table(output, ["prediction", *(f"probability_{name}" for name in classes)], rows)
    log.info("predicted %d rows of %s into %s", len(table.rows), table.source, written)
    return written


def refuse_overwrite_all(output: str | Path, data: str | Path, card: dict[str, Any], model_path: Path) -> Path:
    """``output`` unless it is the input, the training data, the held-out rows or one of the model's files."""
    protected = (data, card["data"]["path"], model_path.parent / TEST_FILE, model_path, card_path(model_path))
    return refuse_overwrite(output, *protected)
