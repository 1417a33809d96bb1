"""The training script: the same file runs on this machine and inside SageMaker's container.

SageMaker "script mode" downloads this file (with a requirements.txt beside it), then runs
``python entry_point.py --task classification --target cultivar --C 1.0 ...`` with the data
channel in ``SM_CHANNEL_TRAIN`` and ``SM_MODEL_DIR`` pointing at the folder that becomes
model.tar.gz. For hosting, the serving toolkit imports this module and calls ``model_fn``,
``input_fn``, ``predict_fn`` and ``output_fn``.

It takes the raw table: numeric, date and text (categorical) columns with missing cells. Every
statistic (medians, scales, category vocabularies) is learnt from the training rows only, inside
one scikit-learn Pipeline saved in model.joblib, so ``predict`` and the endpoint take raw rows too.

Only this file (and requirements.txt) travels to the container, so it imports nothing from
its own package. After training in SageMaker it copies both into the model's ``code/`` folder:
the scikit-learn and PyTorch serving containers then find them in model.tar.gz.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import logging
import math
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MODEL_FILE = "model.joblib"
# What the model was trained on, readable without unpickling anything.
SCHEMA_FILE = "training.json"
METRICS_FILE = "metrics.json"
# Where hosting finds this script: inside the model archive, as both serving containers expect.
CODE_DIR = "code"
TASKS = ("classification", "regression")
# Cells read as missing (imputed from the training rows), as pandas reads them by default.
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}
# A column is numeric when at least this share of its cells are numbers (one stray "unknown" among
# hundreds of measurements is a typo, not a category), a date when this share are ISO dates.
NUMERIC_SHARE = 0.9
# What a date column becomes: numbers a linear model can weigh (no one-hot of every day).
CALENDAR = ("year", "month", "day", "dayofweek")
# An integer target with more distinct values than this in a classification is probably a quantity.
MANY_CLASSES = 20

log = logging.getLogger(__name__)


class TableError(ValueError):
    """Raised when a table cannot be used as it is; the message names the file, column or row."""


@dataclass(frozen=True)
class Table:
    """A table as text cells: the header and the data rows, in file order."""

    source: str
    header: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


def _read_csv(file: Path) -> tuple[list[str], list[list[str]]]:
    try:
        # utf-8-sig: spreadsheets often start CSV files with a byte-order mark.
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = [row for row in reader if row]
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{file}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save the table as UTF-8 CSV"
        ) from None
    except csv.Error as exc:
        raise TableError(f"{file}: not a readable CSV file ({exc})") from None
    if header is None or not any(cell.strip() for cell in header):
        raise TableError(f"{file}: the file is empty; expected a header row and data rows")
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise TableError(f"{file}: line {number} has {len(row)} cells, the header has {len(header)}")
    return [name.strip() for name in header], rows


def _read_parquet(file: Path) -> tuple[list[str], list[list[str]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # the training container gets CSV from `upload`, which converts Parquet
        raise TableError(f"{file}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    try:
        table = pq.read_table(file)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several unrelated types for a damaged file
        raise TableError(f"{file}: not a readable Parquet file ({exc})") from None
    columns = [["" if v is None else str(v) for v in column.to_pylist()] for column in table.columns]
    return list(table.column_names), [list(row) for row in zip(*columns, strict=True)]


def _regular_file(path: Path) -> None:
    """Refuse what is not there, and what is there but not a file (a FIFO would block the read forever)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise TableError(f"{path}: data file not found") from None
    except OSError as exc:
        raise TableError(f"{path}: cannot read it ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise TableError(f"{path}: not a regular file; give a CSV or Parquet file")


def read_table(path: Path) -> Table:
    """A CSV or Parquet file, or a folder of CSV files with one header (a SageMaker channel)."""
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.csv"), *path.glob("*.parquet")])
        if not files:
            raise TableError(f"{path}: no .csv or .parquet files in this folder")
    else:
        _regular_file(path)
        files = [path]
    header: list[str] | None = None
    rows: list[list[str]] = []
    for file in files:
        _regular_file(file)
        if file.stat().st_size == 0:
            raise TableError(f"{file}: the file is empty; expected a header row and data rows")
        read = _read_parquet if file.suffix.lower() in (".parquet", ".pq") else _read_csv
        columns, more = read(file)
        if header is not None and columns != header:
            raise TableError(f"{file} has columns {columns}, expected {header} as in {files[0]}")
        header = columns
        rows.extend(more)
    assert header is not None
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise TableError(f"{path}: column names appear more than once: {', '.join(duplicated)}")
    if not rows:
        raise TableError(f"{path}: the table has a header but no data rows")
    return Table(str(path), header, rows)


def _missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def _number(cell: str) -> float | None:
    """The cell as a float; NaN for a missing cell; None when it is not a number."""
    text = cell.strip()
    if text.lower() in MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _date(cell: str) -> date | None:
    """An ISO 8601 date or date-time (2024-05-31, 2024-05-31T13:00:00Z), else None."""
    text = cell.strip()
    if len(text) < 8 or text[4:5] != "-":
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _share(cells: list[str], parse: Any) -> float:
    present = [cell for cell in cells if not _missing(cell)]
    return sum(parse(cell) is not None for cell in present) / len(present) if present else 0.0


def column_types(table: Table, features: list[str]) -> dict[str, str]:
    """Each feature column as "number", "date" or "category", from the cells of the training table."""
    types = {}
    for name in features:
        cells = table.column(name)
        if all(_missing(cell) for cell in cells):
            raise TableError(f"{table.source}: column {name!r} has no values at all; remove it (or --drop {name})")
        if _share(cells, _number) >= NUMERIC_SHARE:
            types[name] = "number"
        elif _share(cells, _date) >= NUMERIC_SHARE:
            types[name] = "date"
        else:
            types[name] = "category"
    return types


def _numbers(table: Table, name: str) -> np.ndarray:
    """A numeric column as floats; a few non-numbers are read as missing, with a warning naming one."""
    cells = table.column(name)
    values = [_number(cell) for cell in cells]
    bad = [cell for cell, value in zip(cells, values, strict=True) if value is None]
    if bad and len(bad) == sum(not _missing(cell) for cell in cells):
        # Training types a column as numbers only when most cells are: this is a table to score.
        raise TableError(
            f"{table.source}: column {name!r} holds numbers in the model's training data but none here "
            f"(e.g. {bad[0]!r})"
        )
    if bad:
        log.warning(
            "column %r: %d of %d values are not numbers (e.g. %r); they are read as missing",
            name,
            len(bad),
            len(cells),
            bad[0],
        )
    column = np.array([math.nan if value is None else value for value in values])
    if np.isinf(column).any():
        row = int(np.flatnonzero(np.isinf(column))[0])
        cell = cells[row].strip()
        what = "an infinite value" if cell.lower().lstrip("+-") in ("inf", "infinity") else "a number too large"
        raise TableError(
            f"{table.source}: column {name!r} holds {what} (data row {row + 1}: {cell[:20]!r}"
            f"{'...' if len(cell) > 20 else ''}); the model cannot take it"
        )
    return column


def _calendar(table: Table, name: str) -> dict[str, np.ndarray]:
    """A date column as year, month, day and day of the week; other cells are missing, with a warning."""
    cells = table.column(name)
    dates = [None if _missing(cell) else _date(cell) for cell in cells]
    bad = [cell for cell, day in zip(cells, dates, strict=True) if day is None and not _missing(cell)]
    if bad:
        log.warning(
            "column %r: %d values are not ISO dates (e.g. %r); they are read as missing", name, len(bad), bad[0]
        )
    parts = {
        "year": lambda d: d.year,
        "month": lambda d: d.month,
        "day": lambda d: d.day,
        "dayofweek": lambda d: d.weekday(),
    }
    return {
        f"{name}_{part}": np.array([math.nan if d is None else float(get(d)) for d in dates])
        for part, get in parts.items()
    }


def _categories(table: Table, name: str) -> np.ndarray:
    return np.array([math.nan if _missing(cell) else cell.strip() for cell in table.column(name)], dtype=object)


def model_frame(table: Table, types: dict[str, str]) -> pd.DataFrame:
    """The model's input: numeric columns as floats, dates as calendar numbers, categories as text."""
    columns: dict[str, np.ndarray] = {}
    for name, kind in types.items():
        if kind == "number":
            columns[name] = _numbers(table, name)
        elif kind == "date":
            columns |= _calendar(table, name)
        else:
            columns[name] = _categories(table, name)
    return pd.DataFrame(columns)


def _numeric_inputs(types: dict[str, str]) -> list[str]:
    numbers = [name for name, kind in types.items() if kind == "number"]
    return numbers + [f"{name}_{part}" for name, kind in types.items() if kind == "date" for part in CALENDAR]


def _warn_id_like(table: Table, types: dict[str, str], frame: pd.DataFrame) -> None:
    """An identifier among the features teaches the model nothing true: say so, by name."""
    rows = len(table.rows)
    for name, kind in types.items():
        if kind == "number":
            values = frame[name]
            integral = values.notna().all() and bool((values == values.round()).all())
            if (
                integral
                and rows >= MANY_CLASSES
                and values.is_unique
                and (values.is_monotonic_increasing or values.is_monotonic_decreasing)
            ):
                log.warning(
                    "column %r looks like a row id (unique integers in order); a model learns nothing true "
                    "from it: pass --drop %s to keep it out of the features (predict still copies it)",
                    name,
                    name,
                )
        elif kind == "category":
            distinct = frame[name].nunique()
            if distinct > MANY_CLASSES and distinct > 0.5 * rows:
                log.warning(
                    "column %r has %d distinct values in %d rows, like an identifier or free text; one-hot "
                    "encoding it learns little: pass --drop %s if it is an id",
                    name,
                    distinct,
                    rows,
                    name,
                )


def labels_of(table: Table, target: str) -> np.ndarray:
    """The target column as text labels; a row without a label is refused, never dropped."""
    if target not in table.header:
        raise TableError(f"{table.source}: target column {target!r} not found; columns: {', '.join(table.header)}")
    labels = [cell.strip() for cell in table.column(target)]
    empty = [i for i, label in enumerate(labels) if label.lower() in MISSING]
    if empty:
        raise TableError(
            f"{table.source}: {len(empty)} rows have no {target!r} label (first: data row "
            f"{empty[0] + 1}); fill or remove them"
        )
    return np.array(labels, dtype=object)


def class_labels(table: Table, target: str) -> np.ndarray:
    """The labels of a classification; a decimal target is refused, many integer classes are a warning."""
    labels = labels_of(table, target)
    numbers = [_number(label) for label in labels]
    if all(value is not None and math.isfinite(value) for value in numbers):
        fractional = [label for label, value in zip(labels, numbers, strict=True) if value != round(value)]
        if fractional:
            raise TableError(
                f"{table.source}: target {target!r} holds decimal numbers (e.g. {fractional[0]!r}), a quantity, "
                "not classes: generate a regression project (scaffold new NAME --framework sagemaker "
                "--task tabular-regression) or train with --task regression"
            )
        # 1.0 and 1 are one class (an integer column with gaps comes out of Parquet as floats); other
        # spellings ("01") are the data's own labels and stay as they are.
        labels = np.array(
            [str(int(value)) if "." in label else label for label, value in zip(labels, numbers, strict=True)],  # type: ignore[arg-type]
            dtype=object,
        )
        distinct = len(set(labels.tolist()))
        if distinct > MANY_CLASSES:
            log.warning(
                "target %r has %d distinct integer values: a classifier learns each as a class of its own; "
                "if it is a quantity, train a regression instead (--task regression)",
                target,
                distinct,
            )
    return labels


def regression_target(table: Table, target: str) -> np.ndarray:
    """The target of a regression as floats; text or a missing or infinite value is refused."""
    labels = labels_of(table, target)
    values = [_number(label) for label in labels]
    bad = [(i, label) for i, (label, value) in enumerate(zip(labels, values, strict=True)) if value is None]
    if bad:
        raise TableError(
            f"{table.source}: target {target!r} has values that are not numbers (e.g. {bad[0][1]!r} in data row "
            f"{bad[0][0] + 1}); a regression needs numbers (for classes, --task classification)"
        )
    array = np.array(values, dtype=float)
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array))[0])
        raise TableError(f"{table.source}: target {target!r} is not finite in data row {row + 1}; replace it")
    return array


