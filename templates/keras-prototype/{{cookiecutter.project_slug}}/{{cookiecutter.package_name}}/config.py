"""Hyperparameters and paths: one TOML file (``config.toml`` at the project root) plus command-line overrides."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from . import TASK
from .runtime import DataError, read_toml

DEFAULT_CONFIG_PATH = Path("config.toml")
#: True in a regression project (numbers to predict), False in a classification project.
REGRESSION = TASK == "tabular-regression"
CLASS_WEIGHTS = ("balanced", "none")


@dataclass(frozen=True)
class DataConfig:
    """Where the examples come from and how they are split."""

    # CSV or Parquet file; empty (classification only) means synthetic spirals
    path: str = "data/used_cars.csv" if REGRESSION else ""
    target: str = "price" if REGRESSION else "label"
    drop: tuple[str, ...] = ()
    samples: int = 1500
    classes: int = 3
    noise: float = 0.2
    validation_split: float = 0.2
    test_split: float = 0.2
    seed: int = 42


@dataclass(frozen=True)
class ModelConfig:
    """The network's shape."""

    hidden_units: tuple[int, ...] = (64, 64)
    dropout: float = 0.1


@dataclass(frozen=True)
class TrainingConfig:
    """How ``model.fit`` runs and where it writes."""

    epochs: int = 200
    batch_size: int = 32
    learning_rate: float = 0.01
    patience: int = 10
    class_weight: str = "balanced"
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples become lists), the inverse of :func:`config_from_dict`."""
        return asdict(self)


_SECTIONS = {"data": DataConfig, "model": ModelConfig, "training": TrainingConfig, "experiment": ExperimentConfig}
_KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _typed(where: str, value: Any, default: Any) -> Any:
    """``value`` checked against the type of ``default`` (arrays element by element), as a frozen value."""
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise DataError(f"{where} must be an array, got {value!r}")
        # An empty default (`drop`) holds column names.
        element = default[0] if default else ""
        return tuple(_typed(f"{where}[{i}]", item, element) for i, item in enumerate(value))
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not kind:
        raise DataError(f"{where} must be {_KINDS[kind]}, got {value!r}")
    return value


def _section(name: str, table: Any, origin: str) -> Any:
    cls = _SECTIONS[name]
    if not isinstance(table, dict):
        raise DataError(f"{origin}: [{name}] must be a table")
    defaults = cls()
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise DataError(f"{origin}: unknown key(s) in [{name}]: {', '.join(unknown)} (allowed: {', '.join(known)})")
    values = {key: _typed(f"{origin}: [{name}] {key}", value, getattr(defaults, key)) for key, value in table.items()}
    return cls(**values)


def config_from_dict(raw: dict[str, Any], origin: str) -> Config:
    """A validated :class:`Config` from TOML tables (or a saved run's ``to_dict()``); errors name the key."""
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise DataError(f"{origin}: unknown table(s) {', '.join(unknown)} (allowed: {', '.join(_SECTIONS)})")
    config = Config(**{name: _section(name, raw.get(name, {}), origin) for name in _SECTIONS})
    validate(config, origin)
    return config


def validate(config: Config, origin: str = "config") -> None:
    """Refuse values that would fail deep inside Keras or split the data nonsensically."""
    data, model, training, experiment = config.data, config.model, config.training, config.experiment
    problems = []
    for name, value in (("validation_split", data.validation_split), ("test_split", data.test_split)):
        if not 0.0 < value < 1.0:
            problems.append(f"[data] {name} must be between 0 and 1, got {value}")
    if data.validation_split + data.test_split >= 1.0:
        problems.append("[data] validation_split + test_split must leave rows for training")
    if training.class_weight not in CLASS_WEIGHTS:
        problems.append(
            f"[training] class_weight must be one of {', '.join(CLASS_WEIGHTS)}, got {training.class_weight!r}"
        )
    if not data.target:
        problems.append("[data] target must name the label column")
    if data.classes < 2 or data.samples < 10 * data.classes:
        problems.append("[data] synthetic data needs classes >= 2 and samples >= 10 per class")
    if not 0.0 <= model.dropout < 1.0:
        problems.append(f"[model] dropout must be in [0, 1), got {model.dropout}")
    for units in (model.hidden_units, *experiment.hidden_units):
        if not units or min(units) < 1:
            problems.append(f"hidden_units must be non-empty lists of positive integers, got {list(units)}")
    if min(training.epochs, training.batch_size, experiment.epochs) < 1 or training.patience < 0:
        problems.append("[training] epochs and batch_size, and [experiment] epochs, must be >= 1; patience >= 0")
    if min((training.learning_rate, *experiment.learning_rate)) <= 0.0 or not experiment.learning_rate:
        problems.append("learning rates must be positive, and [experiment] learning_rate non-empty")
    if problems:
        raise DataError(f"{origin}: {'; '.join(problems)}")


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> Config:
    """Read ``path`` into a :class:`Config`; missing keys keep their defaults, unknown or mistyped keys are errors.

    Relative ``data.path`` and ``training.artifacts_dir`` are resolved against the file's folder, so
    the commands behave the same from any working directory.
    """
    path = Path(path)
    config = config_from_dict(read_toml(path), str(path))
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


def override(config: Config, **changes: Any) -> Config:
    """``config`` with command-line values (``None`` means "not given") put into their sections."""
    sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    for key, value in changes.items():
        if value is None:
            continue
        section = next(name for name, cls in _SECTIONS.items() if key in {f.name for f in fields(cls)})
        sections[section][key] = value
    updated = Config(**{name: replace(getattr(config, name), **sections[name]) for name in _SECTIONS})
    validate(updated, "command line")
    return updated
