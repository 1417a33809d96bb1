"""Reading a table and deciding what each column is, with every doubtful value reported, never hidden.

The checks that need no JVM (a file on this machine that is missing, empty, not UTF-8, header-only, or a
Parquet file without Parquet's magic bytes) run first, in :func:`precheck`, so bad input fails in a
fraction of a second with one line.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass
from pathlib import Path

from .config import local_path
from .runtime import DataError

log = logging.getLogger(__package__)

NUMERIC_TYPES = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
INTEGER_TYPES = ("tinyint", "smallint", "int", "bigint")
DATE_TYPES = ("date", "timestamp", "timestamp_ntz")
# What a date becomes: numbers a linear model can weigh (trend, season, weekday), not one category per day.
CALENDAR = ("year", "month", "day", "dayofweek", "dayofyear")
# A text column whose values are numbers this often is a numeric column with stray garbage in it.
NUMERIC_SHARE = 0.9
# An integer target with at most this many distinct values is taken as class labels (task = "auto").
MAX_AUTO_CLASSES = 20
_SKIPPED = ("_", ".")  # Spark's _SUCCESS, _committed_*, .crc files


def data_format(location: str, fmt: str) -> str:
    """``csv`` or ``parquet`` for ``location``: ``fmt`` unless it is ``auto``, else from the name."""
    if fmt != "auto":
        return fmt
    path = local_path(location)
    name = location.rstrip("/").lower()
    if name.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if path is not None and path.is_dir():
        suffixes = {p.suffix for p in _data_files(path)}
        if ".parquet" in suffixes:
            return "parquet"
        if ".csv" in suffixes:
            return "csv"
    raise DataError(f"{location}: cannot tell whether it is CSV or Parquet from its name; pass --format csv|parquet")


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(_SKIPPED))


def precheck(location: str, fmt: str) -> None:
    """Fail fast, without a JVM, on a file of this machine that cannot be a table."""
    path = local_path(location)
    if path is None:
        return  # remote storage: Spark's reader reports what is wrong
    if not path.exists():
        raise DataError(f"{location}: data file not found")
    if not path.is_dir() and not path.is_file():
        raise DataError(f"{location}: not a regular file (a pipe or a device); give a CSV or Parquet file or folder")
    files = _data_files(path) if path.is_dir() else [path]
    if not files:
        raise DataError(f"{location}: the folder holds no data files")
    if all(f.stat().st_size == 0 for f in files):
        raise DataError(f"{location}: data file is empty")
    if fmt == "parquet":
        for file in files:
            with file.open("rb") as f:
                head = f.read(4)
                f.seek(max(file.stat().st_size - 4, 0))
                tail = f.read(4)
            if file.stat().st_size < 12 or head != b"PAR1" or tail != b"PAR1":
                raise DataError(f"{file}: not a Parquet file (corrupt or truncated)")
        return
    rows = 0
    for file in files:
        rows += _check_text(file)
    if rows == 0:
        raise DataError(f"{location}: has a header but no data rows")
    _refuse_duplicate_header(files[0])


def _refuse_duplicate_header(file: Path) -> None:
    """Spark renames a repeated CSV column (``x`` -> ``x0``, ``x3``) and would train on names the file lacks."""
    import csv

    if file.name.endswith(".gz"):
        return
    with file.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    refuse_duplicate_names(header, str(file))


def refuse_duplicate_names(names: list[str], source: str) -> None:
    """Two columns of one name (Spark compares them case-insensitively): the user must say which is meant."""
    seen: dict[str, str] = {}
    for name in names:
        if name.lower() in seen:
            same = "" if seen[name.lower()] == name else f" (as {seen[name.lower()]!r}; Spark ignores case)"
            raise DataError(
                f"{source}: column {name!r} appears more than once in the header{same}; rename or remove one"
            )
        seen[name.lower()] = name


def _check_text(file: Path) -> int:
    """Data lines of one CSV file (0 or 1 is enough to know); non-UTF-8 bytes are an error, not U+FFFD."""
    if file.name.endswith(".gz"):
        return 1  # compressed: Spark decompresses; decoding errors show up there
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    offset = 0
    with file.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as e:
                raise DataError(f"{file}: not UTF-8 text (byte {offset + e.start}); save it as UTF-8") from None
            offset += len(block)
            if lines < 2:
                lines += sum(1 for line in text.splitlines() if line.strip())
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise DataError(f"{file}: not UTF-8 text (it ends inside a character); save it as UTF-8") from None
    return max(lines - 1, 0)


def read(spark, location: str, fmt: str, table: str = ""):
    """The table at ``location`` as a DataFrame. CSV schemas are inferred; give Parquet for big data."""
    from .sparkerrors import data_errors

    with data_errors(f"{table or location}: cannot read it as {fmt}"):
        if fmt == "table":
            df = spark.table(table)
        elif fmt == "parquet":
            df = spark.read.parquet(location)
        else:
            # FAILFAST: a row with the wrong number of fields is an error, not a row of nulls. Column pruning
            # would parse only the columns a query needs and let a short row through as nulls.
            spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
            df = spark.read.csv(location, header=True, inferSchema=True, mode="FAILFAST", encoding="UTF-8")
        _ = df.schema  # schema inference runs here, inside the error translation
    if not df.columns:
        raise DataError(f"{table or location}: no columns")
    refuse_duplicate_names(df.columns, table or location)
    return df


def quoted(name: str) -> str:
    """A column name for Spark SQL expressions: names with dots or spaces are fine in backticks."""
    return "`" + name.replace("`", "``") + "`"


def as_double(name: str):
    """The column as a double, or null where it is not a number (ANSI mode would raise instead)."""
    from pyspark.sql import functions as F

    return F.expr(f"try_cast({quoted(name)} as double)")


@dataclass(frozen=True)
class Profile:
    """What one pass over the data found, per column."""

    rows: int
    missing_target: int
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    ignored: tuple[str, ...]
    missing: dict[str, int]  # numeric column -> null or NaN values (imputed)
    types: dict[str, str]
    dates: tuple[str, ...] = ()  # date and timestamp columns: calendar numbers (year, month, ...)


def is_number_type(spark_type: str) -> bool:
    return spark_type.split("(")[0] in NUMERIC_TYPES


def _spark_type(df, name: str) -> str:
    return df.schema[name].dataType.simpleString()


def profile(
    df, target: str, exclude: tuple[str, ...], categorical: tuple[str, ...], numeric: tuple[str, ...], source: str
) -> Profile:
    """Decide which columns are numeric and which categorical, and count what is missing or wrong.

    Empty ``categorical`` and ``numeric`` mean: infer them (numbers numeric, text categorical, an identifier
    or an unsupported type left out with a warning). Garbage in a numeric column is a warning that names the
    column and an example value; those values become missing and are imputed. Infinite values are an error.
    """
    from pyspark.sql import functions as F

    from .sparkerrors import data_errors

    columns = df.columns
    if target not in columns:
        raise DataError(
            f"{source}: no target column {target!r}; its columns: {', '.join(columns)} (choose one with --target)"
        )
    named = [*exclude, *categorical, *numeric]
    absent = [c for c in named if c not in columns]
    if absent:
        raise DataError(
            f"{source}: lacks the configured columns {', '.join(absent)}; its columns: {', '.join(columns)}"
        )
    explicit = bool(categorical or numeric)
    candidates = [*categorical, *numeric] if explicit else [c for c in columns if c != target and c not in exclude]
    types = {c: _spark_type(df, c) for c in columns}
    text = [c for c in candidates if types[c] == "string"]
    numbers = [c for c in candidates if is_number_type(types[c]) and c not in categorical]

    # One pass over the data answers every question below, for every candidate column.
    aggregates = [
        F.count(F.lit(1)).alias("__rows"),
        F.sum(F.col(quoted(target)).isNull().cast("long")).alias("__target"),
    ]
    for i, c in enumerate(candidates):
        if not (types[c] == "string" or is_number_type(types[c])):
            continue
        value = as_double(c)
        aggregates += [
            F.sum((value.isNull() | F.isnan(value)).cast("long")).alias(f"c{i}_missing"),
            F.sum(value.isin(float("inf"), float("-inf")).cast("long")).alias(f"c{i}_infinite"),
        ]
        if types[c] == "string":
            aggregates += [
                F.count(F.col(quoted(c))).alias(f"c{i}_present"),
                F.count(value).alias(f"c{i}_numbers"),
                F.approx_count_distinct(F.col(quoted(c))).alias(f"c{i}_distinct"),
            ]
        elif types[c] in INTEGER_TYPES:
            aggregates += [
                F.count(F.col(quoted(c))).alias(f"c{i}_present"),
                F.approx_count_distinct(F.col(quoted(c))).alias(f"c{i}_distinct"),
                F.min(F.col(quoted(c))).alias(f"c{i}_min"),
                F.max(F.col(quoted(c))).alias(f"c{i}_max"),
            ]
    with data_errors(f"{source}: cannot read it"):
        stats = df.agg(*aggregates).first()
    rows = int(stats["__rows"])
    if rows == 0:
        raise DataError(f"{source}: no data rows")

    numeric_cols, categorical_cols, ignored = (
        list(numbers),
        [],
        [c for c in columns if c not in candidates and c != target],
    )
    for c in text:
        i = candidates.index(c)
        present, parsed, distinct = (int(stats[f"c{i}_{k}"] or 0) for k in ("present", "numbers", "distinct"))
        if c in categorical:
            categorical_cols.append(c)
        elif present == 0 and c not in numeric:
            log.warning("column %r has no values; it is left out", c)
            ignored.append(c)
        elif c in numeric or (present and parsed >= NUMERIC_SHARE * present):
            if parsed < present:
                example = df.where(F.col(quoted(c)).isNotNull() & as_double(c).isNull()).select(quoted(c)).first()[0]
                log.warning(
                    "column %r: %d of %d values are not numbers (e.g. %r); they are treated as missing and imputed",
                    c,
                    present - parsed,
                    present,
                    example,
                )
            numeric_cols.append(c)
        elif not explicit and rows >= 20 and distinct >= 0.95 * present:
            log.warning(
                "column %r: nearly every value is different (an identifier?); it is not used as a "
                "feature (list it in [data] categorical to use it)",
                c,
            )
            ignored.append(c)
        else:
            categorical_cols.append(c)
    row_ids = []
    for c in numbers:
        i = candidates.index(c)
        if explicit or types[c] not in INTEGER_TYPES or rows < 20:
            continue
        present, distinct = int(stats[f"c{i}_present"] or 0), int(stats[f"c{i}_distinct"] or 0)
        low, high = stats[f"c{i}_min"], stats[f"c{i}_max"]
        # Every row a different whole number, in file order or a dense run (1..n): a row number or a key,
        # which tells the model only the order the rows were written in.
        if present == rows and distinct >= 0.9 * rows and _row_id_like(df, c, rows, high - low + 1 <= 1.05 * rows):
            row_ids.append((c, low, high))
    dates: list[str] = []
    for c in candidates:
        if c in numeric_cols or c in categorical_cols or c in ignored:
            continue
        if types[c] in DATE_TYPES and c not in categorical and c not in numeric:
            dates.append(c)
        elif types[c] == "boolean" or c in categorical:
            categorical_cols.append(c)
        elif c in numeric:
            raise DataError(f"{source}: column {c!r} is {types[c]}, not a number")
        else:
            log.warning("column %r: type %s is not supported as a feature; it is left out", c, types[c])
            ignored.append(c)
    # A row id is left out, unless it is all there is to learn from (then the warning says so, and it is used).
    others = len(numeric_cols) + len(categorical_cols) + len(dates) > len(row_ids)
    for c, low, high in row_ids:
        log.warning(
            "column %r holds a different whole number in every row (%s..%s), like a row id: %s",
            c,
            low,
            high,
            f"it is not used as a feature (list it in [data] numeric to use it; predict --drop {c} passes it through)"
            if others
            else "it is the only feature, so it is used",
        )
        if others:
            numeric_cols.remove(c)
            ignored.append(c)
    if dates:
        log.info("date column(s) %s: read as calendar numbers (%s)", ", ".join(map(repr, dates)), ", ".join(CALENDAR))
    if not numeric_cols and not categorical_cols and not dates:
        raise DataError(f"{source}: no feature columns besides the target {target!r}")

    numeric_cols.sort(key=columns.index)
    categorical_cols.sort(key=columns.index)
    infinite = {c: int(stats[f"c{candidates.index(c)}_infinite"] or 0) for c in numeric_cols}
    _refuse_infinite(infinite, source)
    missing = {c: int(stats[f"c{candidates.index(c)}_missing"] or 0) for c in numeric_cols}
    empty = [c for c, n in missing.items() if n == rows]
    if empty:
        raise DataError(f"{source}: numeric columns with no values at all: {', '.join(empty)}")
    return Profile(
        rows=rows,
        missing_target=int(stats["__target"] or 0),
        numeric=tuple(numeric_cols),
        categorical=tuple(categorical_cols),
        ignored=tuple(sorted(set(ignored), key=columns.index)),
        missing=missing,
        types=types,
        dates=tuple(dates),
    )


def _row_id_like(df, name: str, rows: int, dense: bool) -> bool:
    """Unique in every row (counted exactly), and a dense run or in order (file order within each partition)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from .sparkerrors import data_errors

    ordered = df.select(
        F.spark_partition_id().alias("p"), F.monotonically_increasing_id().alias("i"), F.col(quoted(name)).alias("v")
    )
    step = F.col("v") - F.lag("v").over(Window.partitionBy("p").orderBy("i"))
    with data_errors(f"cannot read column {name!r}"):
        stats = (
            ordered.select(step.alias("d"), "v")
            .agg(
                F.countDistinct("v").alias("distinct"),
                F.sum((F.col("d") > 0).cast("long")).alias("up"),
                F.sum((F.col("d") < 0).cast("long")).alias("down"),
            )
            .first()
        )
    if int(stats["distinct"]) != rows:
        return False
    return dense or not int(stats["up"] or 0) or not int(stats["down"] or 0)


