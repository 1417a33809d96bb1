"""Data: synthetic spirals that need no download, your own CSV or Parquet table, and the schema the model keeps.

A table becomes model inputs through a :class:`Schema` fitted on the training rows only: which columns are
features (matched by name, never by position) and of which kind, and every statistic the encoding needs.
The schema travels in the checkpoint, so ``evaluate`` and ``predict`` encode new rows exactly as training
did, and refuse a table whose columns do not match. What happens to each kind of column:

* **numeric** (at least 90% of its present cells are numbers): standardised with the training rows' mean
  and standard deviation; missing cells and stray text (``"unknown"``, ``"?"``, with a warning that names
  the column) take the training median, and a 0/1 *missing* indicator beside it tells the network which
  cells were filled (for every column that had gaps in the training rows).
* **date** (ISO dates such as ``2024-05-31`` or ``2024-05-31T12:00``, or Parquet dates): calendar numbers,
  year, month, day of the month and day of the week, each treated as a numeric column.
* **categorical** (any other text): a vocabulary of the training rows' values; index 0 stands for a value
  never seen in training and for a missing cell, and ``evaluate``/``predict`` count such values by column.
  The network gives each column its own ``nn.Embedding``.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .runtime import DataError, EnvironmentProblem, fingerprint, require_file

log = logging.getLogger(__package__)

MISSING = {"", "na", "n/a", "nan", "null", "none"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
# A column is numeric (or a date column) when at least this share of its present cells are numbers (dates):
# one stray "unknown" among hundreds of measurements is a typo, not a category with hundreds of levels.
NUMERIC_SHARE = 0.9
CALENDAR = ("year", "month", "day", "weekday")
# The most frequent values of a categorical column that get their own embedding row; rarer ones share
# the "unknown" row (an id-like column would otherwise grow an embedding table as long as the data).
MAX_VOCABULARY = 1000
# An integer target with more distinct values than this, in a classification project, is likely a quantity.
MANY_CLASSES = 20
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
REGRESSION_HINT = "scaffold new NAME --framework pytorch --task tabular-regression"


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
    path = Path(path)
    if path.exists() and not path.is_file():
        # A FIFO or a device would block or stream forever; a folder is a different mistake, named as such.
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise DataError(f"{path}: {kind}; give a CSV or Parquet file")
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
    """``value`` as a float, ``None`` when it is missing; a ValueError when it is not a number.

    A number too large for a float (a 400-digit integer from Parquet) becomes ``inf``, which callers refuse
    by name, rather than an OverflowError; 400 digits of text already parse as ``inf``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return None if math.isnan(value) else value
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    number = float(text)
    return None if math.isnan(number) else number


def _date(value: Any) -> dt.date | None:
    """``value`` as a date (its calendar day; a time of day is left aside), ``None`` when it is missing; a
    ValueError when it is not an ISO date."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.date):  # a datetime is a date too
        return value
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    if not _ISO_DATE.match(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text[:10])


def _calendar(when: dt.date, part: str) -> float:
    return float(when.weekday() if part == "weekday" else getattr(when, part))


def _category(value: Any) -> str | None:
    """A cell as category text, ``None`` when missing; integer-valued floats from Parquet read as integers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Parquet may hold integer labels as floats
    text = str(value).strip()
    return None if text.lower() in MISSING else text


_label_text = _category


def _sorted_classes(labels: set[str]) -> list[str]:
    """Integer labels in numeric order (so 2 < 10), any other labels in text order."""
    try:
        return sorted(labels, key=int)
    except ValueError:
        return sorted(labels)


def _share(values: Sequence[Any], parse: Any) -> float:
    """The share of the present cells of ``values`` that ``parse`` reads (0 when none is present)."""
    good = bad = 0
    for v in values:
        try:
            if parse(v) is not None:
                good += 1
        except ValueError:
            bad += 1
    return good / (good + bad) if good + bad else 0.0


