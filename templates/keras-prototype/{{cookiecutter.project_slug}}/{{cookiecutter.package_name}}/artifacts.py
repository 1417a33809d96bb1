"""What a training run reads and writes, without Keras: bad data and bad model cards are refused in a blink.

``prepare`` reads, checks and splits the data (or reloads an interrupted run's split) before anything
is written or Keras is imported, so a refused file costs no backend start-up and leaves no trace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config, config_from_dict
from .data import (
    Dataset,
    Table,
    load_training_table,
    split,
    subset_by_rows,
    training_dataset,
)
from .runtime import DataError

MODEL_FILE = "model.keras"
CHECKPOINT_FILE = "checkpoint.keras"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
TEST_FILE = "test.csv"
RUN_FILE = "run.json"
BACKUP_DIR = "backup"
SPLITS = ("train_rows", "validation_rows", "test_rows")
#: Keys that ``model.json`` (the model card beside ``model.keras``) must hold.
CARD_KEYS = ("features", "feature_types", "target", "classes", "dropped", "data", "split", "task")


@dataclass(frozen=True)
class Prepared:
    """A run's checked data and split; ``resume_epoch`` is the last finished epoch of an interrupted run."""

    config: Config
    table: Table
    digest: str
    dataset: Dataset
    train: Dataset
    validation: Dataset
    test: Dataset
    resume_epoch: int | None = None

    def split_rows(self) -> dict[str, list[int]]:
        parts = (self.train, self.validation, self.test)
        return {key: part.rows.tolist() for key, part in zip(SPLITS, parts, strict=True)}


def _resume_state(artifacts_dir: Path) -> tuple[dict[str, Any], int]:
    backup = artifacts_dir / BACKUP_DIR / "training_metadata.json"
    run_file = artifacts_dir / RUN_FILE
    if not backup.is_file() or not run_file.is_file():
        raise DataError(
            f"nothing to resume: {artifacts_dir / BACKUP_DIR} holds no interrupted run "
            "(a finished run leaves none); run `train` without --resume"
        )
    try:
        saved = json.loads(run_file.read_text(encoding="utf-8"))
        epoch = int(json.loads(backup.read_text(encoding="utf-8"))["epoch"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(
            f"{run_file}: the interrupted run's record is damaged ({error}); train without --resume"
        ) from None
    missing = [key for key in ("config", "fingerprint", "split") if not isinstance(saved, dict) or key not in saved]
    if missing:
        raise DataError(f"{run_file}: the interrupted run's record lacks {', '.join(missing)}; train without --resume")
    return saved, epoch


def prepare(config: Config, *, resume: bool = False) -> Prepared:
    """Read and check the data and split it; with ``resume``, the interrupted run's settings and split."""
    if not resume:
        table, digest = load_training_table(config.data)
        dataset = training_dataset(table, config.data.target, config.data.drop)
        parts = split(dataset, config.data.validation_split, config.data.test_split, config.data.seed)
        return Prepared(config, table, digest, dataset, *parts)
    artifacts_dir = Path(config.training.artifacts_dir)
    saved, epoch = _resume_state(artifacts_dir)
    config = config_from_dict(saved["config"], str(artifacts_dir / RUN_FILE))
    table, digest = load_training_table(config.data)
    if digest != saved["fingerprint"]:
        raise DataError(f"{table.source}: the data changed since the interrupted run; train without --resume")
    dataset = training_dataset(table, config.data.target, config.data.drop)
    parts = (subset_by_rows(dataset, saved["split"][key]) for key in SPLITS)
    return Prepared(config, table, digest, dataset, *parts, resume_epoch=epoch)


def card_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def read_card(model_path: str | Path) -> dict[str, Any]:
    """The card saved beside ``model_path`` by ``train``; a missing model or a damaged card is one line."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise DataError(f"{model_path}: no saved model; run `train` first or pass --model")
    card_file = card_path(model_path)
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{card_file}: the model card is missing; train again to write it") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{card_file}: not a readable model card ({error})") from None
    if not isinstance(card, dict) or any(key not in card for key in CARD_KEYS):
        raise DataError(f"{card_file}: not a model card of this project (needs {', '.join(CARD_KEYS)})")
    return card
