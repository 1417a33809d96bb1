"""Predict for new rows with the saved model: every input row, in order, with its prediction."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pandas as pd

from . import artifacts
from .config import Config
from .data import Schema, features_for, read_table
from .runtime import DataError, refuse_overwrite

log = logging.getLogger(__package__)


def predict(config: Config, data_path: str | Path, output_path: str | Path, ignore: tuple[str, ...] = ()) -> Path:
    """Write ``output_path``: the input's columns plus ``prediction`` (the labels as the training data wrote
    them) and, for a classifier, one ``proba_<class>`` column per class. Returns the output's path."""
    model, metadata = artifacts.load(config.output_dir)
    data_path = Path(data_path)
    output = refuse_overwrite(
        output_path,
        data_path,
        metadata["data"]["path"],
        config.data_path,
        config.model_path,
        config.metadata_path,
        config.metrics_path,
    )
    if output.suffix.lower() != ".csv":
        raise DataError(f"{output}: predictions are written as CSV; give --output a .csv name")
    artifacts.ensure_writable(output.parent, "predictions")
    schema = Schema.from_json(metadata["schema"])
    frame = read_table(data_path)
    prepared = features_for(frame, schema, data_path, ignore)
    classes = metadata["classes"]
    new_columns = ["prediction", *(f"proba_{c}" for c in classes)]
    clash = [c for c in new_columns if c in frame.columns]
    if clash:
        raise DataError(
            f"{data_path}: already has column(s) {', '.join(map(repr, clash))}; predictions would replace them"
        )
    out = frame.copy()
    out["prediction"] = model.predict(prepared.features)
    if classes:
        probabilities = model.predict_proba(prepared.features)
        for i, label in enumerate(classes):
            out[f"proba_{label}"] = probabilities[:, i].round(4)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            out.to_csv(f, index=False)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    counts = pd.Series(out["prediction"]).value_counts().to_dict()
    log.info(
        "wrote %d predictions to %s (%s)",
        len(out),
        output,
        ", ".join(f"{k}: {v}" for k, v in counts.items()) if classes else f"mean {out['prediction'].mean():.4g}",
    )
    return output