def embedding_dim(cardinality: int) -> int:
    """fast.ai's rule of thumb, capped: about half the vocabulary, at most 50 dimensions."""
    return max(1, min(50, (cardinality + 1) // 2))


@dataclass(frozen=True)
class Encoded:
    """A table as model inputs: standardised numbers (with missing indicators), category ids, the target."""

    numeric: torch.Tensor  # float32 (rows, numeric inputs + indicators)
    categories: torch.Tensor  # int64 (rows, categorical columns); 0 = unknown or missing
    unseen: dict[str, int] = field(default_factory=dict)  # categorical column -> cells not seen in training


@dataclass(frozen=True)
class Schema:
    """What the model was trained on; saved in the checkpoint and checked at evaluate and predict.

    ``task`` is ``classification`` (``class_names``, ``class_weights``) or ``regression`` (the target's
    training mean and standard deviation: the network predicts the standardised target).
    """

    target: str
    features: tuple[str, ...]  # every feature column, in file order
    kinds: tuple[str, ...]  # per feature: numeric | date | categorical
    numeric: tuple[tuple[str, str], ...]  # the numeric inputs: (column, calendar part or "")
    fill: tuple[float, ...]  # per numeric input: the training median, for missing and non-numeric cells
    mean: tuple[float, ...]
    std: tuple[float, ...]
    indicators: tuple[str, ...]  # columns with a missing-value indicator (they had gaps in the training rows)
    categorical: tuple[str, ...]
    vocabularies: tuple[tuple[str, ...], ...]  # per categorical column; value i has embedding row i + 1
    task: str = "classification"
    class_names: tuple[str, ...] = ()
    class_weights: tuple[float, ...] = ()
    target_mean: float = 0.0
    target_std: float = 1.0
    ignored: tuple[str, ...] = ()

    @property
    def num_features(self) -> int:
        """Width of the numeric input: numeric and calendar values plus missing indicators."""
        return len(self.numeric) + len(self.indicators)

    @property
    def cardinalities(self) -> tuple[int, ...]:
        """Rows of each categorical column's embedding: its vocabulary and the unknown/missing row."""
        return tuple(len(v) + 1 for v in self.vocabularies)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_outputs(self) -> int:
        return 1 if self.task == "regression" else self.num_classes

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "target": self.target,
            "features": list(self.features),
            "kinds": list(self.kinds),
            "feature_types": dict(zip(self.features, self.kinds, strict=True)),
            "numeric": [list(pair) for pair in self.numeric],
            "fill": list(self.fill),
            "mean": list(self.mean),
            "std": list(self.std),
            "indicators": list(self.indicators),
            "categorical": list(self.categorical),
            "vocabularies": [list(v) for v in self.vocabularies],
            "class_names": list(self.class_names),
            "class_weights": list(self.class_weights),
            "target_mean": self.target_mean,
            "target_std": self.target_std,
            "ignored": list(self.ignored),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        return cls(
            target=d["target"],
            features=tuple(d["features"]),
            kinds=tuple(d["kinds"]),
            numeric=tuple((str(c), str(p)) for c, p in d["numeric"]),
            fill=tuple(d["fill"]),
            mean=tuple(d["mean"]),
            std=tuple(d["std"]),
            indicators=tuple(d["indicators"]),
            categorical=tuple(d["categorical"]),
            vocabularies=tuple(tuple(v) for v in d["vocabularies"]),
            task=d["task"],
            class_names=tuple(d["class_names"]),
            class_weights=tuple(d["class_weights"]),
            target_mean=float(d["target_mean"]),
            target_std=float(d["target_std"]),
            ignored=tuple(d.get("ignored", ())),
        )

    @classmethod
    def fit(
        cls,
        table: Table,
        target: str,
        ignore: Sequence[str],
        rows: Sequence[int],
        task: str = "classification",
        class_weight: str = "balanced",
    ) -> Schema:
        """Choose the feature columns of ``table``, their kinds, and fit every statistic on ``rows`` (the
        training rows): fill values, scale, vocabularies, and the class weights or the target's scale."""
        if target not in table.columns:
            raise DataError(f"{table.source}: no target column {target!r} (columns: {', '.join(table.columns)})")
        unknown = [c for c in ignore if c not in table.columns]
        if unknown:
            raise DataError(f"{table.source}: --drop names columns it does not have: {', '.join(unknown)}")
        if target in ignore:
            raise DataError(f"{table.source}: the target {target!r} is also in --drop; remove it from there")
        features = [c for c in table.columns if c != target and c not in ignore]
        if not features:
            raise DataError(f"{table.source}: needs at least one feature column besides {target!r}")
        kinds = [_kind(table, name, rows) for name in features]
        numeric: list[tuple[str, str]] = []
        fills, means, stds, indicators = [], [], [], []
        categorical, vocabularies = [], []
        for name, kind in zip(features, kinds, strict=True):
            if kind == "categorical":
                categorical.append(name)
                vocabularies.append(_vocabulary(table, name, rows))
                continue
            parts = CALENDAR if kind == "date" else ("",)
            columns = _dates(table, name, parts) if kind == "date" else [_numbers(table, name, warn=True)]
            if kind == "numeric":
                _warn_if_row_id(table, name, columns[0])
            for part, values in zip(parts, columns, strict=True):
                fill, mean, std = _statistics(table, name, values, rows)
                numeric.append((name, part))
                fills.append(fill)
                means.append(mean)
                stds.append(std)
            if any(columns[0][i] is None for i in rows):
                indicators.append(name)
        common = {
            "target": target,
            "features": tuple(features),
            "kinds": tuple(kinds),
            "numeric": tuple(numeric),
            "fill": tuple(fills),
            "mean": tuple(means),
            "std": tuple(stds),
            "indicators": tuple(indicators),
            "categorical": tuple(categorical),
            "vocabularies": tuple(vocabularies),
            "ignored": tuple(ignore),
        }
        if task == "regression":
            values = regression_targets(table, target)
            y = torch.tensor([values[i] for i in rows], dtype=torch.float64)
            return cls(**common, task=task, target_mean=float(y.mean()), target_std=_spread(y))
        labels = class_labels(table, target)
        classes = _sorted_classes(set(labels))
        counts = Counter(labels[i] for i in rows)
        weights = [
            len(rows) / (len(classes) * max(counts[c], 1)) if class_weight == "balanced" else 1.0 for c in classes
        ]
        return cls(**common, task=task, class_names=tuple(classes), class_weights=tuple(weights))

    def check_columns(self, table: Table, *, need_target: bool, passthrough: Sequence[str] = ()) -> None:
        """Refuse a table whose columns are not the ones the model was trained on, naming the difference.

        The target, the training run's dropped columns and ``passthrough`` (``--drop`` at evaluate or
        predict: ids copied into the output) may be there besides the features.
        """
        missing = [c for c in self.features if c not in table.columns]
        if need_target and self.target not in table.columns:
            missing.append(self.target)
        known = {*self.features, self.target, *self.ignored, *passthrough}
        unexpected = [c for c in table.columns if c not in known]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing columns: {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected columns: {', '.join(unexpected)} (pass --drop COLUMN to pass one through)")
            raise DataError(
                f"{table.source}: does not match the model's schema; {'; '.join(parts)} "
                f"(the model was trained on: {', '.join(self.features)})"
            )

    def encode(self, table: Table, rows: Sequence[int] | None = None, *, warn: bool = False) -> Encoded:
        """The model's inputs for ``rows`` (default: all), columns looked up by name; with ``warn``, stray
        numeric cells and categories never seen in training are logged, by column."""
        rows = range(table.num_rows) if rows is None else rows
        numbers = torch.empty((len(rows), self.num_features), dtype=torch.float64)
        parsed: dict[str, list[list[float | None]]] = {}
        for j, (name, part) in enumerate(self.numeric):
            if name not in parsed:
                kind = self.kinds[self.features.index(name)]
                parsed[name] = _dates(table, name, CALENDAR) if kind == "date" else [_numbers(table, name, warn=warn)]
            values = parsed[name][CALENDAR.index(part) if part else 0]
            col = torch.tensor([self.fill[j] if values[i] is None else values[i] for i in rows], dtype=torch.float64)
            numbers[:, j] = (col - self.mean[j]) / self.std[j]
        for k, name in enumerate(self.indicators):
            values = parsed[name][0]
            numbers[:, len(self.numeric) + k] = torch.tensor([float(values[i] is None) for i in rows])
        ids = torch.zeros((len(rows), len(self.categorical)), dtype=torch.int64)
        unseen: dict[str, int] = {}
        for j, (name, vocabulary) in enumerate(zip(self.categorical, self.vocabularies, strict=True)):
            index = {value: i + 1 for i, value in enumerate(vocabulary)}
            raw = table.columns[name]
            cells = [_category(raw[i]) for i in rows]
            ids[:, j] = torch.tensor([index.get(c, 0) if c is not None else 0 for c in cells], dtype=torch.int64)
            new = [c for c in cells if c is not None and c not in index]
            if new:
                unseen[name] = len(new)
                if warn:
                    log.warning(
                        "column %r: %d value%s not seen in training (e.g. %r), encoded as unknown",
                        name,
                        len(new),
                        "s" if len(new) > 1 else "",
                        new[0],
                    )
        return Encoded(numbers.to(torch.float32), ids, unseen)

    def targets_of(self, table: Table, rows: Sequence[int] | None = None) -> torch.Tensor:
        """Class ids (classification) or the standardised float32 target (regression) of ``rows``."""
        if self.task == "regression":
            values = regression_targets(table, self.target)
            rows = range(table.num_rows) if rows is None else rows
            y = torch.tensor([values[i] for i in rows], dtype=torch.float64)
            return ((y - self.target_mean) / self.target_std).to(torch.float32)
        return self.labels_of(table, rows)

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


def _kind(table: Table, name: str, rows: Sequence[int]) -> str:
    values = table.columns[name]
    if all(_category(values[i]) is None for i in rows):
        raise DataError(f"{table.source}: column {name!r} has no values in the training rows; leave it out with --drop")
    if _share(values, _number) >= NUMERIC_SHARE:
        return "numeric"
    if _share(values, _date) >= NUMERIC_SHARE:
        return "date"
    distinct = len({_category(values[i]) for i in rows} - {None})
    if distinct > 20 and distinct > 0.5 * len(rows):
        log.warning(
            "%s: column %r has %d distinct values in %d training rows, like an identifier; an embedding learns "
            "little from it (leave it out with --drop %s if it is an id)",
            table.source,
            name,
            distinct,
            len(rows),
            name,
        )
    return "categorical"


def _warn_if_row_id(table: Table, name: str, values: Sequence[float | None]) -> None:
    """An integer column unique per row and in order is a row id, however numeric it looks."""
    present = [v for v in values if v is not None]
    if len(present) < 20 or len(present) < len(values) or any(not v.is_integer() for v in present):
        return
    steps = [b - a for a, b in itertools.pairwise(present)]
    if all(s > 0 for s in steps) or all(s < 0 for s in steps):
        log.warning(
            "%s: column %r holds unique integers in row order, like a row id; the model would learn the row "
            "order from it (leave it out with --drop %s if it is an id)",
            table.source,
            name,
            name,
        )


def _vocabulary(table: Table, name: str, rows: Sequence[int]) -> tuple[str, ...]:
    """The training rows' values of a categorical column, most frequent first (ties in text order)."""
    raw = table.columns[name]
    counts = Counter(c for c in (_category(raw[i]) for i in rows) if c is not None)
    ranked = sorted(counts, key=lambda value: (-counts[value], value))
    return tuple(ranked[:MAX_VOCABULARY])


def _spread(values: torch.Tensor) -> float:
    # A constant column would divide by zero; leave it centred but unscaled.
    return max(float(values.std()) if len(values) > 1 else 0.0, 1e-8)


def _statistics(
    table: Table, name: str, values: Sequence[float | None], rows: Sequence[int]
) -> tuple[float, float, float]:
    """Median (the fill value), mean and standard deviation of the filled training rows."""
    present = torch.tensor([values[i] for i in rows if values[i] is not None], dtype=torch.float64)
    if len(present) == 0:
        raise DataError(f"{table.source}: column {name!r} has no numbers in the training rows")
    fill = float(present.median())
    filled = torch.tensor([fill if values[i] is None else values[i] for i in rows], dtype=torch.float64)
    return fill, float(filled.mean()), _spread(filled)


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
                shown = v if len(str(v)) <= 40 else f"{str(v)[:20]}... ({len(str(v))} characters)"
                raise DataError(
                    f"{table.source}: column {name!r} row {i + 1} is {shown!r}, too large for a number the "
                    "model can take (infinite as a float)"
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


def _dates(table: Table, name: str, parts: Sequence[str]) -> list[list[float | None]]:
    """The calendar ``parts`` of a date column, ``None`` where a cell is missing or not a date."""
    whens: list[dt.date | None] = []
    for v in table.columns[name]:
        try:
            whens.append(_date(v))
        except ValueError:
            whens.append(None)
    return [[None if w is None else _calendar(w, part) for w in whens] for part in parts]


def class_labels(table: Table, target: str) -> list[str]:
    """The target column as label text, refusing an empty cell (a row without a label cannot be trained on),
    a target of decimal numbers (a quantity, for a regression project) and warning of many integer classes."""
    if target not in table.columns:
        raise DataError(f"{table.source}: no target column {target!r} (columns: {', '.join(table.columns)})")
    labels = []
    for i, v in enumerate(table.columns[target]):
        label = _label_text(v)
        if label is None:
            raise DataError(f"{table.source}: row {i + 1} has no {target!r} value")
        labels.append(label)
    numbers = []
    for label in labels:
        try:
            numbers.append(float(label))
        except ValueError:
            return labels
    decimal = next((i for i, x in enumerate(numbers) if math.isfinite(x) and not x.is_integer()), None)
    if decimal is not None:
        raise DataError(
            f"{table.source}: target {target!r} holds decimal numbers (e.g. {labels[decimal]!r} in row "
            f"{decimal + 1}), a quantity rather than classes; this project is a classifier: to predict "
            f"numbers generate a regression project ({REGRESSION_HINT})"
        )
    distinct = len(set(labels))
    if distinct > MANY_CLASSES:
        log.warning(
            "%s: target %r has %d distinct integer values, each learnt as a class of its own; if it is a "
            "quantity, generate a regression project (%s)",
            table.source,
            target,
            distinct,
            REGRESSION_HINT,
        )
    return labels


def regression_targets(table: Table, target: str) -> list[float]:
    """The target column as finite floats; a missing, non-numeric or infinite value is refused by row."""
    if target not in table.columns:
        raise DataError(f"{table.source}: no target column {target!r} (columns: {', '.join(table.columns)})")
    out = []
    for i, v in enumerate(table.columns[target]):
        try:
            number = _number(v)
        except ValueError:
            raise DataError(
                f"{table.source}: target {target!r} has a value that is not a number ({v!r} in row {i + 1}); "
                "a regression project predicts numbers (for classes, generate a tabular-classification project)"
            ) from None
        if number is None:
            raise DataError(f"{table.source}: row {i + 1} has no {target!r} value")
        if math.isinf(number):
            raise DataError(f"{table.source}: target {target!r} row {i + 1} is not a finite number")
        out.append(number)
    return out


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


def random_split(num_rows: int, val_fraction: float, test_fraction: float, seed: int) -> Split:
    """Shuffle the rows with ``seed`` and cut train / validation / test shares (regression: no classes)."""
    if num_rows < 10:
        raise DataError(f"too few rows for a train/validation/test split: {num_rows} (at least 10)")
    order = torch.randperm(num_rows, generator=torch.Generator().manual_seed(seed)).tolist()
    n_test = max(1, round(num_rows * test_fraction))
    n_val = max(1, round((num_rows - n_test) * val_fraction))
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return Split(tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test)))
