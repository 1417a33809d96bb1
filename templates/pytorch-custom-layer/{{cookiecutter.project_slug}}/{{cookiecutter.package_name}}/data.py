"""Data: synthetic spirals that need no download, your own CSV or Parquet table, and the schema the model keeps.

A table becomes float32 features and int64 class ids through a :class:`Schema` fitted on the training rows
only: which columns are features (matched by name, never by position), the fill value of each, the
standardisation statistics and the class names. The schema travels in the checkpoint, so ``evaluate`` and
``predict`` encode new rows exactly as training did, and refuse a table whose columns do not match.

This starter takes **numeric** feature columns. A column that is mostly numbers with a few stray values
(``"unknown"``, ``"?"``) is numeric: the stray and the missing cells are filled with the training median, and
a warning names the column and an example. A column of text is refused with its name (encode it as numbers,
or leave it out with ``--ignore``).
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .runtime import DataError, EnvironmentProblem, fingerprint, require_file

log = logging.getLogger(__package__)

MISSING = {"", "na", "n/a", "nan", "null", "none"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


@dataclass(frozen=True)
class Table:
    """Columns of raw cell values (text from a CSV, Python values from Parquet), in file order."""

    source: str
    columns: dict[str, list[Any]]
    fingerprint: str

    @property
    def num_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


def make_spirals(n_samples: int = 3000, num_classes: int = 3, noise: float = 0.3, seed: int = 0) -> Table:
    """Interleaved 2-D spirals, one arm per class: not linearly separable, learnable in seconds."""
    g = torch.Generator().manual_seed(seed)
    per_class = n_samples // num_classes
    x1: list[float] = []
    x2: list[float] = []
    labels: list[str] = []
    for k in range(num_classes):
        r = torch.linspace(0.1, 1.0, per_class)
        theta = 2.5 * math.pi * r + 2 * math.pi * k / num_classes + noise * torch.randn(per_class, generator=g)
        x1 += (r * torch.cos(theta)).tolist()
        x2 += (r * torch.sin(theta)).tolist()
        labels += [f"arm-{k}"] * per_class
    name = f"synthetic spirals (n={n_samples}, classes={num_classes}, seed={seed})"
    return Table(name, {"x1": x1, "x2": x2, "label": labels}, name)


def read_table(path: str | Path) -> Table:
    """A CSV (with a header, UTF-8) or Parquet file as a :class:`Table`; unusable files are a :class:`DataError`."""
    path = require_file(path)
    columns = _read_parquet(path) if path.suffix.lower() in PARQUET_SUFFIXES else _read_csv(path)
    table = Table(str(path), columns, fingerprint(path))
    if table.num_rows == 0:
        raise DataError(f"{path}: no data rows (only a header)")
    return table


def _read_csv(path: Path) -> dict[str, list[Any]]:
    try:
        # utf-8-sig: spreadsheet programs often start a UTF-8 CSV with a byte-order mark.
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or not any(name.strip() for name in header):
                raise DataError(f"{path}: no header row")
            _check_header(path, header)
            columns: dict[str, list[Any]] = {name: [] for name in header}
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue  # a blank line holds no row
                if len(row) != len(header):
                    raise DataError(f"{path}:{line}: {len(row)} fields, the header has {len(header)}")
                for name, value in zip(header, row, strict=True):
                    columns[name].append(value)
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8 CSV") from None
    except csv.Error as e:
        raise DataError(f"{path}: not a readable CSV ({e})") from None
    return columns


def _read_parquet(path: Path) -> dict[str, list[Any]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise EnvironmentProblem(
            f"{path}: reading Parquet needs pyarrow, which this project does not pin; `pip install pyarrow`"
        ) from None
    try:
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as e:
        raise DataError(f"{path}: not a readable Parquet file ({type(e).__name__}: {e})") from None
    _check_header(path, table.column_names)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _check_header(path: Path, header: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"{path}: column {name!r} appears twice in the header")
        seen.add(name)


def _number(value: Any) -> float | None:
    """``value`` as a float, ``None`` when it is missing; a ValueError when it is not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    number = float(text)
    return None if math.isnan(number) else number


def _label_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Parquet may hold integer labels as floats
    text = str(value).strip()
    return None if text.lower() in MISSING else text


