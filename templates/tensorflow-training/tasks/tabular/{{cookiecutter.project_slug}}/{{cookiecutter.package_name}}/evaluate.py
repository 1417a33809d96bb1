"""Score an exported model: by default on the held-out test rows its training run set aside."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .data import features_for, labels_for, read_table, subset
from .export import Predictor
from .metrics import classification_scores, regression_scores
from .runs import latest_export
from .runtime import DataError, fingerprint, write_metrics

log = logging.getLogger(__package__)


def report_unseen(predictor: Predictor, unseen: dict[str, int], source: str) -> None:
    """Log categories training never saw, by column: the model reads them as "unknown", not as a crash."""
    if unseen:
        log.warning(
            "%s: values training never saw, read as unknown: %s",
            source,
            ", ".join(f"{name!r} {count} row(s)" for name, count in unseen.items()),
        )


def evaluate(
    export_dir: Path,
    metrics_path: Path,
    model: Path | None = None,
    data: Path | None = None,
    ignore: Sequence[str] = (),
) -> dict[str, float]:
    """Score the model on its held-out rows, or on the labelled rows of ``data``; write ``metrics.json``.

    ``data``'s labels are matched to the model's own classes by their text, so a file lacking some classes
    still scores each row against its true class; a label the model has no class for is refused.
    """
    predictor = Predictor(model or latest_export(export_dir))
    source = predictor.metadata.get("source", {})
    if data is None:
        path = Path(source.get("path", ""))
        if not path.is_file():
            raise DataError(f"{path}: the training data is gone, so its held-out rows are too; pass --data FILE")
        if fingerprint(path) != source.get("fingerprint"):
            raise DataError(
                f"{path}: changed since training (its fingerprint differs), so which rows were held "
                "out is no longer known; train again, or pass --data FILE to score other rows"
            )
        held_out = predictor.metadata.get("splits", {}).get("test")
        if not isinstance(held_out, list):
            raise DataError(f"{predictor.path}: its metadata.json lists no held-out rows; pass --data FILE")
        table = read_table(path)
        if any(not isinstance(i, int) or not 0 <= i < len(table) for i in held_out):
            raise DataError(f"{path}: the saved held-out rows are not rows of this file; pass --data FILE")
        table = subset(table, held_out)
        what = "held-out rows"
    else:
        table = read_table(data)
        what = f"rows of {data}"
        if fingerprint(data) == source.get("fingerprint"):
            log.warning(
                "%s is the training data, so this score counts rows the model was trained on; "
                "`evaluate` without --data scores the held-out ones only",
                data,
            )
    rows, truth = labels_for(table, predictor.schema, predictor.classes)
    if len(rows) < len(table):
        log.warning(
            "%s: %d row(s) have no value in %r and are not scored",
            table.source,
            len(table) - len(rows),
            predictor.schema.target,
        )
    features = features_for(subset(table, rows), predictor.schema, ignore)
    unseen = predictor.unseen(features)
    report_unseen(predictor, unseen, table.source)
    outputs = predictor(features)
    if predictor.classes:
        metrics = classification_scores(truth, outputs["class_id"], len(predictor.classes))
        picked = outputs["probabilities"][np.arange(len(truth)), truth]
        metrics["loss"] = float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())
    else:
        metrics = regression_scores(truth, outputs["prediction"].astype(np.float64))
    metrics |= {
        "rows": len(rows),
        "rows_unlabelled": len(table) - len(rows),
        "values_coerced": sum(features.coerced.values()),
        "values_unseen": sum(unseen.values()),
    }
    write_metrics(metrics_path, metrics)
    shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k in ("accuracy", "f1_macro", "r2", "rmse", "mae"))
    log.info("%s on %d %s: %s", predictor.path, len(rows), what, shown)
    return metrics
