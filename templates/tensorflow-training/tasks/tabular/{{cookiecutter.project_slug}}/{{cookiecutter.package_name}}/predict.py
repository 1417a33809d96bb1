"""Predict for new rows with an exported model: every input row, in order, with its prediction."""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .data import features_for, read_table
from .evaluate import report_unseen
from .export import Predictor
from .runs import latest_export
from .runtime import DataError, refuse_overwrite

log = logging.getLogger(__package__)


def predict(data: Path, output: Path, export_dir: Path, model: Path | None = None, ignore: Sequence[str] = ()) -> Path:
    """Write ``output``: the input's columns, ``prediction`` (the labels as the training data wrote them, or
    a number) and, for a classifier, one ``proba_<class>`` column per class. Returns the output's path.

    ``ignore`` (``--drop``) names columns that are not features (ids): copied to the output, not used.
    """
    predictor = Predictor(model or latest_export(export_dir))
    refuse_overwrite(output, data, predictor.metadata.get("source", {}).get("path"))
    if output.suffix.lower() != ".csv":
        raise DataError(f"{output}: predictions are written as CSV; give --output a .csv name")
    table = read_table(data)
    features = features_for(table, predictor.schema, ignore)
    new_columns = ["prediction", *(f"proba_{c}" for c in predictor.classes)]
    clash = [c for c in new_columns if c in table.columns]
    if clash:
        raise DataError(f"{data}: already has column(s) {', '.join(map(repr, clash))}; predictions would replace them")
    report_unseen(predictor, predictor.unseen(features), table.source)
    outputs = predictor(features)
    if predictor.classes:
        predicted = [predictor.classes[int(k)] for k in outputs["class_id"]]
        extra = [
            [label, *(f"{p:.6f}" for p in row)] for label, row in zip(predicted, outputs["probabilities"], strict=True)
        ]
    else:
        predicted = [f"{value:.6g}" for value in outputs["prediction"]]
        extra = [[value] for value in predicted]
    tmp = None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: an interrupted run leaves no half file.
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([*table.header, *new_columns])
            for i, row_extra in enumerate(extra):
                writer.writerow(
                    [*("" if table.columns[c][i] is None else table.columns[c][i] for c in table.header), *row_extra]
                )
        os.replace(tmp, output)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise DataError(f"{output}: cannot write the predictions ({e.strerror or e})") from None
    if predictor.classes:
        summary = ", ".join(f"{k}: {v}" for k, v in Counter(predicted).most_common())
    else:
        summary = f"mean {float(outputs['prediction'].mean()):.4g}"
    log.info("wrote %d predictions to %s (%s)", len(extra), output, summary)
    return output