def count_missing(df, numeric: list[str] | tuple[str, ...], source: str) -> dict[str, int]:
    """Per numeric column, how many values are missing (null, NaN or not a number); infinity is an error."""
    from pyspark.sql import functions as F

    from .sparkerrors import data_errors

    if not numeric:
        return {}
    aggregates = []
    for i, c in enumerate(numeric):
        value = as_double(c)
        aggregates += [
            F.sum((value.isNull() | F.isnan(value)).cast("long")).alias(f"m{i}"),
            F.sum(value.isin(float("inf"), float("-inf")).cast("long")).alias(f"i{i}"),
        ]
    with data_errors(f"{source}: cannot read it"):
        stats = df.agg(*aggregates).first()
    _refuse_infinite({c: int(stats[f"i{i}"] or 0) for i, c in enumerate(numeric)}, source)
    return {c: int(stats[f"m{i}"] or 0) for i, c in enumerate(numeric)}


def _refuse_infinite(infinite: dict[str, int], source: str) -> None:
    found = {c: n for c, n in infinite.items() if n}
    if found:
        detail = ", ".join(f"{c} ({n})" for c, n in found.items())
        raise DataError(
            f"{source}: infinite values (or numbers too large for a double) in {detail}; replace them with a "
            "number or leave them empty"
        )


def report_missing(missing: dict[str, int], rows: int) -> int:
    """Log what the imputer fills in, per column; return the total."""
    for column, count in missing.items():
        if count:
            log.warning("column %r: %d of %d values missing; imputed with the training median", column, count, rows)
    return sum(missing.values())
