"""Hyperparameters and paths, read from one TOML file (``config.toml`` at the project root)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path("config.toml")


@dataclass(frozen=True)
class DataConfig:
    """Where the examples come from and how they are split."""

    path: str = ""  # CSV file; empty means synthetic spirals
    label_column: str = "label"
    samples: int = 1500
    classes: int = 3
    noise: float = 0.2
    validation_split: float = 0.2
    seed: int = 42


@dataclass(frozen=True)
class ModelConfig:
    """The network's shape."""

    hidden_units: tuple[int, ...] = (64, 64)
    dropout: float = 0.1


@dataclass(frozen=True)
class TrainingConfig:
    """How ``model.fit`` runs and where it writes."""

    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 0.01
    patience: int = 6
    artifacts_dir: str = "artifacts"


@dataclass(frozen=True)
class ExperimentConfig:
    """The grid that the ``experiment`` command sweeps."""

    epochs: int = 20
    learning_rate: tuple[float, ...] = (0.003, 0.01, 0.03)
    hidden_units: tuple[tuple[int, ...], ...] = ((32,), (64, 64))


@dataclass(frozen=True)
class Config:
    """The whole configuration; each section is one table of config.toml."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)


def _tuples(value: Any) -> Any:
    """TOML arrays become tuples so that the frozen config stays hashable and immutable."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def _section(cls: type, table: dict[str, Any], name: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"unknown key(s) in [{name}]: {', '.join(unknown)} (allowed: {', '.join(sorted(known))})")
    return cls(**{key: _tuples(value) for key, value in table.items()})


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> Config:
    """Read ``path`` into a :class:`Config`; missing keys keep their defaults, unknown keys are errors.

    Relative ``data.path`` and ``training.artifacts_dir`` are resolved against the file's folder, so
    the commands behave the same from any working directory.
    """
    path = Path(path)
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    sections = [f.name for f in fields(Config)]
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ValueError(f"{path}: unknown table(s) {', '.join(unknown)} (allowed: {', '.join(sections)})")
    try:
        config = Config(
            data=_section(DataConfig, raw.get("data", {}), "data"),
            model=_section(ModelConfig, raw.get("model", {}), "model"),
            training=_section(TrainingConfig, raw.get("training", {}), "training"),
            experiment=_section(ExperimentConfig, raw.get("experiment", {}), "experiment"),
        )
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    base = path.resolve().parent
    data_path = config.data.path
    if data_path and not Path(data_path).is_absolute():
        data_path = str(base / data_path)
    artifacts_dir = config.training.artifacts_dir
    if not Path(artifacts_dir).is_absolute():
        artifacts_dir = str(base / artifacts_dir)
    return replace(
        config,
        data=replace(config.data, path=data_path),
        training=replace(config.training, artifacts_dir=artifacts_dir),
    )
