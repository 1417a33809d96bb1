"""Loading examples: your own table (CSV or Parquet), or data that needs no download.

A table has a header row, feature columns and one target column (``--target``). Each feature column is
typed from its training values: *numeric* (at least 90 % of its values are numbers; the few others are
read as missing, with a warning), *date* (every value an ISO date such as ``2024-03-01``; it becomes
year, month, day and day-of-week numbers) or *categorical* (anything else: text codes, ``yes``/``no``).
Empty cells, ``NA``, ``NaN`` and ``null`` are missing values; the model fills them with statistics of the
training rows (see ``model.py``). Everything here is plain Python and NumPy, so bad data is refused
before Keras starts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from .config import REGRESSION, DataConfig
from .runtime import DataError, EnvironmentProblem, fingerprint, require_file

log = logging.getLogger(__name__)

PARQUET_SUFFIXES = (".parquet", ".pq")
#: Cells that mean "no value" (compared in lower case), as pandas, R and spreadsheets write them.
MISSING = frozenset({"", "na", "n/a", "nan", "null"})
# A column is numeric when at least this share of its values are numbers: one stray "unknown" among
# hundreds of measurements is a typo, not a category (the scikit-learn starter's rule).
NUMERIC_SHARE = 0.9
#: What a date column becomes: numbers the network can use, instead of one category per day.
DATE_PARTS = ("year", "month", "day", "dayofweek")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_INTEGER = re.compile(r"[+-]?\d+")
# An integer target with more distinct values than this is probably a quantity, not a set of classes.
MANY_CLASSES = 20
FLOAT32_MAX = float(np.finfo("float32").max)
REGRESSION_HINT = "scaffold new NAME --task tabular-regression"


@dataclass(frozen=True)
class Table:
    """A file's header and its rows as text, exactly as read (``line`` numbers point into the file)."""

    source: str
    header: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def where(self, i: int) -> str:
        """Where row ``i`` is, for error messages."""
        return f"{self.source}:{self.lines[i]}"


@dataclass(frozen=True)
class Schema:
    """The feature columns by kind, in file order; saved in the model card and checked at evaluate/predict."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    dates: tuple[str, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return (*self.numeric, *self.dates, *self.categorical)

    @property
    def numeric_inputs(self) -> tuple[str, ...]:
        """The columns of the model's numeric input: numeric features, then each date's parts."""
        return (*self.numeric, *(f"{name}_{part}" for name in self.dates for part in DATE_PARTS))

    def kinds(self) -> dict[str, str]:
        kinds = {name: "numeric" for name in self.numeric}
        kinds.update({name: "date" for name in self.dates})
        kinds.update({name: "categorical" for name in self.categorical})
        return kinds

    @classmethod
    def from_kinds(cls, features: Sequence[str], kinds: dict[str, str]) -> Schema:
        def of(kind: str) -> tuple[str, ...]:
            return tuple(name for name in features if kinds.get(name) == kind)

        return cls(of("numeric"), of("categorical"), of("date"))


@dataclass(frozen=True)
class Features:
    """The model's inputs before Keras: numbers (NaN where missing) and category text (None where missing)."""

    numeric: np.ndarray  # float32, one column per Schema.numeric_inputs
    categorical: np.ndarray  # object, one column per Schema.categorical

    def take(self, index: np.ndarray) -> Features:
        return Features(self.numeric[index], self.categorical[index])


@dataclass(frozen=True)
class Dataset:
    """Features, the target (class ids into ``classes``, or numbers) and each row's index in its source table."""

    features: Features
    target: np.ndarray
    schema: Schema
    classes: tuple[str, ...]  # empty for regression
    rows: np.ndarray

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.schema.features

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def labels(self) -> np.ndarray:
        return self.target

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.features.take(index), self.target[index], self.schema, self.classes, self.rows[index])

    def __len__(self) -> int:
        return len(self.target)


