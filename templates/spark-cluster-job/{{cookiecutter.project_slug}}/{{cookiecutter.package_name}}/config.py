"""The job's settings (``conf/job.toml`` plus command-line overrides) and where its data may live.

Spark's own settings per cluster stay in ``conf/<cluster>.conf`` (``spark-defaults.conf`` form), because
the same file is handed to ``spark-submit --properties-file``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .runtime import DataError, read_toml

DEFAULT_CONFIG = Path("conf") / "job.toml"
FORMATS = ("auto", "csv", "parquet", "table")
TASKS = ("auto", "classification", "regression")
# The names scaffold-ml gives the tasks (`scaffold new --task tabular-regression`), accepted as aliases.
TASK_ALIASES = {"tabular-classification": "classification", "tabular-regression": "regression"}
CLASS_WEIGHTS = ("balanced", "none")
TUNERS = ("cross-validator", "train-validation-split")
CLUSTERS = ("local", "standalone", "yarn", "kubernetes")
JOBS = ("train", "evaluate", "predict")

# section -> key -> (type, default); the type is also what the TOML value must be.
SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "data": {
        "path": ("str", "data/customers.csv"),
        "format": ("str", "auto"),
        "table": ("str", ""),
        "target": ("str", "churned"),
        "task": ("str", "auto"),
        "exclude": ("list[str]", []),
        "categorical": ("list[str]", []),
        "numeric": ("list[str]", []),
        "test_fraction": ("float", 0.2),
        "seed": ("int", 42),
    },
    "tuning": {
        "tuner": ("str", "train-validation-split"),
        "folds": ("int", 3),
        "train_ratio": ("float", 0.8),
        "reg_params": ("list[float]", [0.01, 0.1]),
        "elastic_net_params": ("list[float]", [0.0]),
        "max_iter": ("int", 30),
        "class_weight": ("str", "balanced"),
        "rare_class_thresholds": ("list[float]", [0.5, 0.7]),
    },
    "output": {
        "model_dir": ("str", "artifacts/model"),
        "metrics": ("str", "artifacts/metrics.json"),
        "predictions": ("str", "artifacts/predictions.csv"),
    },
    "submit": {
        "cluster": ("str", "local"),
    },
}


@dataclass(frozen=True)
class JobConfig:
    """Everything the job needs; ``conf/job.toml`` says what each field means."""

    path: str
    format: str
    table: str
    target: str
    task: str
    exclude: tuple[str, ...]
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    test_fraction: float
    seed: int
    tuner: str
    folds: int
    train_ratio: float
    reg_params: tuple[float, ...]
    elastic_net_params: tuple[float, ...]
    max_iter: int
    class_weight: str
    rare_class_thresholds: tuple[float, ...]
    model_dir: str
    metrics: str
    predictions: str
    cluster: str


def _typed(where: str, kind: str, value: Any) -> Any:
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "list[str]": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "list[float]": isinstance(value, list)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value),
    }[kind]
    if not ok:
        raise DataError(f"{where} = {value!r}: expected {kind.replace('list[', 'a list of ').rstrip(']')}")
    if kind == "float":
        return float(value)
    if kind.startswith("list"):
        return tuple(float(v) for v in value) if kind == "list[float]" else tuple(value)
    return value


def _validate(config: JobConfig, source: str) -> JobConfig:
    def fail(section: str, key: str, expected: str) -> None:
        raise DataError(f"{source}: [{section}] {key} = {getattr(config, key)!r}: expected {expected}")

    for section, key, allowed in (
        ("data", "format", FORMATS),
        ("data", "task", TASKS),
        ("tuning", "tuner", TUNERS),
        ("tuning", "class_weight", CLASS_WEIGHTS),
        ("submit", "cluster", CLUSTERS),
    ):
        if getattr(config, key) not in allowed:
            fail(section, key, "one of " + ", ".join(allowed))
    if not config.target.strip():
        fail("data", "target", "a column name")
    if config.format == "table" and not config.table:
        fail("data", "table", "a table name when format = 'table'")
    if config.format != "table" and not config.path:
        fail("data", "path", "a CSV or Parquet file")
    if not 0 < config.test_fraction < 1:
        fail("data", "test_fraction", "a number between 0 and 1")
    if not 0 < config.train_ratio < 1:
        fail("tuning", "train_ratio", "a number between 0 and 1")
    if config.folds < 2:
        fail("tuning", "folds", "at least 2")
    if config.max_iter < 1:
        fail("tuning", "max_iter", "at least 1")
    if not config.reg_params or any(v < 0 for v in config.reg_params):
        fail("tuning", "reg_params", "a non-empty list of numbers >= 0")
    if not config.elastic_net_params or any(not 0 <= v <= 1 for v in config.elastic_net_params):
        fail("tuning", "elastic_net_params", "a non-empty list of numbers between 0 and 1")
    if not config.rare_class_thresholds or any(not 0 < v < 1 for v in config.rare_class_thresholds):
        fail("tuning", "rare_class_thresholds", "a non-empty list of numbers between 0 and 1")
    overlap = set(config.categorical) & set(config.numeric)
    if overlap:
        raise DataError(f"{source}: columns listed as both categorical and numeric: {', '.join(sorted(overlap))}")
    return config


def load_config(config_path: str | Path = DEFAULT_CONFIG, **overrides: Any) -> JobConfig:
    """``config_path`` (TOML) with ``overrides`` (None = keep the file's value) applied and validated.

    A ``path`` override (``--data``) means other data: the file's column lists describe the file's data,
    so ``exclude``, ``categorical`` and ``numeric`` are inferred again unless they are overridden too.
    """
    raw = read_toml(config_path)
    values: dict[str, Any] = {}
    for section, keys in SCHEMA.items():
        given = raw.pop(section, {})
        if not isinstance(given, dict):
            raise DataError(f"{config_path}: [{section}] must be a table")
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise DataError(
                f"{config_path}: [{section}] has unknown keys {', '.join(unknown)}; allowed: {', '.join(keys)}"
            )
        for key, (kind, default) in keys.items():
            values[key] = _typed(f"{config_path}: [{section}] {key}", kind, given.get(key, default))
    if raw:
        raise DataError(f"{config_path}: unknown sections {', '.join(sorted(raw))}; allowed: {', '.join(SCHEMA)}")
    values["task"] = TASK_ALIASES.get(values["task"], values["task"])
    config = JobConfig(**values)
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in fields(JobConfig)})
    if unknown:
        raise TypeError(f"unknown overrides: {unknown}")  # a programming error, not the user's
    if "path" in given:
        given.setdefault("format", "auto")
        for key in ("exclude", "categorical", "numeric"):
            given.setdefault(key, ())
    for key in ("exclude", "categorical", "numeric", "reg_params", "elastic_net_params", "rare_class_thresholds"):
        if key in given:
            given[key] = tuple(given[key])
    if "task" in given:
        given["task"] = TASK_ALIASES.get(given["task"], given["task"])
    return _validate(
        replace(config, **given), f"{config_path} (with command-line overrides)" if given else str(config_path)
    )


# ---- where data may live ----

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_uri(location: str) -> bool:
    """``hdfs://...``, ``s3a://...``, ``file:///...``: a location every node resolves the same way."""
    return bool(_URI.match(location))


def is_local_master(master: str) -> bool:
    return master == "local" or master.startswith(("local[", "local-cluster"))


def locate(location: str, master: str, what: str) -> str:
    """The URI Spark is given for ``location``; a plain path only when the driver and executors share a disk.

    On a cluster a relative or absolute path means "this machine": the executors would read (and write the
    model to) their own local disks, so it is refused rather than silently resolved.
    """
    if is_uri(location):
        return location
    if not is_local_master(master):
        raise DataError(
            f"{what} {location!r} is a path on this machine, but the master is {master}: executors cannot "
            "see the driver's disk; give a URI every node reaches (hdfs://..., s3a://..., abfss://..., "
            "or file:///... on a mount that every node shares)"
        )
    return Path(location).expanduser().resolve().as_uri()


def local_path(location: str) -> Path | None:
    """The file on this machine that ``location`` names, or None for remote storage."""
    if not is_uri(location):
        return Path(location).expanduser().resolve()
    parsed = urlparse(location)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(unquote(parsed.path))
    return None


def read_spark_properties(path: str | Path) -> dict[str, str]:
    """A file in ``spark-defaults.conf`` form (``key value`` per line, ``#`` comments) as a dict."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: Spark properties file not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    properties: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise DataError(f"{path}:{number}: expected 'key value', got {line!r}")
        properties[parts[0]] = parts[1].strip()
    return properties
