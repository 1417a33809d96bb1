"""The training script: the same file runs on this machine and inside SageMaker's container.

SageMaker "script mode" downloads this file (with a requirements.txt beside it), then runs
``python entry_point.py --C 1.0 --target cultivar ...`` with the data channel in
``SM_CHANNEL_TRAIN`` and ``SM_MODEL_DIR`` pointing at the folder that becomes model.tar.gz.
For hosting, the serving toolkit imports this module and calls ``model_fn``, ``input_fn``,
``predict_fn`` and ``output_fn``.

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
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_FILE = "model.joblib"
# What the model was trained on, readable without unpickling anything.
SCHEMA_FILE = "training.json"
METRICS_FILE = "metrics.json"
# Where hosting finds this script: inside the model archive, as both serving containers expect.
CODE_DIR = "code"
# Cells read as missing (imputed with the training median), as pandas reads them by default.
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}

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


def read_table(path: Path) -> Table:
    """A CSV or Parquet file, or a folder of CSV files with one header (a SageMaker channel)."""
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.csv"), *path.glob("*.parquet")])
        if not files:
            raise TableError(f"{path}: no .csv or .parquet files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise TableError(f"{path}: data file not found")
    header: list[str] | None = None
    rows: list[list[str]] = []
    for file in files:
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


def _number(cell: str) -> float | None:
    """The cell as a float; NaN for a missing cell; None when it is not a number."""
    text = cell.strip()
    if text.lower() in MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def feature_matrix(table: Table, features: list[str], *, training: bool = True) -> np.ndarray:
    """The numeric feature columns as floats, missing cells as NaN.

    In training, a column of text is refused (this starter takes numeric features only) and so is
    an empty one; a few non-numbers in a numeric column are read as missing, with a warning naming
    the column and a value. Infinities are refused, because the model cannot take them.
    """
    text_columns: list[str] = []
    matrix = np.empty((len(table.rows), len(features)))
    for j, name in enumerate(features):
        cells = table.column(name)
        values = [_number(cell) for cell in cells]
        bad = [cell for cell, value in zip(cells, values, strict=True) if value is None]
        if training and bad and len(bad) * 2 > len(cells):
            text_columns.append(f"{name!r} (e.g. {bad[0]!r})")
            continue
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
            raise TableError(
                f"{table.source}: column {name!r} holds an infinite value (data row {row + 1}); "
                "the model cannot take it"
            )
        if training and np.isnan(column).all():
            raise TableError(f"{table.source}: column {name!r} has no values at all; remove it")
        matrix[:, j] = column
    if text_columns:
        raise TableError(
            f"{table.source}: this starter takes numeric feature columns only; text in "
            f"{', '.join(text_columns)}: remove or encode those columns"
        )
    missing = int(np.isnan(matrix).sum())
    if missing:
        log.info("%d missing feature values: filled with each column's training median", missing)
    return matrix


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


def fingerprint(path: Path) -> str:
    """SHA-256 of the training data (files of a folder in name order), to recognise it later."""
    path = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def build_model(c: float) -> Pipeline:
    """Fill gaps, standardise, then multinomial logistic regression: a strong tabular baseline."""
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=c, max_iter=1000))


def score(model: Pipeline, features: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1 of ``model`` on the given rows."""
    predicted = model.predict(features)
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1_macro": float(f1_score(labels, predicted, average="macro")),
        "rows": float(len(labels)),
    }


def _split(labels: np.ndarray, test_size: float, seed: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Row ids of a stratified train/test split, or a TableError saying why there cannot be one."""
    if not 0 < test_size < 1:
        raise TableError(f"test_size must be between 0 and 1, got {test_size}")
    classes, counts = np.unique(labels.astype(str), return_counts=True)
    if len(classes) < 2:
        raise TableError(f"{source}: the target has a single class ({classes[0]!r}); a classifier needs two or more")
    if counts.min() < 2:
        rare = [repr(str(c)) for c, n in zip(classes, counts, strict=True) if n < 2]
        raise TableError(f"{source}: classes with a single row cannot be split into train and test: {', '.join(rare)}")
    n_test = math.ceil(test_size * len(labels))
    if n_test < len(classes) or len(labels) - n_test < len(classes):
        raise TableError(
            f"{source}: {len(labels)} rows are too few to hold out {test_size:.0%} with every one "
            f"of the {len(classes)} classes on both sides; add rows or change test_size"
        )
    ids = np.arange(len(labels))
    train_ids, test_ids = train_test_split(ids, test_size=test_size, random_state=seed, stratify=labels.astype(str))
    return np.sort(train_ids), np.sort(test_ids)


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
    data: Path, target: str, model_dir: Path, *, c: float = 1.0, test_size: float = 0.25, seed: int = 0
) -> dict[str, float]:
    """Fit on a stratified split of ``data``, score the held-out part, save model, schema and metrics.

    Everything is checked before anything is written; the model, its schema (feature names,
    classes, the data's fingerprint, the held-out row ids) and the metrics then replace the old
    ones file by file, each complete.
    """
    table = read_table(data)
    labels = labels_of(table, target)
    features = [name for name in table.header if name != target]
    if not features:
        raise TableError(f"{table.source}: no feature columns besides {target!r}")
    matrix = feature_matrix(table, features)
    train_ids, test_ids = _split(labels, test_size, seed, table.source)
    log.info("training on %d rows, holding out %d (seed %d)", len(train_ids), len(test_ids), seed)
    model = build_model(c).fit(matrix[train_ids], labels[train_ids])
    metrics = score(model, matrix[test_ids], labels[test_ids])
    metrics |= {"train_rows": float(len(train_ids)), "test_rows": float(len(test_ids))}
    schema = {
        "target": target,
        "features": features,
        "feature_types": dict.fromkeys(features, "number"),
        "classes": [str(label) for label in model.classes_],
        "data": str(Path(data).resolve()),
        "fingerprint": fingerprint(data),
        "rows": len(table.rows),
        "heldout_ids": [int(i) for i in test_ids],
        "hyperparameters": {"C": c, "test_size": test_size, "seed": seed},
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
    """Parse CSV rows of feature values (no header, no target column); empty cells are missing."""
    if content_type.split(";")[0].strip() != "text/csv":
        raise ValueError(f"unsupported content type {content_type!r}: send text/csv")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    try:
        return np.array([[math.nan if c.strip().lower() in MISSING else float(c) for c in row] for row in rows])
    except ValueError as exc:
        raise ValueError(f"every value must be a number: {exc}") from None


def predict_fn(data: np.ndarray, bundle: dict) -> np.ndarray:
    """Predict one label per row, refusing rows of the wrong width with a clear message."""
    expected = len(bundle["features"])
    if data.ndim != 2 or data.shape[1] != expected:
        raise ValueError(f"each row needs {expected} values: {', '.join(bundle['features'])}")
    return bundle["model"].predict(data)


def output_fn(prediction: np.ndarray, accept: str) -> tuple[str, str]:
    """Answer JSON: {"predictions": [label, ...]}."""
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
    parser.add_argument("--target", required=True, help="label column")
    parser.add_argument("--C", dest="c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--test_size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.train is None:
        parser.error("--train is required outside SageMaker (SM_CHANNEL_TRAIN is not set)")
    # SageMaker captures stdout and stderr into CloudWatch.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stdout)
    try:
        metrics = train(args.train, args.target, args.model_dir, c=args.c, test_size=args.test_size, seed=args.seed)
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
