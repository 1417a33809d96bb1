"""The job's settings (``conf/job.ini``) and Spark's per-cluster settings (``conf/<cluster>.conf``)."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

INPUT_FORMATS = ("csv", "parquet", "table")
TASKS = ("classification", "regression")
TUNERS = ("cross-validator", "train-validation-split")
CLUSTERS = ("local", "standalone", "yarn", "kubernetes")


class ConfigError(ValueError):
    """Raised when ``job.ini`` or a Spark properties file is invalid; the message names the key."""


@dataclass(frozen=True)
class JobConfig:
    """Everything the training job needs to know; see ``conf/job.ini`` for what each field means."""

    input_format: str
    input_path: str
    target: str
    task: str
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
    model_dir: str
    metrics_path: str
    cluster: str


def _location(value: str, base: Path) -> str:
    """Resolve a local relative path against ``base``; leave URIs (hdfs://, s3a://, file:) alone.

    Executors do not share the driver's working directory, so Spark must be handed absolute paths.
    """
    if not value or "://" in value or value.startswith("file:"):
        return value
    path = Path(value)
    return str(path if path.is_absolute() else (base / path).resolve())


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _floats(section: configparser.SectionProxy, key: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in _names(section[key]))
    except ValueError as e:
        raise ConfigError(f"[{section.name}] {key}: expected comma-separated numbers ({e})") from e


def _choice(section: configparser.SectionProxy, key: str, allowed: tuple[str, ...]) -> str:
    value = section.get(key, "").strip()
    if value not in allowed:
        raise ConfigError(f"[{section.name}] {key} = {value!r}: expected one of {', '.join(allowed)}")
    return value


def load_job_config(path: str | Path, base: Path | None = None) -> JobConfig:
    """Parse ``job.ini``; relative data paths are resolved against ``base`` (default: the current directory)."""
    path = Path(path)
    parser = configparser.ConfigParser(inline_comment_prefixes=("#",))
    if not parser.read(path, encoding="utf-8"):
        raise ConfigError(f"{path}: no such config file")
    base = base or Path.cwd()
    try:
        source, model, tuning, output = parser["input"], parser["model"], parser["tuning"], parser["output"]
        fmt = _choice(source, "format", INPUT_FORMATS)
        location = source["table"] if fmt == "table" else _location(source["path"], base)
        tuner = _choice(tuning, "tuner", TUNERS)
        config = JobConfig(
            input_format=fmt,
            input_path=location,
            target=model["target"].strip(),
            task=_choice(model, "task", TASKS),
            categorical=_names(model.get("categorical", "")),
            numeric=_names(model.get("numeric", "")),
            test_fraction=model.getfloat("test_fraction", 0.2),
            seed=model.getint("seed", 42),
            tuner=tuner,
            folds=tuning.getint("folds", 3),
            train_ratio=tuning.getfloat("train_ratio", 0.8),
            reg_params=_floats(tuning, "reg_params"),
            elastic_net_params=_floats(tuning, "elastic_net_params"),
            max_iter=tuning.getint("max_iter", 30),
            model_dir=_location(output["model_dir"], base),
            metrics_path=_location(output["metrics"], base),
            cluster=_choice(parser["submit"], "cluster", CLUSTERS),
        )
    except KeyError as e:
        raise ConfigError(f"{path}: missing section or key {e}") from e
    except ValueError as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"{path}: {e}") from e
    if not config.target or not (config.categorical or config.numeric):
        raise ConfigError(f"{path}: [model] needs a target and at least one categorical or numeric column")
    if not 0 < config.test_fraction < 1:
        raise ConfigError(f"{path}: [model] test_fraction must be between 0 and 1")
    return config


def read_spark_properties(path: str | Path) -> dict[str, str]:
    """Read a file in ``spark-defaults.conf`` form (``key value`` per line, ``#`` comments).

    The same file is handed to ``spark-submit --properties-file`` for clusters, so local runs and
    cluster runs take their Spark settings from one place.
    """
    properties: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ConfigError(f"{path}:{number}: expected 'key value', got {line!r}")
        properties[parts[0]] = parts[1].strip()
    return properties
