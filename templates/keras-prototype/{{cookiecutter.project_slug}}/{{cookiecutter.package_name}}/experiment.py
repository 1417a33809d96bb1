"""A small hyperparameter sweep: every combination of the ``[experiment]`` grid, side by side.

The sweep ranks on the validation rows and never sees the test rows of the same split, so the test
score that ``train`` reports for the winning settings is not flattered by the search.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from .config import REGRESSION, Config
from .data import load_training_table, split, training_dataset, write_table
from .train import fit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trial:
    """One point of the grid and how it scored on the validation split."""

    learning_rate: float
    hidden_units: tuple[int, ...]
    epochs_run: int
    val_loss: float
    val_score: float  # val_r2 for a regressor, val_accuracy for a classifier
    seconds: float


#: What ``val_score`` is, as named in the table and the CSV.
SCORE = "val_r2" if REGRESSION else "val_accuracy"


def run_sweep(config: Config) -> list[Trial]:
    """Train one model per (learning_rate, hidden_units) pair on the training rows; best validation loss first."""
    table, _ = load_training_table(config.data)
    dataset = training_dataset(table, config.data.target, config.data.drop)
    # The same three-way split as `train`: the test rows are left out here entirely.
    train_set, validation_set, _test = split(
        dataset, config.data.validation_split, config.data.test_split, config.data.seed
    )
    trials = []
    grid = list(itertools.product(config.experiment.learning_rate, config.experiment.hidden_units))
    for number, (learning_rate, hidden_units) in enumerate(grid, start=1):
        result = fit(
            config,
            train_set,
            validation_set,
            hidden_units=hidden_units,
            learning_rate=learning_rate,
            epochs=config.experiment.epochs,
            log_level=logging.DEBUG,
        )
        score = result.validation["r2" if REGRESSION else "accuracy"]
        log.info(
            "trial %d/%d learning_rate=%g hidden_units=%s val_loss=%.4f %s=%.4f",
            number,
            len(grid),
            learning_rate,
            list(hidden_units),
            result.val_loss,
            SCORE,
            score,
        )
        trials.append(
            Trial(
                learning_rate=learning_rate,
                hidden_units=tuple(hidden_units),
                epochs_run=result.epochs_run,
                val_loss=result.val_loss,
                val_score=score,
                seconds=result.seconds,
            )
        )
    return sorted(trials, key=lambda trial: trial.val_loss)


def format_table(trials: list[Trial]) -> str:
    """A plain-text table, one row per trial, in the order given."""
    header = ("rank", "learning_rate", "hidden_units", "epochs", "val_loss", SCORE, "seconds")
    rows = [
        (
            str(rank),
            f"{t.learning_rate:g}",
            "x".join(map(str, t.hidden_units)),
            str(t.epochs_run),
            f"{t.val_loss:.4f}",
            f"{t.val_score:.4f}",
            f"{t.seconds:.1f}",
        )
        for rank, t in enumerate(trials, start=1)
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in (header, *rows)]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_trials(trials: list[Trial], path: str | Path) -> Path:
    """Save the sweep as CSV, for plotting or comparing with a later sweep."""
    rows = []
    for trial in trials:
        values = astuple(trial)
        rows.append([*values[:1], "x".join(map(str, trial.hidden_units)), *values[2:]])
    names = [SCORE if f.name == "val_score" else f.name for f in fields(Trial)]
    return write_table(path, names, rows)
