"""Read a table (CSV or Parquet), check it, and turn it into features and target.

Every problem with the data is a :class:`~.runtime.DataError` (one line, exit status 2) that names the
file, the column and, where it helps, an example value. Nothing is changed without a word: a stray
text value in a numeric column is read as missing (and imputed) with a warning, rows without a label
are counted and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .runtime import DataError, EnvironmentProblem, require_file

log = logging.getLogger(__package__)

SUFFIXES = (".csv", ".parquet", ".pq")
# A text column is taken as numeric when at least this share of its values are numbers: one stray
# "unknown" among hundreds of measurements is a typo, not a category with hundreds of levels.
NUMERIC_SHARE = 0.9


@dataclass(frozen=True)
class Schema:
    """What the model was trained on; saved in ``metadata.json`` and checked at evaluate and predict."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    target: str
    drop: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        return (*self.numeric, *self.categorical)

    def to_json(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "target": self.target,
            "drop": list(self.drop),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schema:
        return cls(tuple(data["numeric"]), tuple(data["categorical"]), data["target"], tuple(data.get("drop", ())))


@dataclass
class Prepared:
    """A table made ready for the model, and what was done to it on the way."""

    features: pd.DataFrame
    target: pd.Series | None
    coerced: dict[str, int] = field(default_factory=dict)  # numeric column -> values read as missing
    unlabelled: int = 0  # rows without a target value, left out


def _names(columns: Any) -> str:
    return ", ".join(repr(str(c)) for c in columns)


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame whose index is the row number in the file (0 = first data row)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}")
    require_file(path)
    try:
        if path.suffix.lower() == ".csv":
            # utf-8-sig: a byte-order mark (Excel writes one) must not end up in the first column's name.
            frame = pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
        else:
            frame = pd.read_parquet(path)
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start}); save the file as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: no columns (the file is empty)") from None
    except pd.errors.ParserError as e:
        raise DataError(f"{path}: not a readable CSV file: {str(e).strip().splitlines()[0]}") from None
    except ImportError as e:
        raise EnvironmentProblem(
            f"{path}: reading Parquet needs pyarrow ({e}); pip install -r requirements.txt"
        ) from None
    except MemoryError:
        raise
    except RecursionError:
        raise
    except Exception as e:  # noqa: BLE001 - pyarrow raises many types for a damaged file; all mean the same here
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        kind = "CSV" if path.suffix.lower() == ".csv" else "Parquet"
        raise DataError(f"{path}: not a readable {kind} file ({first})") from None
    if frame.empty:
        raise DataError(
            f"{path}: no rows (only a header: {_names(frame.columns)})" if len(frame.columns) else f"{path}: no columns"
        )
    # Parquet may carry a saved index; row ids must be positions in the file, the same whichever format.
    return frame.reset_index(drop=frame.index.name is None)


def _as_text(column: pd.Series) -> pd.Series:
    """Categories as plain strings with NaN for missing: one type for every file format and pandas version."""
    missing = column.isna()
    return column.astype(object).astype(str).where(~missing, np.nan).astype(object)


