"""Read a table (CSV or Parquet), type its columns, and split it into training, validation and test rows.

Cells are read as text and typed per column: a column is numeric when at least 90% of its values are
numbers (the rest are read as missing, with a warning), otherwise categorical (strings). Dates are
recognised and refused by name, ids are flagged. Every statistic the model needs (medians for missing
numbers, scaling, each column's categories) is learnt later from the training rows only and saved inside
the SavedModel (``model.py``), so ``predict`` takes the raw table. Every problem with the data is a
:class:`~.runtime.DataError`: one line, exit status 2, naming the file, the column and an example.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .runtime import DataError, EnvironmentProblem

log = logging.getLogger(__package__)

SUFFIXES = (".csv", ".parquet", ".pq")
# Cells read as missing, as pandas reads them by default.
MISSING = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "<NA>", "#N/A", "?"})
# A text column is taken as numeric when at least this share of its values are numbers: one stray
# "unknown" among hundreds of measurements is a typo, not a category with hundreds of levels.
NUMERIC_SHARE = 0.9
_DATE = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$|^\d{1,2}/\d{1,2}/\d{4}$"
)
MANY_CLASSES = 20  # an integer target with more distinct values is probably a quantity


@dataclass(frozen=True)
class Table:
    """A file's header and its columns as text (``None`` = missing); row ``i`` is the i-th data row."""

    source: str
    header: tuple[str, ...]
    columns: dict[str, list[str | None]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


@dataclass(frozen=True)
class Schema:
    """What the model was trained on; saved with it and checked at ``evaluate`` and ``predict``."""

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
class Features:
    """The model's inputs for some rows: numbers (NaN = missing) and category strings ("" = missing)."""

    numeric: np.ndarray  # float32 (rows, numeric columns)
    categorical: list[np.ndarray]  # one array of str per categorical column
    coerced: dict[str, int] = field(default_factory=dict)  # numeric column -> text values read as missing

    def __len__(self) -> int:
        return len(self.numeric)

    def subset(self, rows: np.ndarray) -> Features:
        return Features(self.numeric[rows], [c[rows] for c in self.categorical], self.coerced)


def _names(columns: Sequence[str]) -> str:
    return ", ".join(repr(str(c)) for c in columns)


def _cell(value: str) -> str | None:
    value = value.strip()
    return None if value in MISSING else value


def _read_parquet(path: Path) -> tuple[tuple[str, ...], list[list[str | None]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EnvironmentProblem(
            f"{path}: reading Parquet needs pyarrow (pip install pyarrow), or save the table as CSV"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several unrelated types for a damaged file
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DataError(f"{path}: not a readable Parquet file ({first})") from None
    columns = [
        [None if v is None or (isinstance(v, float) and math.isnan(v)) else _cell(str(v)) for v in column.to_pylist()]
        for column in table.columns
    ]
    return tuple(table.column_names), columns


def _read_csv(path: Path) -> tuple[tuple[str, ...], list[list[str | None]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: Excel's byte-order mark is not part of a name
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start}); save the file as UTF-8"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as e:
        raise DataError(f"{path}:{reader.line_num}: not a readable CSV file ({e})") from None
    if not records:
        raise DataError(f"{path}: no columns (the file is empty)")
    header = tuple(name.strip() for name in records[0][1])
    for line, row in records[1:]:
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: {len(row)} values, but the header has {len(header)} columns")
    columns = [[_cell(row[j]) for _, row in records[1:]] for j in range(len(header))]
    return header, columns


def check_path(path: str | Path) -> Path:
    """``path`` if it is a readable regular file of a supported type, else a :class:`DataError`."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}")
    if not path.exists():
        raise DataError(f"{path}: data file not found")
    if not path.is_file():  # a FIFO or a device would block or never end: never read one
        raise DataError(f"{path}: not a regular file; --data takes a CSV or Parquet file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: data file is empty")
    return path


def read_table(path: str | Path) -> Table:
    """A CSV (UTF-8) or Parquet file as text columns; empty, ragged or ambiguous files are refused."""
    path = check_path(path)
    header, columns = _read_parquet(path) if path.suffix.lower() != ".csv" else _read_csv(path)
    duplicates = [name for name, count in Counter(header).items() if count > 1]
    if duplicates:
        raise DataError(
            f"{path}: column {duplicates[0]!r} appears {header.count(duplicates[0])} times; "
            "every column needs a unique name"
        )
    if "" in header:
        raise DataError(f"{path}: column {header.index('') + 1} has no name; every column needs one")
    table = Table(str(path), header, dict(zip(header, columns, strict=True)))
    if len(table) == 0:
        raise DataError(f"{path}: no rows (only a header: {_names(header)})")
    return table


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _numbers(values: list[str | None], name: str, source: str, coerced: dict[str, int]) -> np.ndarray:
    """A numeric column as float64, NaN for missing; values that are not numbers become missing, with a warning."""
    out = np.full(len(values), np.nan)
    bad: list[int] = []
    for i, value in enumerate(values):
        if value is None:
            continue
        number = _number(value)
        if number is None or math.isnan(number):
            bad.append(i)
        elif math.isinf(number):
            kind = "a number too large for a 64-bit float" if value.lstrip("+-")[:1].isdigit() else "infinite"
            raise DataError(
                f"{source}: column {name!r} holds {kind} ({value[:20]!r}{'...' if len(value) > 20 else ''} in row "
                f"{i}); replace it with a number in range or leave the cell empty"
            )
        else:
            out[i] = number
    if bad:
        coerced[name] = len(bad)
        log.warning(
            "%s: column %r has %d value(s) that are not numbers (e.g. %r in row %d); read as missing and "
            "filled with the column's training median",
            source,
            name,
            len(bad),
            values[bad[0]],
            bad[0],
        )
    return out


def _looks_numeric(values: list[str | None]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and sum(_number(v) is not None for v in present) >= NUMERIC_SHARE * len(present)


def _looks_like_dates(values: list[str | None]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and sum(bool(_DATE.match(v)) for v in present) >= NUMERIC_SHARE * len(present)


def _is_integer(number: float) -> bool:
    return math.isfinite(number) and number == round(number)


def _flag_ids(table: Table, name: str, numbers: np.ndarray | None) -> None:
    """Warn about a column that looks like a row id: one value per row, learns nothing but the rows."""
    values = [v for v in table.columns[name] if v is not None]
    if len(values) < 20 or len(set(values)) < len(values):
        return
    if numbers is not None:
        present = numbers[~np.isnan(numbers)]
        steps = np.diff(present)
        if all(_is_integer(x) for x in present) and (np.all(steps > 0) or np.all(steps < 0)):
            log.warning(
                "%s: column %r holds a different integer in every row, in order, like a row id; as a feature it "
                "learns nothing that carries to new rows: pass --drop %s (predict then copies it to its output)",
                table.source,
                name,
                name,
            )
        return
    log.warning(
        "%s: column %r has a different value in every row, like an identifier; as a category it learns "
        "nothing that carries to new rows: pass --drop %s",
        table.source,
        name,
        name,
    )


def _regression_target(table: Table, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The labelled rows and their numeric target values."""
    values = table.columns[target]
    rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
    numbers = np.empty(len(rows))
    for k, i in enumerate(rows):
        number = _number(values[i])
        if number is None or not math.isfinite(number):
            raise DataError(
                f"{table.source}: target {target!r} has values that are not finite numbers (e.g. {values[i]!r} in "
                f"row {i}); a regression project predicts numbers (for classes, generate a classification project: "
                "scaffold new NAME --task tabular-classification)"
            )
        numbers[k] = number
    return rows, numbers


def class_order(labels: Sequence[str]) -> tuple[str, ...]:
    """Integer labels in numeric order (2 before 10), any other labels in text order."""
    distinct = set(labels)
    numbers = {v: _number(v) for v in distinct}
    if all(n is not None and _is_integer(n) for n in numbers.values()):
        return tuple(sorted(distinct, key=lambda v: numbers[v]))
    return tuple(sorted(distinct))


def _classification_target(table: Table, target: str) -> tuple[np.ndarray, list[str]]:
    values = table.columns[target]
    rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
    labels = [values[i] for i in rows]
    numbers = [_number(v) for v in labels]
    if labels and all(n is not None for n in numbers):
        fractional = next((v for v, n in zip(labels, numbers, strict=True) if not _is_integer(n)), None)
        if fractional is not None:
            raise DataError(
                f"{table.source}: target {target!r} holds decimal numbers (e.g. {fractional!r}), a quantity to "
                "predict, not classes; generate a regression project: scaffold new NAME --task tabular-regression"
            )
        distinct = len(set(labels))
        if distinct > MANY_CLASSES:
            log.warning(
                "%s: target %r holds %d distinct integers: this trains a classifier with %d classes; if it is a "
                "count or a quantity, generate a regression project (scaffold new NAME --task tabular-regression)",
                table.source,
                target,
                distinct,
                distinct,
            )
    return rows, labels


@dataclass
class Prepared:
    """A training table made ready: its features, target and what was done on the way."""

    schema: Schema
    features: Features
    rows: np.ndarray  # the labelled rows' positions in the file (0 = first data row)
    target: np.ndarray  # float64 values (regression) or int32 class ids
    classes: tuple[str, ...]  # () for regression
    unlabelled: int


def prepare_training(table: Table, target: str, drop: Sequence[str], *, regression: bool) -> Prepared:
    """Schema, features and target of a training table; every check of the data on the way."""
    source = table.source
    if target not in table.columns:
        raise DataError(
            f"{source}: target column {target!r} not found (pass --target COLUMN); columns: {_names(table.header)}"
        )
    unknown = [c for c in drop if c not in table.columns]
    if unknown:
        raise DataError(
            f"{source}: --drop names column(s) {_names(unknown)} that the file does not have; "
            f"columns: {_names(table.header)}"
        )
    if target in drop:
        raise DataError(f"{source}: the target {target!r} is also in --drop; remove it from there")
    if regression:
        rows, target_values = _regression_target(table, target)
        classes: tuple[str, ...] = ()
    else:
        rows, labels = _classification_target(table, target)
        classes = class_order(labels)
        index = {name: k for k, name in enumerate(classes)}
        target_values = np.array([index[v] for v in labels], dtype=np.int32)
    unlabelled = len(table) - len(rows)
    if len(rows) == 0:
        raise DataError(f"{source}: target column {target!r} has no values")
    if unlabelled:
        log.warning(
            "%s: %d row(s) have no value in %r and are left out (they cannot be learned from)",
            source,
            unlabelled,
            target,
        )
    if not regression and len(classes) < 2:
        raise DataError(
            f"{source}: the target {target!r} has a single class ({classes[0]!r}); a classifier needs at least two"
        )
    names = [c for c in table.header if c != target and c not in drop]
    if not names:
        raise DataError(f"{source}: no feature columns left besides the target {target!r} and --drop")
    labelled = Table(source, table.header, {c: [table.columns[c][i] for i in rows] for c in table.header})
    empty = [c for c in names if all(v is None for v in labelled.columns[c])]
    if empty:
        raise DataError(f"{source}: column(s) {_names(empty)} have no values at all; pass --drop for them")
    dates = [c for c in names if not _looks_numeric(labelled.columns[c]) and _looks_like_dates(labelled.columns[c])]
    if dates:
        example = next(v for v in labelled.columns[dates[0]] if v is not None)
        raise DataError(
            f"{source}: column {dates[0]!r} holds dates (e.g. {example!r}), which this model does not take as "
            f"they are: pass --drop {dates[0]}, or replace it with numbers (year, month, day of week)"
        )
    numeric = tuple(c for c in names if _looks_numeric(labelled.columns[c]))
    categorical = tuple(c for c in names if c not in numeric)
    schema = Schema(numeric, categorical, target, tuple(drop))
    features = features_for(labelled, schema)
    for name in names:
        _flag_ids(labelled, name, features.numeric[:, numeric.index(name)] if name in numeric else None)
    return Prepared(schema, features, rows, target_values, classes, unlabelled)


def features_for(table: Table, schema: Schema, ignore: Sequence[str] = ()) -> Features:
    """The model's feature columns from ``table``, typed as at training; a column mismatch is a DataError.

    The target, the training run's dropped columns and ``ignore`` (``--drop``) may be present; any other
    column is refused, since it usually means a renamed or misspelled feature.
    """
    missing = [c for c in schema.features if c not in table.columns]
    allowed = {*schema.features, schema.target, *schema.drop, *ignore}
    unexpected = [c for c in table.header if c not in allowed]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing feature column(s) {_names(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s) {_names(unexpected)} (pass --drop COLUMN to pass one through)")
        raise DataError(f"{table.source}: {'; '.join(parts)}; the model was trained on {_names(schema.features)}")
    coerced: dict[str, int] = {}
    numeric = np.zeros((len(table), len(schema.numeric)), dtype=np.float32)
    for j, name in enumerate(schema.numeric):
        column = _numbers(table.columns[name], name, table.source, coerced)
        if coerced.get(name) and np.isnan(column).all():
            example = next(v for v in table.columns[name] if v is not None)
            raise DataError(
                f"{table.source}: column {name!r} was numeric in training but holds no numbers here (e.g. {example!r})"
            )
        numeric[:, j] = column
    categorical = [
        np.array(["" if v is None else v for v in table.columns[name]], dtype=object).astype(str)
        for name in schema.categorical
    ]
    return Features(numeric, categorical, coerced)


def labels_for(table: Table, schema: Schema, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The labelled rows of a table to score and their targets: values (regression) or ids of the model's classes."""
    if schema.target not in table.columns:
        raise DataError(f"{table.source}: target column {schema.target!r} not found; scoring needs the true values")
    if not classes:
        return _regression_target(table, schema.target)
    rows, labels = _classification_target(table, schema.target)
    index = {name: k for k, name in enumerate(classes)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise DataError(
            f"{table.source}: label(s) {_names(unknown[:5])} in {schema.target!r} are not classes of "
            f"the model ({_names(classes)}); it cannot predict them"
        )
    return rows, np.array([index[v] for v in labels], dtype=np.int32)


def subset(table: Table, rows: Sequence[int] | np.ndarray) -> Table:
    """The table's rows at these positions."""
    return Table(table.source, table.header, {c: [v[i] for i in rows] for c, v in table.columns.items()})


def split_rows(
    target: np.ndarray, classes: Sequence[str], validation_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (into ``target``) of the training, validation and held-out test rows; stratified by class."""
    rng = np.random.default_rng(seed)
    if not classes:
        order = rng.permutation(len(target))
        n_test, n_val = round(len(target) * test_fraction), round(len(target) * validation_fraction)
        if len(target) - n_test - n_val < 10 or min(n_test, n_val) < 2:
            raise DataError(
                f"{len(target)} labelled rows are too few to split into training, validation and "
                "a held-out test set; add rows"
            )
        parts = (order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test])
        return tuple(np.sort(p) for p in parts)  # type: ignore[return-value]
    chosen: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for label, name in enumerate(classes):
        members = rng.permutation(np.flatnonzero(target == label))
        n_test = max(1, round(len(members) * test_fraction))
        n_val = max(1, round(len(members) * validation_fraction))
        if len(members) - n_test - n_val < 1:
            raise DataError(
                f"class {name!r} has {len(members)} row(s); every class needs at least 3 (training, "
                "validation and the held-out test each need one): add rows or remove that class"
            )
        chosen[2].append(members[:n_test])
        chosen[1].append(members[n_test : n_test + n_val])
        chosen[0].append(members[n_test + n_val :])
    train, validation, test = (np.sort(np.concatenate(p)) for p in chosen)
    return train, validation, test
