"""Use a saved model: score it (by default on the run's held-out test rows) or write predictions for a table.

Both look columns up by name through the schema saved with the model and refuse a table whose columns differ
(``--drop`` names columns to pass through: ids, copied into predict's output); labels are mapped through the
model's own ``class_names``, never through whatever classes a file happens to hold. A category the model never
saw in training is encoded as unknown and counted, by column, in the log.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from . import checkpoint
from .config import TrainConfig
from .data import Schema, Table, read_table
from .device import autocast_dtype, select_device
from .metrics import to_original_scale
from .model import TabularNet, build_model
from .runtime import DataError, refuse_overwrite, write_metrics
from .train import load_table, predict_outputs, score

log = logging.getLogger(__package__)


def load_model(path: str | Path) -> tuple[dict[str, Any], TabularNet, Schema, TrainConfig]:
    """The checkpoint at ``path`` as (state, model with its weights, schema, training config)."""
    state = checkpoint.load(path)
    try:
        cfg = TrainConfig(**state["config"])
        schema = Schema.from_dict(state["schema"])
        model = build_model(schema, cfg.width, cfg.depth, cfg.dropout)
        model.load_state_dict(state["model"])
    except (TypeError, KeyError, RuntimeError) as e:
        raise DataError(f"{path}: the checkpoint does not fit this project's model ({type(e).__name__})") from None
    return state, model.eval(), schema, cfg


def evaluate_model(
    path: str | Path = "artifacts/best.pt",
    data: str | None = None,
    device: str = "auto",
    metrics_path: str | Path | None = None,
    drop: Sequence[str] = (),
) -> dict[str, float]:
    """The task's metrics and the loss of the model at ``path``; writes them to ``metrics.json`` beside it.

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
    schema.check_columns(table, need_target=True, passthrough=drop)
    encoded = schema.encode(table, rows, warn=data is not None)
    dataset = TensorDataset(encoded.numeric, encoded.categories, schema.targets_of(table, rows))
    dev = select_device(device)
    loss, scores = score(model.to(dev), DataLoader(dataset, 1024), dev, autocast_dtype(dev, cfg.amp), schema)
    metrics = {**scores, "loss": loss, "rows": float(len(dataset))}
    if encoded.unseen:
        metrics["unseen_categories"] = float(sum(encoded.unseen.values()))
    write_metrics(metrics_path or Path(path).parent / "metrics.json", metrics)
    log.info(
        "%s on %s (%d rows): %s",
        path,
        "the held-out test rows" if data is None else data,
        len(dataset),
        ", ".join(f"{name} {value:.4f}" for name, value in {**scores, "loss": loss}.items()),
    )
    return metrics


def _writable(output: Path) -> None:
    folder = output.parent
    if not folder.is_dir():
        raise DataError(f"{output}: cannot write there: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise DataError(f"{output}: cannot write there: {folder} is not writable")


@torch.no_grad()
def predict_file(
    path: str | Path,
    data: str,
    output: str | Path | None = None,
    device: str = "auto",
    drop: Sequence[str] = (),
) -> Path:
    """Write ``output`` (default: predictions.csv beside the model): every input column (``--drop`` ones
    included) and ``prediction``: the data's own label values and one ``probability_<class>`` column per
    class for a classifier, the predicted number for regression."""
    state, model, schema, cfg = load_model(path)
    output = Path(output) if output else Path(path).parent / "predictions.csv"
    refuse_overwrite(output, data, state["config"].get("data"))
    _writable(output)
    table = read_table(data)
    schema.check_columns(table, need_target=False, passthrough=drop)
    new_columns = ["prediction", *(f"probability_{name}" for name in schema.class_names)]
    clash = [c for c in new_columns if c in table.columns]
    if clash:
        raise DataError(f"{table.source}: already has column(s) {', '.join(clash)}; predictions would replace them")
    encoded = schema.encode(table, warn=True)
    dev = select_device(device)
    outputs = predict_outputs(
        model.to(dev),
        DataLoader(TensorDataset(encoded.numeric, encoded.categories), 1024),
        dev,
        autocast_dtype(dev, cfg.amp),
    )
    if schema.task == "regression":
        values = to_original_scale(schema, outputs).tolist()
        rows = [[f"{v:.6g}"] for v in values]
        summary = f"mean {sum(values) / max(len(values), 1):.4g}"
    else:
        probs = torch.softmax(outputs, dim=1)
        best = probs.argmax(1).tolist()
        rows = [[schema.class_names[b], *(f"{p:.6f}" for p in ps)] for b, ps in zip(best, probs.tolist(), strict=True)]
        counts = {name: best.count(k) for k, name in enumerate(schema.class_names)}
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
    _write_csv(output, table, new_columns, rows)
    log.info("wrote %d predictions to %s (%s)", table.num_rows, output, summary)
    return output


def _write_csv(output: Path, table: Table, new_columns: list[str], new_cells: list[list[str]]) -> None:
    """Atomically: a failure half-way leaves no partial file behind."""
    header = [*table.columns, *new_columns]
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            cells = list(table.columns.values())
            for i in range(table.num_rows):
                raw = ["" if col[i] is None else col[i] for col in cells]
                writer.writerow([*raw, *new_cells[i]])
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
