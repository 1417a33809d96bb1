"""Loading examples: your own table (CSV or Parquet) or synthetic spirals that need no download.

A table has a header row, numeric feature columns and one label column (``--target``, ``label`` by
default) whose values may be strings or integers. This starter takes numeric features only: a column
that holds text is refused with its name and an example value (drop it with ``--drop`` or encode it).
Every row is used or the whole file is refused; no row is ever skipped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import DataConfig
from .runtime import DataError, EnvironmentProblem, fingerprint, require_file

PARQUET_SUFFIXES = (".parquet", ".pq")


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
class Dataset:
    """Features as float32 rows, label ids into ``classes``, and each row's index in its source table."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    rows: np.ndarray

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.features[index], self.labels[index], self.feature_names, self.classes, self.rows[index])

    def __len__(self) -> int:
        return len(self.labels)


def make_spirals(samples: int = 1500, classes: int = 3, noise: float = 0.2, seed: int = 42) -> Dataset:
    """Interleaved 2-D spiral arms, one per class: not linearly separable, so hidden layers matter."""
    if samples < classes or classes < 2:
        raise DataError(f"need classes >= 2 and samples >= classes, got samples={samples}, classes={classes}")
    rng = np.random.default_rng(seed)
    labels = np.arange(samples) % classes
    radius = rng.uniform(0.05, 1.0, samples)
    # Each arm winds through 1.5 turns; the class offsets the starting angle evenly.
    angle = 3.0 * np.pi * radius + 2.0 * np.pi * labels / classes
    angle = angle + rng.normal(0.0, noise, samples)
    features = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    order = rng.permutation(samples)
    names = tuple(str(k) for k in range(classes))
    return Dataset(
        features[order].astype("float32"), labels[order].astype("int32"), ("x", "y"), names, np.arange(samples)
    )


def spirals_table(config: DataConfig) -> Table:
    """The synthetic data as a table with a ``label`` column, the same shape as a user's file."""
    dataset = make_spirals(config.samples, config.classes, config.noise, config.seed)
    # repr() of a float32 widened to float64 reads back to the same float32: the table is lossless.
    rows = [
        [*(repr(float(value)) for value in row), dataset.classes[label]]
        for row, label in zip(dataset.features, dataset.labels.tolist(), strict=True)
    ]
    return Table("synthetic spirals", (*dataset.feature_names, "label"), rows, list(range(2, len(rows) + 2)))


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
    # Missing values become empty cells so that CSV and Parquet are refused with the same message.
    rows = [["" if value is None else str(value) for value in row] for row in zip(*columns, strict=True)]
    return Table(str(path), tuple(table.column_names), rows, list(range(1, len(rows) + 1)))


def read_table(path: str | Path) -> Table:
    """A CSV (UTF-8) or Parquet file as text cells; empty, undecodable or ragged files are refused."""
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


def numeric_features(table: Table, names: Sequence[str]) -> np.ndarray:
    """The named columns as float32; text, missing and non-finite values are refused, naming the column."""
    matrix = np.empty((len(table.rows), len(names)), dtype="float32")
    text_columns = []
    for j, name in enumerate(names):
        column = table.column(name)
        for i, cell in enumerate(column):
            if not cell.strip():
                raise DataError(f"{table.where(i)}: column {name!r} has a missing value; fill or remove it")
            try:
                matrix[i, j] = float(cell)
            except ValueError:
                text_columns.append(f"{name!r} (e.g. {cell!r} at line {table.lines[i]})")
                break
            if not np.isfinite(matrix[i, j]):
                raise DataError(f"{table.where(i)}: column {name!r} holds {cell!r}, which the network cannot take")
    if text_columns:
        raise DataError(
            f"{table.source}: this starter takes numeric feature columns only; not numeric: {', '.join(text_columns)}"
            " (remove them with --drop, or encode them as numbers)"
        )
    return matrix


def _class_order(values: Iterable[str]) -> tuple[str, ...]:
    """Integer labels in numeric order (2 before 10), any other labels in text order."""
    distinct = set(values)
    try:
        return tuple(sorted(distinct, key=int))
    except ValueError:
        return tuple(sorted(distinct))


def label_ids(table: Table, target: str, classes: Sequence[str]) -> np.ndarray:
    """The target column as ids into ``classes``; a label the model does not know is refused by name."""
    values = [cell.strip() for cell in table.column(target)]
    index = {name: k for k, name in enumerate(classes)}
    unknown = sorted(set(values) - set(index))
    if unknown:
        shown = ", ".join(repr(value) for value in unknown[:5])
        raise DataError(
            f"{table.source}: label(s) {shown} in column {target!r} are not among the model's classes "
            f"({', '.join(map(repr, classes))})"
        )
    return np.array([index[value] for value in values], dtype="int32")


def training_dataset(table: Table, target: str, drop: Sequence[str] = ()) -> Dataset:
    """Every row of ``table`` as a labelled dataset: features are all columns but ``target`` and ``drop``."""
    if target not in table.header:
        raise DataError(
            f"{table.source}: no column {target!r} to predict (columns: {', '.join(table.header)}); pass --target"
        )
    unknown = sorted(set(drop) - set(table.header))
    if unknown:
        raise DataError(f"{table.source}: --drop names no such column: {', '.join(unknown)}")
    names = tuple(name for name in table.header if name != target and name not in drop)
    if not names:
        raise DataError(f"{table.source}: no feature columns besides {target!r}")
    labels = [cell.strip() for cell in table.column(target)]
    if "" in labels:
        raise DataError(f"{table.where(labels.index(''))}: the label column {target!r} is empty in this row")
    classes = _class_order(labels)
    if len(classes) < 2:
        raise DataError(
            f"{table.source}: column {target!r} holds one class only ({classes[0]!r}); a classifier needs two"
        )
    features = numeric_features(table, names)
    return Dataset(features, label_ids(table, target, classes), names, classes, np.arange(len(table.rows)))


def load_training_table(config: DataConfig) -> tuple[Table, str]:
    """The configured data and its fingerprint: the file at ``config.path``, or synthetic spirals."""
    if config.path:
        table = read_table(config.path)
        return table, fingerprint(config.path)
    table = spirals_table(config)
    digest = hashlib.sha256("\n".join(",".join(row) for row in table.rows).encode()).hexdigest()
    return table, digest


def split(
    dataset: Dataset, validation_fraction: float, test_fraction: float, seed: int
) -> tuple[Dataset, Dataset, Dataset]:
    """Train, validation and test sets, disjoint and stratified by class, reproducible from ``seed``.

    Validation rows steer early stopping, checkpoint choice and the sweep; test rows are only ever
    scored, so the reported accuracy comes from rows that nothing was tuned on.
    """
    rng = np.random.default_rng(seed)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for k, name in enumerate(dataset.classes):
        members = rng.permutation(np.flatnonzero(dataset.labels == k))
        if len(members) < 3:
            raise DataError(
                f"class {name!r} has {len(members)} row(s); each class needs at least 3 "
                "(one each for training, validation and test)"
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
    return dataset.subset(np.asarray(rows, dtype="int64"))


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
                f"unexpected {', '.join(unexpected)}" if unexpected else "",
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