def make_spirals(
    samples: int = 1500, classes: int = 3, noise: float = 0.2, seed: int = 42
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spiral arms, one per class: not linearly separable, so hidden layers matter."""
    if samples < classes or classes < 2:
        raise DataError(f"need classes >= 2 and samples >= classes, got samples={samples}, classes={classes}")
    rng = np.random.default_rng(seed)
    labels = np.arange(samples) % classes
    radius = rng.uniform(0.05, 1.0, samples)
    # Each arm winds through 1.5 turns; the class offsets the starting angle evenly.
    angle = 3.0 * np.pi * radius + 2.0 * np.pi * labels / classes
    angle = angle + rng.normal(0.0, noise, samples)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    order = rng.permutation(samples)
    return points[order].astype("float32"), labels[order].astype("int32")


def spirals_table(config: DataConfig) -> Table:
    """The synthetic spirals as a table with a ``label`` column, the same shape as a user's file."""
    points, labels = make_spirals(config.samples, config.classes, config.noise, config.seed)
    # repr() of a float32 widened to float64 reads back to the same float32: the table is lossless.
    rows = [
        [*(repr(float(value)) for value in row), str(label)] for row, label in zip(points, labels.tolist(), strict=True)
    ]
    return Table("synthetic spirals", ("x", "y", "label"), rows, list(range(2, len(rows) + 2)))


def used_cars_table(samples: int = 800, seed: int = 42) -> Table:
    """Generated used-car listings with a learnable price: the bundled regression table (``make-data``).

    Every kind of column a real table brings: numbers, categories, a date, and missing values (about
    4 % of mileage and fuel). The price follows age, mileage, engine size, fuel, body and the listing
    month, plus noise, so a model that learns the columns beats predicting the mean by far.
    """
    rng = np.random.default_rng(seed)
    fuels, bodies = ("petrol", "diesel", "hybrid", "electric"), ("hatchback", "sedan", "estate", "suv")
    age = rng.integers(0, 16, samples)
    mileage = np.clip(age * rng.normal(13000, 4000, samples) + rng.normal(5000, 3000, samples), 100, None)
    engine = np.round(rng.choice([1.0, 1.2, 1.4, 1.6, 2.0, 2.5, 3.0], samples), 1)
    fuel = rng.choice(len(fuels), samples, p=[0.45, 0.3, 0.15, 0.1])
    body = rng.choice(len(bodies), samples)
    day = rng.integers(0, 730, samples)
    listed = np.datetime64("2023-01-01") + day.astype("timedelta64[D]")
    month = (listed.astype("datetime64[M]").astype(int) % 12) + 1
    price = (
        32000 * 0.88**age
        - 0.04 * mileage
        + 4000 * (engine - 1.6)
        + np.array([0, 1500, 3500, 6000])[fuel]
        + np.array([-2000, 0, 1000, 4000])[body]
        + 800 * np.isin(month, [3, 4, 5])  # spring sells better
        + rng.normal(0, 1200, samples)
    )
    price = np.clip(price, 500, None)
    rows = []
    for i in range(samples):
        rows.append(
            [
                str(int(age[i])),
                "" if rng.random() < 0.04 else str(int(mileage[i])),
                f"{engine[i]:.1f}",
                "" if rng.random() < 0.04 else fuels[fuel[i]],
                bodies[body[i]],
                str(listed[i]),
                str(int(round(price[i], -1))),
            ]
        )
    header = ("age_years", "mileage_km", "engine_litres", "fuel", "body", "listed", "price")
    return Table("generated used cars", header, rows, list(range(2, samples + 2)))


def _read_parquet(path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EnvironmentProblem(
            f"{path}: reading Parquet needs pyarrow (pip install pyarrow), or save it as CSV"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several unrelated types for a damaged file
        raise DataError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    # Missing values become empty cells, dates ISO text: CSV and Parquet are read by the same rules.
    rows = [["" if value is None else _cell(value) for value in row] for row in zip(*columns, strict=True)]
    return Table(str(path), tuple(table.column_names), rows, list(range(1, len(rows) + 1)))


def _cell(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def read_table(path: str | Path) -> Table:
    """A CSV (UTF-8) or Parquet file as text cells; empty, undecodable or ragged files are refused."""
    path = Path(path)
    if path.exists() and not path.is_file():
        # A FIFO or a device would block or read garbage; a folder is not a table either.
        raise DataError(f"{path}: not a regular file; give a CSV or Parquet file")
    path = require_file(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        table = _read_parquet(path)
    else:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DataError(
                f"{path}: not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start}); "
                "save it as UTF-8 CSV"
            ) from None
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            records = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
        except csv.Error as error:
            raise DataError(f"{path}:{reader.line_num}: not valid CSV ({error})") from None
        if not records:
            raise DataError(f"{path}: empty file (no header row)")
        header = tuple(name.strip() for name in records[0][1])
        for line, row in records[1:]:
            if len(row) != len(header):
                raise DataError(f"{path}:{line}: {len(row)} values, the header has {len(header)}")
        table = Table(str(path), header, [row for _, row in records[1:]], [line for line, _ in records[1:]])
    duplicates = sorted({name for name in table.header if table.header.count(name) > 1})
    if duplicates or "" in table.header:
        named = ", ".join(duplicates) if duplicates else "an empty name"
        raise DataError(f"{path}: every column needs a unique, non-empty name (found {named})")
    if not table.rows:
        raise DataError(f"{path}: no data rows, only a header")
    return table


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def _shown(cell: str) -> str:
    """A cell for an error message: a 400-digit number is cut, not printed whole."""
    cell = cell.strip()
    return repr(cell) if len(cell) <= 24 else f"{cell[:12]!r}... ({len(cell)} characters)"


def numbers(table: Table, name: str, *, warn: bool = True) -> np.ndarray:
    """Column ``name`` as float32, NaN where missing; text is read as missing (with a warning).

    A number too large for float32 (``1e39``, a 400-digit integer) or an infinity is refused, naming the
    row: the network cannot take it, and reading it as missing would hide a broken file.
    """
    values = np.full(len(table.rows), np.nan, dtype="float32")
    bad: list[int] = []
    for i, cell in enumerate(table.column(name)):
        if _is_missing(cell):
            continue
        try:
            number = float(cell)
        except ValueError:
            bad.append(i)
            continue
        if np.isnan(number):
            continue
        if abs(number) > FLOAT32_MAX:
            raise DataError(
                f"{table.where(i)}: column {name!r} holds {_shown(cell)}, which is not a finite number the "
                "network can take (beyond float32); replace it or leave the cell empty"
            )
        values[i] = number
    if bad and warn:
        example = table.column(name)[bad[0]]
        log.warning(
            "%s: column %r has %d value(s) that are not numbers (e.g. %s at line %d); read as missing and "
            "filled with the column's training median",
            table.source,
            name,
            len(bad),
            _shown(example),
            table.lines[bad[0]],
        )
    return values


def _date_parts(table: Table, name: str) -> np.ndarray:
    """Year, month, day and day of week of an ISO date column; a value that is no date is missing."""
    parts = np.full((len(table.rows), len(DATE_PARTS)), np.nan, dtype="float32")
    unreadable = 0
    for i, cell in enumerate(table.column(name)):
        if _is_missing(cell):
            continue
        try:
            when = datetime.fromisoformat(cell.strip())
        except ValueError:
            unreadable += 1
            continue
        parts[i] = (when.year, when.month, when.day, when.weekday())
    if unreadable:
        log.warning("%s: column %r has %d value(s) that are not dates; read as missing", table.source, name, unreadable)
    return parts


def _categories(table: Table, name: str) -> list[str | None]:
    return [None if _is_missing(cell) else cell.strip() for cell in table.column(name)]


def _kind(table: Table, name: str) -> str:
    """``numeric``, ``date`` or ``categorical``, from the column's values (see the module docstring)."""
    present = [cell.strip() for cell in table.column(name) if not _is_missing(cell)]
    if not present:
        raise DataError(f"{table.source}: column {name!r} has no values at all; add it to --drop")
    readable = 0
    for cell in present:
        try:
            float(cell)
        except ValueError:
            continue
        readable += 1
    if readable / len(present) >= NUMERIC_SHARE:
        return "numeric"
    if all(_DATE.fullmatch(cell) for cell in present):
        return "date"
    return "categorical"


def _warn_if_id(table: Table, name: str, kind: str) -> None:
    """A column unique per row is usually an identifier: as a feature it invites memorising rows."""
    cells = [cell.strip() for cell in table.column(name)]
    if len(cells) < 20 or len(set(cells)) < len(cells):
        return
    if kind == "numeric" and all(_INTEGER.fullmatch(cell) for cell in cells):
        values = [int(cell) for cell in cells]
        steps = np.diff(np.array(values, dtype=object)) if len(values) > 1 else np.array([])
        if all(step > 0 for step in steps) or all(step < 0 for step in steps):
            log.warning(
                "%s: column %r holds unique, monotonic integers, like a row id; as a feature it learns "
                "nothing that carries over to new rows (pass --drop %s if it is an id)",
                table.source,
                name,
                name,
            )
    elif kind == "categorical":
        log.warning(
            "%s: column %r has a distinct value in every row (%d), like an identifier; as a category it "
            "learns little (pass --drop %s if it is an id)",
            table.source,
            name,
            len(cells),
            name,
        )


def infer_schema(table: Table, names: Sequence[str]) -> Schema:
    """Type each feature column from its values, warning about columns that look like identifiers."""
    kinds = {}
    for name in names:
        kinds[name] = _kind(table, name)
        _warn_if_id(table, name, kinds[name])
    return Schema.from_kinds(names, kinds)


def features_of(table: Table, schema: Schema, index: np.ndarray | None = None) -> Features:
    """The schema's columns of ``table`` (rows ``index``, default all) as the model's raw inputs."""
    blocks = [numbers(table, name)[:, None] for name in schema.numeric]
    blocks += [_date_parts(table, name) for name in schema.dates]
    numeric = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(table.rows), 0), dtype="float32")
    categorical = np.empty((len(table.rows), len(schema.categorical)), dtype=object)
    for j, name in enumerate(schema.categorical):
        categorical[:, j] = _categories(table, name)
    features = Features(numeric.astype("float32"), categorical)
    return features if index is None else features.take(index)


def _class_order(values: Iterable[str]) -> tuple[str, ...]:
    """Integer labels in numeric order (2 before 10), any other labels in text order."""
    distinct = set(values)
    if all(_INTEGER.fullmatch(value) for value in distinct):
        return tuple(sorted(distinct, key=int))
    return tuple(sorted(distinct))


def label_ids(table: Table, target: str, classes: Sequence[str], index: np.ndarray | None = None) -> np.ndarray:
    """The target column as ids into ``classes``; a label the model does not know is refused by name."""
    cells = table.column(target)
    values = [cells[i].strip() for i in (range(len(cells)) if index is None else index.tolist())]
    lookup = {name: k for k, name in enumerate(classes)}
    unknown = sorted(set(values) - set(lookup))
    if unknown:
        shown = ", ".join(repr(value) for value in unknown[:5])
        raise DataError(
            f"{table.source}: label(s) {shown} in column {target!r} are not among the model's classes "
            f"({', '.join(map(repr, classes))})"
        )
    return np.array([lookup[value] for value in values], dtype="int32")


def target_values(table: Table, target: str, index: np.ndarray) -> np.ndarray:
    """A regression target as float32; text or an infinite value is refused, naming the row."""
    cells = table.column(target)
    values = np.empty(len(index), dtype="float32")
    for k, i in enumerate(index.tolist()):
        try:
            number = float(cells[i])
        except ValueError:
            raise DataError(
                f"{table.where(i)}: the target {target!r} holds {_shown(cells[i])}, not a number; a regression "
                "project predicts numbers (for labels generate one with scaffold new NAME --task tabular-classification)"
            ) from None
        if not abs(number) <= FLOAT32_MAX:
            raise DataError(f"{table.where(i)}: the target {target!r} holds {_shown(cells[i])}, not a finite number")
        values[k] = number
    return values


def labelled_rows(table: Table, target: str) -> np.ndarray:
    """Indices of the rows that have a target value; the others are counted and left out."""
    cells = table.column(target)
    labelled = np.array([i for i, cell in enumerate(cells) if not _is_missing(cell)], dtype="int64")
    if len(labelled) < len(cells):
        log.warning(
            "%s: %d row(s) have no value in %r and are left out (they cannot be learned from)",
            table.source,
            len(cells) - len(labelled),
            target,
        )
    return labelled


def _classes(table: Table, target: str, rows: np.ndarray) -> tuple[str, ...]:
    cells = table.column(target)
    values = [cells[i].strip() for i in rows.tolist()]
    fractional = []
    for value in values:
        try:
            number = float(value)
        except ValueError:
            break
        if np.isfinite(number) and not number.is_integer():
            fractional.append(value)
    else:
        if fractional:
            raise DataError(
                f"{table.source}: the target {target!r} holds decimal numbers (e.g. {_shown(fractional[0])}), which "
                f"a classifier cannot learn as classes; to predict a number generate a regression project: "
                f"{REGRESSION_HINT}"
            )
    classes = _class_order(values)
    if len(classes) < 2:
        raise DataError(
            f"{table.source}: column {target!r} holds one class only ({classes[0]!r}); a classifier needs two"
        )
    if len(classes) > MANY_CLASSES and all(_INTEGER.fullmatch(value) for value in classes):
        log.warning(
            "%s: the target %r has %d distinct integer values, so the model learns %d classes; if it is a "
            "quantity, generate a regression project (%s)",
            table.source,
            target,
            len(classes),
            len(classes),
            REGRESSION_HINT,
        )
    return classes


def training_dataset(table: Table, target: str, drop: Sequence[str] = ()) -> Dataset:
    """The labelled rows of ``table`` as a dataset: features are all columns but ``target`` and ``drop``."""
    if target not in table.header:
        raise DataError(
            f"{table.source}: no column {target!r} to predict (columns: {', '.join(table.header)}); pass --target"
        )
    unknown = sorted(set(drop) - set(table.header))
    if unknown:
        raise DataError(f"{table.source}: --drop names no such column: {', '.join(unknown)}")
    if target in drop:
        raise DataError(f"{table.source}: the target {target!r} is also in --drop; remove it from drop")
    names = tuple(name for name in table.header if name != target and name not in drop)
    if not names:
        raise DataError(f"{table.source}: no feature columns besides {target!r}")
    rows = labelled_rows(table, target)
    if not len(rows):
        raise DataError(f"{table.source}: the target column {target!r} has no values")
    labelled = Table(
        table.source, table.header, [table.rows[i] for i in rows.tolist()], [table.lines[i] for i in rows.tolist()]
    )
    schema = infer_schema(labelled, names)
    features = features_of(table, schema, rows)
    if REGRESSION:
        return Dataset(features, target_values(table, target, rows), schema, (), rows)
    classes = _classes(table, target, rows)
    return Dataset(features, label_ids(table, target, classes, rows), schema, classes, rows)


def load_training_table(config: DataConfig) -> tuple[Table, str]:
    """The configured data and its fingerprint: the file at ``config.path``, or the synthetic spirals."""
    if config.path:
        table = read_table(config.path)
        return table, fingerprint(config.path)
    table = spirals_table(config)
    digest = hashlib.sha256("\n".join(",".join(row) for row in table.rows).encode()).hexdigest()
    return table, digest


def split(
    dataset: Dataset, validation_fraction: float, test_fraction: float, seed: int
) -> tuple[Dataset, Dataset, Dataset]:
    """Train, validation and test sets, disjoint (stratified by class for a classifier), reproducible from ``seed``.

    Validation rows steer early stopping, checkpoint choice and the sweep; test rows are only ever
    scored, so the reported metrics come from rows that nothing was tuned on.
    """
    rng = np.random.default_rng(seed)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    groups = (
        [("all rows", np.arange(len(dataset)))]
        if not dataset.classes
        else [(name, np.flatnonzero(dataset.target == k)) for k, name in enumerate(dataset.classes)]
    )
    for name, group in groups:
        members = rng.permutation(group)
        needed = 3 if dataset.classes else 10
        if len(members) < needed:
            what = f"class {name!r} has" if dataset.classes else "the data has"
            each = "each class needs" if dataset.classes else "regression needs"
            raise DataError(
                f"{what} {len(members)} row(s); {each} at least {needed} (for training, validation and test)"
            )
        n_test = max(1, round(len(members) * test_fraction))
        n_validation = max(1, round(len(members) * validation_fraction))
        if n_test + n_validation >= len(members):
            n_test, n_validation = 1, 1
        parts[2].extend(members[:n_test])
        parts[1].extend(members[n_test : n_test + n_validation])
        parts[0].extend(members[n_test + n_validation :])
    train, validation, test = (dataset.subset(np.sort(np.array(part, dtype="int64"))) for part in parts)
    return train, validation, test


def subset_by_rows(dataset: Dataset, rows: Sequence[int]) -> Dataset:
    """The rows of ``dataset`` with these source row indices (a saved split applied again)."""
    position = {row: k for k, row in enumerate(dataset.rows.tolist())}
    return dataset.subset(np.array([position[row] for row in rows], dtype="int64"))


def check_columns(table: Table, features: Sequence[str], allowed: Iterable[str]) -> None:
    """Refuse a table whose columns are not the model's features (plus ``allowed`` extras, e.g. the label)."""
    missing = [name for name in features if name not in table.header]
    extra = set(allowed)
    unexpected = [name for name in table.header if name not in features and name not in extra]
    if missing or unexpected:
        found = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(unexpected)} (pass --drop COLUMN to pass one through)" if unexpected else "",
            )
            if part
        )
        raise DataError(
            f"{table.source}: columns do not match the model: {found} (it was trained on {', '.join(features)})"
        )


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write a CSV atomically: the old file stays until the new one is complete; unwritable is a DataError."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise DataError(f"{path}: cannot write here ({error.strerror or error})") from None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def ensure_writable(folder: str | Path) -> Path:
    """Fail before training, not after it, when the artifacts folder cannot be written."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise DataError(f"{folder}: cannot write the artifacts here ({error.strerror or error})") from None
    return folder
