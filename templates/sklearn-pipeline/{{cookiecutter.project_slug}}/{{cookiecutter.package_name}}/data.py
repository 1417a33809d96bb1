"""Load a table (CSV or Parquet) and split it into features and target."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}


class DataError(ValueError):
    """The data file cannot be used as configured."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(READERS)}")
    if not path.exists():
        raise DataError(f"{path}: file not found")
    return reader(path)


def load_dataset(path: str | Path, target: str, drop: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target from a table. Rows whose target is missing cannot teach anything: dropped."""
    frame = read_table(path)
    if target not in frame.columns:
        raise DataError(f"{path}: target column {target!r} not found; columns: {', '.join(map(str, frame.columns))}")
    frame = frame.dropna(subset=[target])
    if frame.empty:
        raise DataError(f"{path}: no rows with a value in {target!r}")
    features = frame.drop(columns=[target, *[c for c in drop if c in frame.columns]])
    return features, frame[target]


def column_kinds(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical column names, told apart by dtype."""
    numeric = features.select_dtypes(include="number").columns.tolist()
    categorical = [c for c in features.columns if c not in numeric]
    return numeric, categorical
