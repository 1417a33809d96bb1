"""Use a saved model: score it (by default on the run's held-out test rows) or write predictions for a table.

Both look columns up by name through the schema saved with the model and refuse a table whose columns differ;
labels are mapped through the model's own ``class_names``, never through whatever classes a file happens to hold.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from . import checkpoint
from .config import TrainConfig
from .data import Schema, Table, read_table
from .device import autocast_dtype, select_device
from .model import ResidualClassifier
from .runtime import DataError, refuse_overwrite, write_metrics
from .train import load_table, score

log = logging.getLogger(__package__)


def load_model(path: str | Path) -> tuple[dict[str, Any], ResidualClassifier, Schema, TrainConfig]:
    """The checkpoint at ``path`` as (state, model with its weights, schema, training config)."""
    state = checkpoint.load(path)
    try:
        cfg = TrainConfig(**state["config"])
        schema = Schema.from_dict(state["schema"])
        model = ResidualClassifier(schema.num_features, schema.num_classes, cfg.width, cfg.depth, cfg.dropout)
        model.load_state_dict(state["model"])
    except (TypeError, KeyError, RuntimeError) as e:
        raise DataError(f"{path}: the checkpoint does not fit this project's model ({type(e).__name__})") from None
    return state, model.eval(), schema, cfg


def evaluate_model(
    path: str | Path = "artifacts/best.pt",
    data: str | None = None,
    device: str = "auto",
    metrics_path: str | Path | None = None,
) -> dict[str, float]:
    """Loss and accuracy of the model at ``path``; writes them to ``metrics.json`` beside the model.

    Without ``data``: the training run's held-out test rows (the data must be unchanged since training).
    With ``data``: every row of that file, labels mapped through the model's classes.
    """
    state, model, schema, cfg = load_model(path)
    if data is None:
        table = load_table(cfg)
        if table.fingerprint != state["data_fingerprint"]:
            raise DataError(
                f"{table.source}: changed since training, so its held-out rows are unknown; "
                "pass the rows to score with --data"
            )
        rows: tuple[int, ...] | None = tuple(state["split"]["test"])
    else:
        table = read_table(data)
        rows = None
        if table.fingerprint == state["data_fingerprint"]:
            log.warning(
                "%s is the training data: most of its rows were trained on; `evaluate` without --data "
                "scores only the held-out test rows",
                data,
            )
    schema.check_columns(table, need_target=True)
    dataset = TensorDataset(schema.features_of(table, rows, warn=data is not None), schema.labels_of(table, rows))
    dev = select_device(device)
    loss, accuracy = score(model.to(dev), DataLoader(dataset, 1024), dev, autocast_dtype(dev, cfg.amp))
    metrics = {"accuracy": accuracy, "loss": loss, "rows": float(len(dataset))}
    write_metrics(metrics_path or Path(path).parent / "metrics.json", metrics)
    log.info(
        "%s on %s: accuracy %.4f, loss %.4f over %d rows",
        path,
        "the held-out test rows" if data is None else data,
        accuracy,
        loss,
        len(dataset),
    )
    return metrics


def _writable(output: Path) -> None:
    folder = output.parent
    if not folder.is_dir():
        raise DataError(f"{output}: cannot write there: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise DataError(f"{output}: cannot write there: {folder} is not writable")


@torch.no_grad()
def predict_file(path: str | Path, data: str, output: str | Path | None = None, device: str = "auto") -> Path:
    """Write ``output`` (default: predictions.csv beside the model): the input's columns, ``prediction``
    holding the data's own label values, and one ``probability_<class>`` column per class."""
    state, model, schema, cfg = load_model(path)
    output = Path(output) if output else Path(path).parent / "predictions.csv"
    refuse_overwrite(output, data, state["config"].get("data"))
    _writable(output)
    table = read_table(data)
    schema.check_columns(table, need_target=False)
    x = schema.features_of(table, warn=True)
    dev = select_device(device)
    model.to(dev)
    amp_dtype = autocast_dtype(dev, cfg.amp)
    probabilities = []
    for (xb,) in DataLoader(TensorDataset(x), 1024):
        with torch.autocast(dev.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            logits = model(xb.to(dev))
        probabilities.append(torch.softmax(logits.float(), dim=1).cpu())
    probs = torch.cat(probabilities)
    _write_csv(output, table, schema, probs)
    log.info("wrote %d predictions to %s", table.num_rows, output)
    return output


def _write_csv(output: Path, table: Table, schema: Schema, probs: torch.Tensor) -> None:
    """Atomically: a failure half-way leaves no partial file behind."""
    header = [*table.columns, "prediction", *(f"probability_{name}" for name in schema.class_names)]
    best = probs.argmax(1).tolist()
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            cells = list(table.columns.values())
            for i in range(table.num_rows):
                raw = ["" if col[i] is None else col[i] for col in cells]
                writer.writerow([*raw, schema.class_names[best[i]], *(f"{p:.6f}" for p in probs[i].tolist())])
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
