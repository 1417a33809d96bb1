"""Settings of a training run: defaults, then ``config.toml`` (its ``[train]`` table), then command-line flags.

``--resume`` continues the run saved in the checkpoint with that run's own settings (split, seed, learning
rate, ...). Only what cannot change the experiment may differ (:data:`RESUME_MAY_CHANGE`); any other flag
that disagrees with the saved run is refused, so a resumed run never quietly becomes a different one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .runtime import DataError, read_toml

# What this project was generated for: it decides what `train` fits (a saved model carries its own task).
TASK = {{ cookiecutter.task | tojson }}
REGRESSION = TASK == "tabular-regression"
DEVICES = ("auto", "cpu", "cuda", "mps")
AMP = ("auto", "on", "off")
CLASS_WEIGHTS = ("balanced", "none")
DEFAULT_CONFIG = Path("config.toml")
# More epochs extend the schedule; where and how fast it runs does not change what is learned.
RESUME_MAY_CHANGE = frozenset({"epochs", "device", "threads", "compile", "out_dir"})


@dataclass
class TrainConfig:
    """Every knob of a run; saved in each checkpoint so a resumed run continues the same experiment."""

    # A CSV or Parquet file; None = the synthetic spirals (classification) or the bundled table (regression).
    data: str | None = "data/houses.csv" if REGRESSION else None
    target: str = "price" if REGRESSION else "label"
    ignore: list[str] = field(default_factory=list)  # --drop: columns that are neither features nor the target
    out_dir: str = "artifacts"
    epochs: int = 200  # the most epochs; early stopping (patience) usually ends the run sooner
    batch_size: int = 128  # the most rows per step: small tables take smaller batches, >= 8 steps an epoch
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 64
    depth: int = 3
    dropout: float = 0.0
    max_grad_norm: float = 1.0
    val_fraction: float = 0.2  # of the rows left after the test split: checkpoint choice and early stopping
    test_fraction: float = 0.2  # held out for `evaluate`, never seen by training or model choice
    patience: int = 15  # stop after this many epochs without a better validation loss; 0 = never
    seed: int = 0
    device: str = "auto"
    threads: int = 1  # CPU threads per process; 0 = torch's default (one per core)
    amp: str = "auto"  # auto | on | off
    compile: bool = False
    class_weight: str = "balanced"  # classification: weigh each class's loss by 1/its share ("none": equal)

    def validate(self) -> TrainConfig:
        """Refuse values no run can use, naming the setting."""
        checks = [
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.lr > 0, "lr must be positive"),
            (self.weight_decay >= 0, "weight_decay must be >= 0"),
            (self.width >= 1 and self.depth >= 0, "width must be >= 1 and depth >= 0"),
            (0 <= self.dropout < 1, "dropout must be in [0, 1)"),
            (self.max_grad_norm > 0, "max_grad_norm must be positive"),
            (0 < self.val_fraction < 1, "val_fraction must be between 0 and 1"),
            (0 < self.test_fraction < 1, "test_fraction must be between 0 and 1"),
            (self.patience >= 0, "patience must be >= 0"),
            (self.threads >= 0, "threads must be >= 0"),
            (self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}"),
            (self.amp in AMP, f"amp must be one of {', '.join(AMP)}"),
            (self.class_weight in CLASS_WEIGHTS, f"class_weight must be one of {', '.join(CLASS_WEIGHTS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise DataError(f"invalid setting: {message}")
        return self


def _typed(name: str, value: Any, where: str) -> Any:
    """``value`` checked against the type of ``TrainConfig.name`` (TOML gives ints for floats, which is fine)."""
    kind = {f.name: f.type for f in fields(TrainConfig)}[name]
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
        "str | None": value is None or isinstance(value, str),
        "list[str]": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[str(kind)]
    if not ok:
        raise DataError(f"{where}: {name} = {value!r}: expected {kind}")
    return float(value) if kind == "float" else value


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The ``[train]`` table of a TOML file, every key known and typed."""
    doc = read_toml(path)
    table = doc.get("train", {})
    if not isinstance(table, dict):
        raise DataError(f"{path}: [train] must be a table")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise DataError(
            f"{path}: unknown settings in [train]: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return {k: _typed(k, v, str(path)) for k, v in table.items()}


def build(flags: dict[str, Any], config: str | None) -> TrainConfig:
    """Defaults, then the TOML file (``config``, else ./config.toml when present), then the flags given."""
    path = Path(config) if config else DEFAULT_CONFIG
    from_file = read_config_file(path) if config or path.is_file() else {}
    return TrainConfig(**{**asdict(TrainConfig()), **from_file, **flags}).validate()


def for_resume(saved: dict[str, Any], flags: dict[str, Any], config: str | None) -> TrainConfig:
    """The saved run's settings, changed only where allowed; a flag that conflicts is one line, exit 2.

    ./config.toml is not read here: the checkpoint holds the settings the run started with. A ``--config``
    named on the command line counts as flags.
    """
    given = {**(read_config_file(config) if config else {}), **flags}
    merged = {**asdict(TrainConfig()), **saved}
    conflicts = []
    for name, value in given.items():
        same = value == merged[name]
        if name == "data" and value is not None and merged[name] is not None:
            same = Path(value).resolve() == Path(merged[name]).resolve()
        if not same and name not in RESUME_MAY_CHANGE:
            conflicts.append(f"{name} {value!r} (saved: {merged[name]!r})")
    if conflicts:
        raise DataError(
            f"--resume continues the saved run; these settings conflict with it: {', '.join(conflicts)}; "
            "drop them, or start a new run with another --out-dir"
        )
    merged.update({k: v for k, v in given.items() if k in RESUME_MAY_CHANGE})
    return TrainConfig(**merged).validate()