def _coerce_numeric(column: pd.Series, name: str, path: Path, coerced: dict[str, int]) -> pd.Series:
    """``column`` as floats; values that are not numbers become missing, with a warning naming one."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    numbers = pd.to_numeric(column, errors="coerce") if not pd.api.types.is_numeric_dtype(column) else column
    bad = numbers.isna() & column.notna()
    if bad.any():
        example = column[bad].iloc[0]
        count = int(bad.sum())
        coerced[name] = count
        log.warning(
            "%s: column %r has %d value%s that %s not a number (e.g. %r in row %d); read as missing and "
            "imputed with the column's training median",
            path,
            name,
            count,
            "s" if count > 1 else "",
            "are" if count > 1 else "is",
            example,
            bad.idxmax(),
        )
    numbers = numbers.astype(float)
    infinite = np.isinf(numbers)
    if infinite.any():
        raise DataError(
            f"{path}: column {name!r} has {int(infinite.sum())} infinite value(s) (e.g. row "
            f"{int(infinite.idxmax())}); replace them with a number or leave them empty"
        )
    return numbers


def _looks_numeric(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return True
    values = column.dropna()
    if values.empty or pd.api.types.is_bool_dtype(column):
        return False
    return bool(pd.to_numeric(values, errors="coerce").notna().mean() >= NUMERIC_SHARE)


def _check_drop(frame: pd.DataFrame, drop: tuple[str, ...], target: str, path: Path) -> None:
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise DataError(
            f"{path}: drop lists column(s) {_names(unknown)} that the file does not have; "
            f"columns: {_names(frame.columns)}"
        )
    if target in drop:
        raise DataError(f"{path}: the target {target!r} is also in drop; remove it from drop")


def _target(frame: pd.DataFrame, target: str, task: str, path: Path) -> tuple[pd.Series, int]:
    if target not in frame.columns:
        raise DataError(f"{path}: target column {target!r} not found; columns: {_names(frame.columns)}")
    labels = frame[target]
    unlabelled = int(labels.isna().sum())
    labels = labels.dropna()
    if labels.empty:
        raise DataError(f"{path}: target column {target!r} has no values")
    if task == "regression":
        numbers = pd.to_numeric(labels, errors="coerce")
        if numbers.isna().any():
            bad = labels[numbers.isna()]
            raise DataError(
                f"{path}: target {target!r} has values that are not numbers (e.g. {bad.iloc[0]!r} in "
                f"row {bad.index[0]}); regression needs numbers (or use --task classification)"
            )
        numbers = numbers.astype(float)
        if not np.isfinite(numbers).all():
            raise DataError(f"{path}: target {target!r} has infinite values; replace them")
        return numbers, unlabelled
    if pd.api.types.is_float_dtype(labels):
        if not (labels == labels.round()).all():
            raise DataError(
                f"{path}: target {target!r} holds fractional numbers (e.g. "
                f"{labels[labels != labels.round()].iloc[0]!r}); for numbers to predict use "
                "--task regression"
            )
        labels = labels.astype("int64")  # 1.0, 2.0 came from an integer column with gaps: keep the labels 1, 2
    elif not pd.api.types.is_integer_dtype(labels):
        labels = _as_text(labels)
    return labels, unlabelled


def prepare_training(
    frame: pd.DataFrame, target: str, task: str, drop: tuple[str, ...], path: str | Path
) -> tuple[Prepared, Schema]:
    """Features, target and the schema to save, from a training table; every check of the data on the way."""
    path = Path(path)
    _check_drop(frame, drop, target, path)
    labels, unlabelled = _target(frame, target, task, path)
    if unlabelled:
        log.warning(
            "%s: %d row(s) have no value in %r and are left out (they cannot be learned from)", path, unlabelled, target
        )
    rows = frame.loc[labels.index]
    feature_names = [c for c in rows.columns if c != target and c not in drop]
    if not feature_names:
        raise DataError(f"{path}: no feature columns left besides the target {target!r} and drop")
    empty = [c for c in feature_names if rows[c].isna().all()]
    if empty:
        raise DataError(f"{path}: column(s) {_names(empty)} have no values at all; add them to drop")
    numeric = tuple(str(c) for c in feature_names if _looks_numeric(rows[c]))
    categorical = tuple(str(c) for c in feature_names if str(c) not in numeric)
    for name in categorical:
        distinct = rows[name].nunique()
        if distinct > 20 and distinct > 0.5 * len(rows):
            log.warning(
                "%s: column %r has %d distinct values in %d rows, like an identifier; one-hot encoding it "
                "learns little (add it to drop if it is an id)",
                path,
                name,
                distinct,
                len(rows),
            )
    schema = Schema(numeric, categorical, target, tuple(drop))
    prepared = features_for(rows, schema, path)
    prepared.target, prepared.unlabelled = labels, unlabelled
    return prepared, schema


def features_for(frame: pd.DataFrame, schema: Schema, path: str | Path, ignore: tuple[str, ...] = ()) -> Prepared:
    """The model's feature columns from ``frame``, typed as at training; a column mismatch is a DataError.

    The target, the training run's dropped columns and ``ignore`` may be present; any other column the model
    does not know is refused, since it usually means a renamed or misspelled feature.
    """
    path = Path(path)
    columns = [str(c) for c in frame.columns]
    missing = [c for c in schema.features if c not in columns]
    allowed = {*schema.features, schema.target, *schema.drop, *ignore}
    unexpected = [c for c in columns if c not in allowed]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing feature column(s) {_names(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s) {_names(unexpected)} (pass --drop COLUMN to pass one through)")
        raise DataError(f"{path}: {'; '.join(parts)}; the model was trained on {_names(schema.features)}")
    frame = frame.rename(columns=str)
    coerced: dict[str, int] = {}
    features = pd.DataFrame(index=frame.index)
    for name in schema.numeric:
        features[name] = _coerce_numeric(frame[name], name, path, coerced)
        if frame[name].notna().any() and features[name].isna().all():
            raise DataError(
                f"{path}: column {name!r} was numeric in training but holds no numbers here (e.g. "
                f"{frame[name].dropna().iloc[0]!r})"
            )
    for name in schema.categorical:
        features[name] = _as_text(frame[name])
    return Prepared(features=features, target=None, coerced=coerced)


def labels_for(
    frame: pd.DataFrame, schema: Schema, task: str, classes: list[Any] | None, path: str | Path
) -> tuple[pd.Series, int]:
    """The target of rows to score, as the model's own class values (matched by their text), and the
    number of rows without a label."""
    path = Path(path)
    labels, unlabelled = _target(frame, schema.target, task, path)
    if task == "regression" or classes is None:
        return labels, unlabelled
    by_text = {str(c): c for c in classes}
    unknown = sorted({str(v) for v in labels} - set(by_text))
    if unknown:
        raise DataError(
            f"{path}: label(s) {_names(unknown[:5])} in {schema.target!r} are not classes of the model "
            f"({_names(by_text)}); it cannot predict them"
        )
    mapped = labels.map(lambda v: by_text[str(v)])
    return mapped.astype(object) if any(isinstance(c, str) for c in classes) else mapped.astype("int64"), unlabelled
