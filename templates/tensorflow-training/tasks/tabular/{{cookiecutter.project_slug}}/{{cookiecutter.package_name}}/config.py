"""Every setting of a training run in one place: defaults here, ``config.toml`` over them, flags over both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .runtime import DataError, read_toml

DEFAULT_CONFIG_FILE = Path("config.toml")
# What this project predicts; fixed when it was generated (`scaffold new ... --task tabular-regression`).
TASK = {{ cookiecutter.task | tojson }}
REGRESSION = TASK == "tabular-regression"


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters and paths of one training run.

    ``data`` is a CSV or Parquet file and ``target`` the column to predict; ``drop`` names columns that
    are not features (ids, leaks): left out of training, passed through by ``predict``.
    """

    data: Path | None = None
    target: str = ""
    drop: tuple[str, ...] = ()
    artifacts_dir: Path = Path("artifacts")
    validation_fraction: float = 0.15  # watched every epoch: early stopping and the best weights
    test_fraction: float = 0.2  # held out: scored once after training and by `evaluate`
    epochs: int = 200  # at most; training stops earlier once validation stops improving
    patience: int = 15  # epochs without a better validation loss before it stops
    batch_size_per_replica: int = 32
    learning_rate: float = 3e-3
    hidden_units: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    max_categories: int = 50  # per column; rarer values share the "unknown" slot
    cpu_replicas: int = 1
    seed: int = 7

    @property
    def checkpoint_dir(self) -> Path:
        return self.artifacts_dir / "checkpoints"

    @property
    def log_dir(self) -> Path:
        return self.artifacts_dir / "logs"

    @property
    def export_dir(self) -> Path:
        return self.artifacts_dir / "export"

    @property
    def metrics_path(self) -> Path:
        return self.artifacts_dir / "metrics.json"

    def run_settings(self) -> dict[str, Any]:
        """The settings of the run as JSON values (saved with the model)."""
        settings = asdict(self)
        settings["data"] = None if self.data is None else str(self.data.resolve())
        settings["artifacts_dir"] = str(self.artifacts_dir)
        settings["drop"] = list(self.drop)
        settings["hidden_units"] = list(self.hidden_units)
        return settings


def _fraction(v: float) -> bool:
    return 0 < v < 0.5


# (type, check, what the check means) per setting; TOML and flags are validated alike.
_RULES: dict[str, tuple[type, Any, str]] = {
    "validation_fraction": (float, _fraction, "between 0 and 0.5"),
    "test_fraction": (float, _fraction, "between 0 and 0.5"),
    "epochs": (int, lambda v: v >= 1, "at least 1"),
    "patience": (int, lambda v: v >= 1, "at least 1"),
    "batch_size_per_replica": (int, lambda v: v >= 1, "at least 1"),
    "learning_rate": (float, lambda v: 0 < v < 10, "between 0 and 10"),
    "dropout": (float, lambda v: 0 <= v < 1, "at least 0 and below 1"),
    "max_categories": (int, lambda v: v >= 1, "at least 1"),
    "cpu_replicas": (int, lambda v: v >= 1, "at least 1"),
    "seed": (int, lambda v: v >= 0, "0 or more"),
}
_PATHS = ("data", "artifacts_dir")
# Command-line flags whose name is not the field's.
_FLAGS = {"batch_size_per_replica": "--batch-size"}


def flag(name: str) -> str:
    """The command-line flag that sets field ``name``."""
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _names(label: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise DataError(f"{label} must be a list of column names, not {value!r}")
    return tuple(value)


def _checked(name: str, value: Any, label: str) -> Any:
    """``value`` converted for field ``name``, or a :class:`DataError` that starts with ``label``."""
    if name in _PATHS:
        if not isinstance(value, (str, Path)) or not str(value):
            raise DataError(f"{label} must be a path, not {value!r}")
        return Path(value)
    if name == "target":
        if not isinstance(value, str) or not value:
            raise DataError(f"{label} must be a column name, not {value!r}")
        return value
    if name == "drop":
        return _names(label, value)
    if name == "hidden_units":
        if (
            not isinstance(value, (list, tuple))
            or not value
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
        ):
            raise DataError(f"{label} must be a list of layer widths (positive integers), not {value!r}")
        return tuple(value)
    kind, ok, meaning = _RULES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise DataError(f"{label} must be {'an integer' if kind is int else 'a number'}, not {value!r}")
    value = kind(value)
    if not ok(value):
        raise DataError(f"{label} must be {meaning}, not {value!r}")
    return value


def load_config(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the ``[train]`` table of ``path`` (``config.toml`` if it exists), then ``overrides``.

    ``overrides`` maps field names to values; ``None`` means "not given". A ``data`` override drops the
    file's ``drop`` list (it names columns of the file's own table). Unknown keys, wrong types and
    out-of-range values are a :class:`DataError` naming the key.
    """
    known = {f.name for f in fields(TrainConfig)}
    values: dict[str, Any] = {}
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        document = read_toml(path)
        table = document.get("train", {})
        unexpected = sorted(set(document) - {"train"}) + sorted(set(table) - known if isinstance(table, dict) else [])
        if not isinstance(table, dict) or unexpected:
            raise DataError(f"{path}: unknown settings {unexpected or ['train']}; allowed in [train]: {sorted(known)}")
        values.update({name: _checked(name, value, f"{path}: [train] {name}") for name, value in table.items()})
    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    if "data" in given:
        values.pop("drop", None)
    checked = {name: _checked(name, value, flag(name)) for name, value in given.items()}
    return replace(TrainConfig(), **{**values, **checked})