def target_of(table: Table, target: str, task: str) -> np.ndarray:
    """The target column for ``task``, checked."""
    if task not in TASKS:
        raise TableError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    return class_labels(table, target) if task == "classification" else regression_target(table, target)


def feature_names(table: Table, target: str, drop: list[str]) -> list[str]:
    """The table's columns but the target and the dropped ones; an unknown --drop column is refused."""
    unknown = [name for name in drop if name not in table.header]
    if unknown:
        raise TableError(
            f"{table.source}: --drop names column(s) {', '.join(unknown)} that the table does not have; "
            f"columns: {', '.join(table.header)}"
        )
    if target in drop:
        raise TableError(f"{table.source}: the target {target!r} cannot also be dropped")
    features = [name for name in table.header if name != target and name not in drop]
    if not features:
        raise TableError(f"{table.source}: no feature columns besides {target!r} and the dropped ones")
    return features


def prepare(table: Table, target: str, task: str, drop: list[str]) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    """Every check training makes before it fits: the model's input, its target and the column types."""
    labels = target_of(table, target, task)
    features = feature_names(table, target, drop)
    types = column_types(table, features)
    frame = model_frame(table, types)
    _warn_id_like(table, types, frame)
    return frame, labels, types


def fingerprint(path: Path) -> str:
    """SHA-256 of the training data (files of a folder in name order), to recognise it later."""
    path = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def build_model(task: str, types: dict[str, str], c: float, class_weight: str = "balanced") -> Pipeline:
    """Impute and scale the numbers, impute and one-hot encode the categories, then a linear model.

    Classification: (multinomial) logistic regression, classes weighted by their inverse frequency unless
    ``class_weight`` is "none", so a rare class is not ignored. Regression: ridge regression (squared
    loss); scikit-learn documents its alpha as 1 / (2C) in LogisticRegression's terms, so ``C`` means the
    same for both. A category never seen in training encodes as none of the known ones.
    """
    categories = [name for name, kind in types.items() if kind == "category"]
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), _numeric_inputs(types)),
            (
                "categorical",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
                categories,
            ),
        ]
    )
    if task == "classification":
        weights = None if class_weight == "none" else class_weight
        estimator: Any = LogisticRegression(C=c, class_weight=weights, max_iter=2000)
    else:
        estimator = Ridge(alpha=1 / (2 * c))
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def score(task: str, model: Pipeline, features: pd.DataFrame, target: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1, or R², RMSE and MAE, of ``model`` on the given rows."""
    predicted = model.predict(features)
    if task == "classification":
        metrics = {
            "accuracy": float(accuracy_score(target, predicted)),
            "f1_macro": float(f1_score(target, predicted, average="macro")),
        }
    else:
        metrics = {
            "r2": float(r2_score(target, predicted)),
            "rmse": float(root_mean_squared_error(target, predicted)),
            "mae": float(mean_absolute_error(target, predicted)),
        }
    return metrics | {"rows": float(len(target))}


def split(task: str, target: np.ndarray, test_size: float, seed: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Row ids of a train/test split (stratified for classes), or a TableError saying why there cannot be one."""
    if not 0 < test_size < 1:
        raise TableError(f"test_size must be between 0 and 1, got {test_size}")
    n_test = math.ceil(test_size * len(target))
    stratify = None
    if task == "classification":
        classes, counts = np.unique(target.astype(str), return_counts=True)
        if len(classes) < 2:
            raise TableError(
                f"{source}: the target has a single class ({classes[0]!r}); a classifier needs two or more"
            )
        if counts.min() < 2:
            rare = [repr(str(c)) for c, n in zip(classes, counts, strict=True) if n < 2]
            raise TableError(
                f"{source}: classes with a single row cannot be split into train and test: {', '.join(rare)}"
            )
        if n_test < len(classes) or len(target) - n_test < len(classes):
            raise TableError(
                f"{source}: {len(target)} rows are too few to hold out {test_size:.0%} with every one "
                f"of the {len(classes)} classes on both sides; add rows or change test_size"
            )
        stratify = target.astype(str)
    elif n_test < 2 or len(target) - n_test < 2:
        raise TableError(
            f"{source}: {len(target)} rows are too few to train on some and hold out {test_size:.0%} "
            "(at least 2 rows each); add rows or change test_size"
        )
    ids = np.arange(len(target))
    train_ids, test_ids = train_test_split(ids, test_size=test_size, random_state=seed, stratify=stratify)
    return np.sort(train_ids), np.sort(test_ids)


def _vocabularies(frame: pd.DataFrame, types: dict[str, str]) -> dict[str, list[str]]:
    """The categories of each text column among the training rows, to report the unseen ones later."""
    return {
        name: sorted(str(v) for v in frame[name].dropna().unique())
        for name, kind in types.items()
        if kind == "category"
    }


def unseen_categories(frame: pd.DataFrame, vocabularies: dict[str, list[str]]) -> dict[str, int]:
    """Per text column, how many rows hold a category the model never saw; each column is logged."""
    counts = {}
    for name, known in vocabularies.items():
        values = frame[name]
        new = values.notna() & ~values.isin(known)
        if new.any():
            counts[name] = int(new.sum())
            log.warning(
                "column %r: %d row(s) hold categories never seen in training (e.g. %r); they count as none "
                "of the known ones",
                name,
                counts[name],
                values[new].iloc[0],
            )
    return counts


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def train(
    data: Path,
    target: str,
    model_dir: Path,
    *,
    task: str = "classification",
    drop: list[str] | tuple[str, ...] = (),
    c: float = 1.0,
    class_weight: str = "balanced",
    test_size: float = 0.25,
    seed: int = 0,
) -> dict[str, float]:
    """Fit on a split of ``data``, score the held-out part, save model, schema and metrics.

    Everything is checked before anything is written; the model, its schema (feature names and
    types, classes, the data's fingerprint, the held-out row ids) and the metrics then replace the
    old ones file by file, each complete.
    """
    if not c > 0:
        raise TableError(f"C must be positive, got {c}")
    if class_weight not in ("balanced", "none"):
        raise TableError(f"class_weight must be balanced or none, got {class_weight!r}")
    table = read_table(data)
    drop = list(drop)
    frame, labels, types = prepare(table, target, task, drop)
    train_ids, test_ids = split(task, labels, test_size, seed, table.source)
    log.info(
        "features: %d numeric, %d date, %d categorical; dropped: %s",
        sum(kind == "number" for kind in types.values()),
        sum(kind == "date" for kind in types.values()),
        sum(kind == "category" for kind in types.values()),
        ", ".join(drop) or "none",
    )
    log.info("%s: training on %d rows, holding out %d (seed %d)", task, len(train_ids), len(test_ids), seed)
    model = build_model(task, types, c, class_weight).fit(frame.iloc[train_ids], labels[train_ids])
    metrics = score(task, model, frame.iloc[test_ids], labels[test_ids])
    metrics |= {"train_rows": float(len(train_ids)), "test_rows": float(len(test_ids))}
    schema = {
        "task": task,
        "target": target,
        "features": list(types),
        "feature_types": types,
        "drop": drop,
        "categories": _vocabularies(frame.iloc[train_ids], types),
        "classes": [str(label) for label in model.classes_] if task == "classification" else [],
        "data": str(Path(data).resolve()),
        "fingerprint": fingerprint(data),
        "rows": len(table.rows),
        "heldout_ids": [int(i) for i in test_ids],
        "hyperparameters": {"C": c, "class_weight": class_weight, "test_size": test_size, "seed": seed},
    }
    model_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    joblib.dump({"model": model, **schema}, buffer)
    _write_atomically(model_dir / MODEL_FILE, buffer.getvalue())
    _write_atomically(model_dir / SCHEMA_FILE, (json.dumps(schema, indent=2) + "\n").encode())
    return metrics


# ---- hosting: the SageMaker serving toolkits (scikit-learn and PyTorch) call these ----


def model_fn(model_dir: str) -> dict:
    """Load what ``train`` saved."""
    return joblib.load(Path(model_dir) / MODEL_FILE)


def input_fn(body: bytes | str, content_type: str) -> np.ndarray:
    """Parse CSV rows of raw feature cells (no header, no target column, the model's column order).

    Cells stay text here: which are numbers, dates or categories is the model's to say (``predict_fn``).
    """
    if content_type.split(";")[0].strip() != "text/csv":
        raise ValueError(f"unsupported content type {content_type!r}: send text/csv")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len({len(row) for row in rows}) > 1:
        raise ValueError("every row needs the same number of values")
    return np.array(rows, dtype=object).reshape(len(rows), -1)


def predict_fn(data: np.ndarray, bundle: dict) -> np.ndarray:
    """Predict for raw rows, refusing rows of the wrong width with a clear message."""
    expected = len(bundle["features"])
    if data.ndim != 2 or data.shape[1] != expected:
        raise ValueError(f"each row needs {expected} values: {', '.join(bundle['features'])}")
    table = Table("request", list(bundle["features"]), [[str(cell) for cell in row] for row in data.tolist()])
    frame = model_frame(table, bundle["feature_types"])
    unseen_categories(frame, bundle["categories"])
    return bundle["model"].predict(frame)


def output_fn(prediction: np.ndarray, accept: str) -> tuple[str, str]:
    """Answer JSON: {"predictions": [label or number, ...]}."""
    return json.dumps({"predictions": prediction.tolist()}), "application/json"


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Command line of the script, in SageMaker's conventions (hyperparameters as --NAME VALUE)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train",
        type=Path,
        default=os.environ.get("SM_CHANNEL_TRAIN"),
        help="CSV file or folder (default: $SM_CHANNEL_TRAIN)",
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=os.environ.get("SM_MODEL_DIR", "artifacts/model"),
        help="where model.joblib goes (default: $SM_MODEL_DIR)",
    )
    parser.add_argument("--target", required=True, help="the column to predict")
    parser.add_argument("--task", choices=TASKS, default="classification")
    parser.add_argument("--drop", default="", help="comma-separated columns that are not features (ids)")
    parser.add_argument("--C", dest="c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--class_weight", choices=("balanced", "none"), default="balanced")
    parser.add_argument("--test_size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.train is None:
        parser.error("--train is required outside SageMaker (SM_CHANNEL_TRAIN is not set)")
    # SageMaker captures stdout and stderr into CloudWatch.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stdout)
    try:
        metrics = train(
            args.train,
            args.target,
            args.model_dir,
            task=args.task,
            drop=[name.strip() for name in args.drop.split(",") if name.strip()],
            c=args.c,
            class_weight=args.class_weight,
            test_size=args.test_size,
            seed=args.seed,
        )
    except TableError as exc:
        # One line that DescribeTrainingJob's FailureReason shows, and exit status 2 as locally.
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    (args.model_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    code_dir = args.model_dir / CODE_DIR
    code_dir.mkdir(exist_ok=True)
    here = Path(__file__).resolve().parent
    for name in ("entry_point.py", "requirements.txt"):
        if (here / name).is_file():
            shutil.copy(here / name, code_dir / name)
    # One "name=value" line per metric, for CloudWatch and metric definitions.
    for name, value in metrics.items():
        print(f"{name}={value:.4f}")
    return metrics


if __name__ == "__main__":
    main()
