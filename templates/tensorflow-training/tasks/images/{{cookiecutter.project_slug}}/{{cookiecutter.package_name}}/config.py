"""Every setting of a training run in one place: defaults here, ``config.toml`` over them, flags over both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .runtime import DataError, read_toml

DEFAULT_CONFIG_FILE = Path("config.toml")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters and paths of one training run.

    ``data_dir`` of ``None`` trains on synthetic images (see :func:`data.synthetic_images`);
    point it at a folder with one sub-folder of images per class to train on your own data.
    """

    data_dir: Path | None = None
    artifacts_dir: Path = Path("artifacts")
    image_size: int = 16
    channels: int = 1
    num_examples: int = 1536  # synthetic data only
    validation_fraction: float = 0.15  # watched every epoch
    test_fraction: float = 0.15  # held out: scored once after training and by `evaluate`
    epochs: int = 5
    batch_size_per_replica: int = 64
    learning_rate: float = 3e-3
    shuffle_buffer: int = 4096
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
        """The settings that define a run (what ``--resume`` must continue unchanged), as JSON values."""
        settings = asdict(self)
        for name in ("artifacts_dir", "cpu_replicas"):  # where it is written and on what hardware: free to change
            settings.pop(name)
        settings["data_dir"] = None if self.data_dir is None else str(self.data_dir.resolve())
        return settings


# (type, check, what the check means) per setting; TOML and flags are validated alike.
_RULES: dict[str, tuple[type, Any, str]] = {
    "image_size": (int, lambda v: 8 <= v <= 1024, "between 8 and 1024"),
    "channels": (int, lambda v: v in (1, 3), "1 or 3"),
    "num_examples": (int, lambda v: v >= 30, "at least 30"),
    "validation_fraction": (float, lambda v: 0 < v < 0.5, "between 0 and 0.5"),
    "test_fraction": (float, lambda v: 0 < v < 0.5, "between 0 and 0.5"),
    "epochs": (int, lambda v: v >= 1, "at least 1"),
    "batch_size_per_replica": (int, lambda v: v >= 1, "at least 1"),
    "learning_rate": (float, lambda v: 0 < v < 10, "between 0 and 10"),
    "shuffle_buffer": (int, lambda v: v >= 1, "at least 1"),
    "cpu_replicas": (int, lambda v: v >= 1, "at least 1"),
    "seed": (int, lambda v: v >= 0, "0 or more"),
}
_PATHS = ("data_dir", "artifacts_dir")
# Command-line flags whose name is not the field's.
_FLAGS = {"data_dir": "--data", "batch_size_per_replica": "--batch-size"}


def flag(name: str) -> str:
    """The command-line flag that sets field ``name``."""
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _checked(name: str, value: Any, label: str) -> Any:
    """``value`` converted for field ``name``, or a :class:`DataError` that starts with ``label``."""
    if name in _PATHS:
        if not isinstance(value, (str, Path)) or not str(value):
            raise DataError(f"{label} must be a path, not {value!r}")
        return Path(value)
    kind, ok, meaning = _RULES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise DataError(f"{label} must be {'an integer' if kind is int else 'a number'}, not {value!r}")
    value = kind(value)
    if not ok(value):
        raise DataError(f"{label} must be {meaning}, not {value!r}")
    return value


def load_config(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the ``[train]`` table of ``path`` (``config.toml`` if it exists), then ``overrides``.

    ``overrides`` maps field names to values; ``None`` means "not given". Unknown keys, wrong types and
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
    return with_overrides(replace(TrainConfig(), **values), overrides or {})


def with_overrides(config: TrainConfig, overrides: Mapping[str, Any]) -> TrainConfig:
    """``config`` with the given (not ``None``) values of ``overrides``, each validated like the TOML file's."""
    values = {name: _checked(name, value, flag(name)) for name, value in overrides.items() if value is not None}
    return replace(config, **values)


def config_from_settings(settings: Mapping[str, Any], **changes: Any) -> TrainConfig:
    """A :class:`TrainConfig` from :meth:`TrainConfig.run_settings` saved beside a checkpoint."""
    known = {f.name for f in fields(TrainConfig)}
    values = {
        name: _checked(name, value, f"saved setting {name}")
        for name, value in settings.items()
        if value is not None and name in known
    }
    return replace(TrainConfig(), **values, **changes)