def _sorted_classes(labels: set[str]) -> list[str]:
    """Integer labels in numeric order (so 2 < 10), any other labels in text order."""
    try:
        return sorted(labels, key=int)
    except ValueError:
        return sorted(labels)


@dataclass(frozen=True)
class Schema:
    """What the model was trained on; saved in the checkpoint and checked at evaluate and predict."""

    target: str
    features: tuple[str, ...]
    fill: tuple[float, ...]  # per feature: the training median, used for missing and non-numeric cells
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...]
    ignored: tuple[str, ...] = ()

    @property
    def num_features(self) -> int:
        return len(self.features)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "features": list(self.features),
            "fill": list(self.fill),
            "mean": list(self.mean),
            "std": list(self.std),
            "class_names": list(self.class_names),
            "ignored": list(self.ignored),
            "feature_types": {name: "numeric" for name in self.features},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        return cls(
            d["target"],
            tuple(d["features"]),
            tuple(d["fill"]),
            tuple(d["mean"]),
            tuple(d["std"]),
            tuple(d["class_names"]),
            tuple(d.get("ignored", ())),
        )

    @classmethod
    def fit(cls, table: Table, target: str, ignore: Sequence[str], rows: Sequence[int]) -> Schema:
        """Choose the feature columns of ``table`` and fit fill values and scale on ``rows`` (the training rows)."""
        if target not in table.columns:
            raise DataError(f"{table.source}: no target column {target!r} (columns: {', '.join(table.columns)})")
        unknown = [c for c in ignore if c not in table.columns]
        if unknown:
            raise DataError(f"{table.source}: --ignore names columns it does not have: {', '.join(unknown)}")
        features = [c for c in table.columns if c != target and c not in ignore]
        if not features:
            raise DataError(f"{table.source}: needs at least one feature column besides {target!r}")
        text_columns = [c for c in features if not _mostly_numeric(table.columns[c])]
        if text_columns:
            raise DataError(
                f"{table.source}: this starter takes numeric features only; not numeric: "
                f"{', '.join(text_columns)} (encode them as numbers, or leave them out with --ignore)"
            )
        classes = _sorted_classes({label for label in (_label_text(v) for v in table.columns[target]) if label})
        fills, means, stds = [], [], []
        for name in features:
            values = _numbers(table, name, warn=True)
            train_values = torch.tensor([values[i] for i in rows if values[i] is not None], dtype=torch.float64)
            if len(train_values) == 0:
                raise DataError(f"{table.source}: column {name!r} has no numbers in the training rows")
            fill = float(train_values.median())
            filled = torch.tensor([fill if values[i] is None else values[i] for i in rows], dtype=torch.float64)
            fills.append(fill)
            means.append(float(filled.mean()))
            # A constant column would divide by zero; leave it centred but unscaled.
            stds.append(max(float(filled.std()) if len(filled) > 1 else 0.0, 1e-8))
        return cls(target, tuple(features), tuple(fills), tuple(means), tuple(stds), tuple(classes), tuple(ignore))

    def check_columns(self, table: Table, *, need_target: bool) -> None:
        """Refuse a table whose columns are not the ones the model was trained on, naming the difference."""
        missing = [c for c in self.features if c not in table.columns]
        if need_target and self.target not in table.columns:
            missing.append(self.target)
        known = {*self.features, self.target, *self.ignored}
        unexpected = [c for c in table.columns if c not in known]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing columns: {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected columns: {', '.join(unexpected)}")
            raise DataError(
                f"{table.source}: does not match the model's schema; {'; '.join(parts)} "
                f"(the model was trained on: {', '.join(self.features)})"
            )

    def features_of(self, table: Table, rows: Sequence[int] | None = None, *, warn: bool = False) -> torch.Tensor:
        """Standardised float32 features of ``rows`` (default: all), columns looked up by name."""
        rows = range(table.num_rows) if rows is None else rows
        out = torch.empty((len(rows), self.num_features), dtype=torch.float64)
        for j, name in enumerate(self.features):
            values = _numbers(table, name, warn=warn)
            col = torch.tensor([self.fill[j] if values[i] is None else values[i] for i in rows], dtype=torch.float64)
            out[:, j] = (col - self.mean[j]) / self.std[j]
        return out.to(torch.float32)

    def labels_of(self, table: Table, rows: Sequence[int] | None = None) -> torch.Tensor:
        """Class ids of ``rows`` through the saved ``class_names``; a label the model never saw is refused."""
        rows = range(table.num_rows) if rows is None else rows
        index = {name: i for i, name in enumerate(self.class_names)}
        raw = table.columns[self.target]
        ids = []
        for i in rows:
            label = _label_text(raw[i])
            if label is None:
                raise DataError(f"{table.source}: row {i + 1} has no {self.target!r} value")
            if label not in index:
                raise DataError(
                    f"{table.source}: row {i + 1} has {self.target!r} = {label!r}, a class the model "
                    f"was not trained on (its classes: {', '.join(self.class_names)})"
                )
            ids.append(index[label])
        return torch.tensor(ids, dtype=torch.int64)


def _mostly_numeric(values: Sequence[Any]) -> bool:
    """More than half of the present cells parse as numbers: a numeric column, perhaps with stray values."""
    good = bad = 0
    for v in values:
        try:
            if _number(v) is not None:
                good += 1
        except ValueError:
            bad += 1
    return good > bad


def _numbers(table: Table, name: str, *, warn: bool) -> list[float | None]:
    """The column as floats, ``None`` for missing or non-numeric cells (counted in a warning); inf is refused."""
    out: list[float | None] = []
    missing, stray, example = 0, 0, None
    for i, v in enumerate(table.columns[name]):
        try:
            number = _number(v)
        except ValueError:
            number, stray = None, stray + 1
            example = example or (repr(v), i + 1)
        else:
            if number is None:
                missing += 1
            elif math.isinf(number):
                raise DataError(
                    f"{table.source}: column {name!r} row {i + 1} is {v!r}; the model cannot take infinite values"
                )
        out.append(number)
    if warn and (missing or stray):
        what = []
        if stray:
            what.append(f"{stray} not a number (e.g. {example[0]} in row {example[1]})")
        if missing:
            what.append(f"{missing} missing")
        log.warning("column %r: %s of %d values; filled with the training median", name, ", ".join(what), len(out))
    return out


def class_labels(table: Table, target: str) -> list[str]:
    """The target column as label text, refusing an empty cell (a row without a label cannot be trained on)."""
    if target not in table.columns:
        raise DataError(f"{table.source}: no target column {target!r} (columns: {', '.join(table.columns)})")
    labels = []
    for i, v in enumerate(table.columns[target]):
        label = _label_text(v)
        if label is None:
            raise DataError(f"{table.source}: row {i + 1} has no {target!r} value")
        labels.append(label)
    return labels


@dataclass(frozen=True)
class Split:
    """Row ids (0-based data rows of the table) of the three disjoint parts."""

    train: tuple[int, ...]
    val: tuple[int, ...]  # checkpoint choice and early stopping
    test: tuple[int, ...]  # scored once, by `evaluate`, never seen by training or model choice


def stratified_split(labels: Sequence[str], val_fraction: float, test_fraction: float, seed: int) -> Split:
    """Cut every class into train / validation / test shares with ``seed`` (identical on every rank)."""
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    if len(by_class) < 2:
        only = next(iter(by_class), "none")
        raise DataError(f"the target has a single class ({only!r}); a classifier needs at least two")
    small = {label: len(rows) for label, rows in by_class.items() if len(rows) < 3}
    if small:
        listed = ", ".join(f"{label!r} ({n})" for label, n in sorted(small.items()))
        raise DataError(f"too few rows for a train/validation/test split: classes with fewer than 3 rows: {listed}")
    g = torch.Generator().manual_seed(seed)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for label in sorted(by_class):
        rows = by_class[label]
        order = [rows[i] for i in torch.randperm(len(rows), generator=g).tolist()]
        n_test = min(max(1, round(len(rows) * test_fraction)), len(rows) - 2)
        n_val = min(max(1, round((len(rows) - n_test) * val_fraction)), len(rows) - n_test - 1)
        test += order[:n_test]
        val += order[n_test : n_test + n_val]
        train += order[n_test + n_val :]
    return Split(tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test)))
