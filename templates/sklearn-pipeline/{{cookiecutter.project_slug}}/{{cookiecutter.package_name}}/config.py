"""``config.toml`` plus command-line overrides, read into one typed, validated :class:`Config`.

A misspelled key or a value of the wrong type is a :class:`~.runtime.DataError` naming the key: a setting
that is silently ignored trains a different model than the one the user thinks they configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .runtime import DataError, read_toml

TASKS = ("classification", "regression")

# Every key the file may hold, per section; anything else is a typo worth reporting.
KEYS = {
    "data": ("path", "target", "task", "drop"),
    "split": ("test_size", "cv_folds", "seed"),
    "model": None,  # HistGradientBoosting's own parameters, checked against the estimator in pipeline.py
    "compute": ("n_jobs",),
    "output": ("dir",),
}


@dataclass(frozen=True)
class Config:
    """Everything a command needs; paths are absolute or relative to the working directory."""

    data_path: Path
    target: str
    task: str = "classification"
    drop: tuple[str, ...] = ()
    test_size: float = 0.2
    cv_folds: int = 5
    seed: int = 42
    model: Mapping[str, Any] = field(default_factory=dict)
    n_jobs: int = 1
    output_dir: Path = Path("artifacts")

    @property
    def model_path(self) -> Path:
        return self.output_dir / "model.joblib"

    @property
    def metadata_path(self) -> Path:
        return self.output_dir / "metadata.json"

    @property
    def metrics_path(self) -> Path:
        return self.output_dir / "metrics.json"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # TOML true is not a fold count


def _check(where: str, value: Any, ok: bool, wanted: str) -> Any:
    if not ok:
        raise DataError(f"{where} = {value!r}: must be {wanted}")
    return value


def validate(config: Config, where: str = "settings") -> Config:
    """``config`` if every value is usable, else a :class:`DataError` naming the first bad one."""
    _check(f"{where}: task", config.task, config.task in TASKS, " or ".join(repr(t) for t in TASKS))
    _check(
        f"{where}: target",
        config.target,
        isinstance(config.target, str) and config.target != "",
        "a column name (a non-empty string)",
    )
    _check(f"{where}: drop", config.drop, all(isinstance(c, str) for c in config.drop), "a list of column names")
    _check(
        f"{where}: test_size",
        config.test_size,
        isinstance(config.test_size, float) and 0.0 < config.test_size < 1.0,
        "a number between 0 and 1",
    )
    _check(
        f"{where}: cv_folds",
        config.cv_folds,
        _is_int(config.cv_folds) and config.cv_folds >= 2,
        "an integer of at least 2",
    )
    _check(f"{where}: seed", config.seed, _is_int(config.seed) and config.seed >= 0, "a non-negative integer")
    _check(
        f"{where}: n_jobs",
        config.n_jobs,
        _is_int(config.n_jobs) and (config.n_jobs >= 1 or config.n_jobs == -1),
        "a positive number of cores, or -1 for every core",
    )
    return config


def _number(section: str, key: str, value: Any) -> Any:
    # TOML has ints and floats; `test_size = 1` would be an int yet a fine share of rows only as 1.0.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise DataError(f"[{section}] {key} = {value!r}: must be a number between 0 and 1")


def load_config(path: str | Path = "config.toml", **overrides: Any) -> Config:
    """Read ``path``; relative paths inside it are taken relative to the file itself.

    ``overrides`` (command-line flags) replace the file's values; ``None`` means "not given".
    """
    path = Path(path)
    raw = read_toml(path)
    where = str(path)
    for section, value in raw.items():
        if section not in KEYS:
            raise DataError(f"{where}: unknown section [{section}]; allowed: {', '.join(KEYS)}")
        if not isinstance(value, dict):
            raise DataError(f"{where}: {section} must be a [{section}] table")
        allowed = KEYS[section]
        for key in value if allowed is not None else ():
            if key not in allowed:
                raise DataError(f"{where}: unknown key [{section}] {key}; allowed: {', '.join(allowed)}")
    base = path.resolve().parent
    data, split = raw.get("data", {}), raw.get("split", {})
    for key in ("path", "target"):
        if key not in data:
            raise DataError(f"{where}: [data] needs '{key}'")
    for key in ("path", "target", "task"):
        if key in data and not isinstance(data[key], str):
            raise DataError(f"{where}: [data] {key} = {data[key]!r}: must be a string")
    drop = data.get("drop", [])
    if not isinstance(drop, list):
        raise DataError(f"{where}: [data] drop = {drop!r}: must be a list of column names")
    out_dir = raw.get("output", {}).get("dir", "artifacts")
    if not isinstance(out_dir, str):
        raise DataError(f"{where}: [output] dir = {out_dir!r}: must be a string")
    config = Config(
        data_path=base / data["path"],
        target=data["target"],
        task=data.get("task", "classification"),
        drop=tuple(drop),
        test_size=_number("split", "test_size", split.get("test_size", 0.2)),
        cv_folds=split.get("cv_folds", 5),
        seed=split.get("seed", 42),
        model=dict(raw.get("model", {})),
        n_jobs=raw.get("compute", {}).get("n_jobs", 1),
        output_dir=base / out_dir,
    )
    validate(config, where)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "data_path" in given:
        # The file's drop list names columns of the file's data set, not of the one given instead.
        given.setdefault("drop", ())
        given["data_path"] = Path(given["data_path"])
    if "drop" in given:
        given["drop"] = tuple(given["drop"])
    if "test_size" in given:
        given["test_size"] = float(given["test_size"])
    return validate(replace(config, **given), "command line")
