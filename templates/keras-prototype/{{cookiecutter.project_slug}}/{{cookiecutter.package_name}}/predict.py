"""Scoring and prediction with a saved model: columns matched by name, labels through the model's own classes.

The model card and the input file are checked before Keras is imported, so a mismatch is refused at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts import METRICS_FILE, TEST_FILE, card_path, read_card
from .data import (
    Features,
    Schema,
    Table,
    check_columns,
    features_of,
    label_ids,
    labelled_rows,
    read_table,
    target_values,
    write_table,
)
from .runtime import DataError, fingerprint, refuse_overwrite, write_metrics

log = logging.getLogger(__name__)


def _schema(card: dict[str, Any]) -> Schema:
    return Schema.from_kinds(card["features"], card["feature_types"])


def _features(
    card: dict[str, Any], table: Table, passed: Sequence[str] = (), index: np.ndarray | None = None
) -> Features:
    """The model's feature columns of ``table``, by name; the target, dropped and ``passed`` columns may be there too."""
    unknown = [name for name in passed if name not in table.header]
    if unknown:
        raise DataError(f"{table.source}: --drop names no such column: {', '.join(unknown)}")
    check_columns(table, card["features"], [card["target"], *card["dropped"], *passed])
    return features_of(table, _schema(card), index)


def _predict(model_path: Path, card: dict[str, Any], features: Features) -> np.ndarray:
    from .model import load_trained, predict_raw

    output, unseen = predict_raw(load_trained(model_path, card).model, features)
    for column, (count, example) in unseen.items():
        log.warning(
            "column %r: %d value(s) never seen in training (e.g. %r), encoded as an unknown category",
            column,
            count,
            example,
        )
    return output


def evaluate(model_path: str | Path, data: str | Path | None = None, passed: Sequence[str] = ()) -> dict[str, float]:
    """Score the model on the training run's held-out test rows, or on ``data``; write ``metrics.json``.

    With ``data``, labels are mapped through the classes saved with the model (a file that lacks a
    class, or orders them differently, still scores correctly); a label the model never saw is refused.
    Rows without a target value are left out and counted.
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
    target = card["target"]
    if target not in table.header:
        raise DataError(f"{table.source}: no {target!r} column with the true values to score against")
    rows = labelled_rows(table, target)
    if not len(rows):
        raise DataError(f"{table.source}: the target column {target!r} has no values to score against")
    features = _features(card, table, passed, rows)
    truth = label_ids(table, target, card["classes"], rows) if card["classes"] else target_values(table, target, rows)

    from .model import scores

    result = scores(_predict(model_path, card, features), truth)
    result["rows_unlabelled"] = float(len(table.rows) - len(rows))
    write_metrics(model_path.parent / METRICS_FILE, result)
    return result


def predict(model_path: str | Path, data: str | Path, output: str | Path, passed: Sequence[str] = ()) -> Path:
    """Write one row per input row: the prediction (a label of the data's own, or a number) and class probabilities.

    The input's columns are matched to the model's features by name (any order); a missing feature or
    an unexpected column is refused. Columns named by ``passed`` (``--drop``, e.g. an id) are no features
    and are copied into the output, in front, so predictions can be joined back by id. The output
    never replaces the input, the training data or a model file.
    """
    model_path = Path(model_path)
    card = read_card(model_path)
    output = refuse_overwrite_all(output, data, card, model_path)
    table = read_table(data)
    features = _features(card, table, passed)
    kept = [name for name in table.header if name in passed]
    kept_columns = [table.column(name) for name in kept]
    result = _predict(model_path, card, features)
    classes = card["classes"]
    if classes:
        header = [*kept, "prediction", *(f"probability_{name}" for name in classes)]
        predicted = (
            [classes[int(best)], *(f"{p:.6f}" for p in row)]
            for best, row in zip(result.argmax(axis=1), result.tolist(), strict=True)
        )
    else:
        header = [*kept, "prediction"]
        predicted = ([f"{value:.10g}"] for value in result.tolist())
    rows = ([*(column[i] for column in kept_columns), *values] for i, values in enumerate(predicted))
    written = write_table(output, header, rows)
    log.info("predicted %d rows of %s into %s", len(table.rows), table.source, written)
    return written


def refuse_overwrite_all(output: str | Path, data: str | Path, card: dict[str, Any], model_path: Path) -> Path:
    """``output`` unless it is the input, the training data, the held-out rows or one of the model's files."""
    protected = (data, card["data"]["path"], model_path.parent / TEST_FILE, model_path, card_path(model_path))
    return refuse_overwrite(output, *protected)
