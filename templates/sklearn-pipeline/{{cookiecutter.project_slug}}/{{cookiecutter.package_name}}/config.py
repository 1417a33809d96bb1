"""Read ``config.toml`` into a typed, validated settings object."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Config:
    data_path: Path
    target: str
    task: str
    drop: tuple[str, ...] = ()
    test_size: float = 0.2
    cv_folds: int = 5
    seed: int = 42
    model: dict = field(default_factory=dict)
    threads: int = 1
    output_dir: Path = Path("artifacts")

    @property
    def model_path(self) -> Path:
        return self.output_dir / "model.joblib"

    @property
    def metadata_path(self) -> Path:
        return self.output_dir / "metadata.json"


def load_config(path: str | Path = "config.toml") -> Config:
    """Load settings; relative paths inside the file are taken relative to the file itself."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"error: config file {path} not found (pass --config PATH)") from None
    base = path.resolve().parent
    data, split, output = raw.get("data", {}), raw.get("split", {}), raw.get("output", {})
    task = data.get("task", "classification")
    if task not in TASKS:
        raise SystemExit(f"error: [data] task = {task!r} in {path}; allowed: {', '.join(TASKS)}")
    if "target" not in data or "path" not in data:
        raise SystemExit(f"error: [data] in {path} needs both 'path' and 'target'")
    test_size = float(split.get("test_size", 0.2))
    if not 0.0 < test_size < 1.0:
        raise SystemExit(f"error: [split] test_size = {test_size} in {path}; it must be between 0 and 1")
    return Config(
        data_path=base / data["path"],
        target=data["target"],
        task=task,
        drop=tuple(data.get("drop", ())),
        test_size=test_size,
        cv_folds=int(split.get("cv_folds", 5)),
        seed=int(split.get("seed", 42)),
        model=dict(raw.get("model", {})),
        threads=int(raw.get("compute", {}).get("threads", 1)),
        output_dir=base / output.get("dir", "artifacts"),
    )
