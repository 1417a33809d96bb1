"""The three jobs: train (split, tune, hold out, save), evaluate (score rows the model never saw), predict.

The model folder holds ``pipeline/`` (the fitted PipelineModel), ``holdout/`` (the held-out test rows,
Parquet, as read) and ``schema.json`` (what the model was trained on: columns and their types, classes,
the data's fingerprint, row counts, where it ran). ``evaluate`` and ``predict`` check data against it.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.ml import PipelineModel
from pyspark.ml.feature import StringIndexerModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import store
from .config import JobConfig, local_path
from .data import (
    MAX_AUTO_CLASSES,
    as_double,
    count_missing,
    data_format,
    profile,
    quoted,
    read,
    report_missing,
)
from .pipeline import LABEL, PREDICTION, PROBABILITY, build_tuner, score
from .runtime import DataError, fingerprint, write_metrics
from .sparkerrors import data_errors

log = logging.getLogger(__package__)
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Source:
    """Where a table comes from: a URI Spark reads (or a metastore table) and how to show it."""

    location: str
    format: str
    table: str = ""

    @property
    def name(self) -> str:
        return self.table or self.location


def _stage(name: str, started: float) -> float:
    now = time.perf_counter()
    log.info("%s done in %.1f s", name, now - started)
    return now


def _class_order(values: list[str]) -> list[str]:
    """Class names in a stable order: numerically for integer labels (2 before 10), else alphabetically."""
    try:
        return sorted(values, key=int)
    except ValueError:
        return sorted(values)


def _decide_task(df: DataFrame, config: JobConfig, types: dict[str, str]) -> str:
    if config.task != "auto":
        return config.task
    kind = types[config.target]
    if kind in ("string", "boolean"):
        return "classification"
    if kind in ("tinyint", "smallint", "int", "bigint"):
        distinct = (
            df.select(config.target)
            .where(F.col(config.target).isNotNull())
            .distinct()
            .limit(MAX_AUTO_CLASSES + 1)
            .count()
        )
        return "classification" if distinct <= MAX_AUTO_CLASSES else "regression"
    return "regression"


def _with_label(df: DataFrame, target: str, task: str, classes: list[str] | None) -> DataFrame:
    if task == "regression":
        return df.withColumn(LABEL, as_double(target))
    indexer = StringIndexerModel.from_labels(classes, inputCol="__target_text", outputCol=LABEL, handleInvalid="error")
    return indexer.transform(df.withColumn("__target_text", F.col(target).cast("string"))).drop("__target_text")


def _features_cast(df: DataFrame, card: dict[str, Any]) -> DataFrame:
    """Numbers as doubles (garbage becomes missing and is imputed), categories as text; other columns as read."""
    numeric, categorical = set(card["numeric"]), set(card["categorical"])
    columns = []
    for c in df.columns:
        if c in numeric:
            columns.append(as_double(c).alias(c))
        elif c in categorical:
            columns.append(F.col(quoted(c)).cast("string").alias(c))
        else:
            columns.append(F.col(quoted(c)))
    return df.select(*columns)


def _check_columns(df: DataFrame, card: dict[str, Any], source: str, need_target: bool) -> None:
    """Refuse data that does not have the model's columns, naming what is missing and what is unexpected."""
    features = [*card["numeric"], *card["categorical"]]
    wanted = [*features, card["target"]] if need_target else features
    missing = [c for c in wanted if c not in df.columns]
    known = {*features, card["target"], *card["ignored"]}
    unexpected = [c for c in df.columns if c not in known]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing columns " + ", ".join(missing))
        if unexpected:
            parts.append("unexpected columns " + ", ".join(unexpected))
        raise DataError(
            f"{source} does not match the model (trained on {card['data']['location']}): " + "; ".join(parts)
        )


def _sizes_ok(train_rows: int, test_rows: int, config: JobConfig, rows: int) -> None:
    needed = config.folds if config.tuner == "cross-validator" else 2
    if test_rows == 0 or train_rows < max(needed * 2, 4):
        raise DataError(
            f"too few rows to split: {rows} labelled rows gave {train_rows} for training and {test_rows} "
            f"for testing (test_fraction {config.test_fraction}); add data or change test_fraction"
        )


def train(spark: SparkSession, config: JobConfig, source: Source, model_dir: str, metrics_path: str) -> dict:
    """Train, tune, evaluate on the held-out split and save the model; return the metrics."""
    started = begin = time.perf_counter()
    df = read(spark, source.location, source.format, source.table)
    found = profile(df, config.target, config.exclude, config.categorical, config.numeric, source.name)
    task = _decide_task(df, config, found.types)
    log.info(
        "read %d rows from %s: task %s, target %r, %d numeric and %d categorical features%s",
        found.rows,
        source.name,
        task,
        config.target,
        len(found.numeric),
        len(found.categorical),
        f", not used: {', '.join(found.ignored)}" if found.ignored else "",
    )
    if found.missing_target:
        log.warning(
            "%d of %d rows have no value in the target %r: they cannot be learnt from and are left out "
            "(rows_dropped in metrics.json)",
            found.missing_target,
            found.rows,
            config.target,
        )
    # Cached: the class list, the split and every fit of the tuner read these rows again.
    labelled = df.where(F.col(quoted(config.target)).isNotNull()).cache()
    classes: list[str] | None = None
    with data_errors(f"{source.name}: cannot read it"):
        if task == "classification":
            values = [
                r[0]
                for r in labelled.select(F.col(quoted(config.target)).cast("string")).distinct().limit(10_001).collect()
            ]
            if len(values) > 10_000:
                raise DataError(
                    f"target {config.target!r} has more than 10000 distinct values: set task = "
                    "'regression' in conf/job.toml or pass --task regression"
                )
            if len(values) < 2:
                raise DataError(
                    f"target {config.target!r} has a single class ({values[0] if values else 'none'}): "
                    "a classifier needs at least two"
                )
            classes = _class_order(values)
        else:
            bad = labelled.where(as_double(config.target).isNull()).select(config.target).first()
            if bad is not None:
                raise DataError(
                    f"target {config.target!r} is not numeric for regression (e.g. {bad[0]!r}); "
                    "pass --task classification if it holds labels"
                )
        imputed = report_missing(found.missing, found.rows)
        train_raw, test_raw = labelled.randomSplit([1 - config.test_fraction, config.test_fraction], seed=config.seed)
        train_rows, test_rows = train_raw.count(), test_raw.count()
    _sizes_ok(train_rows, test_rows, config, found.rows - found.missing_target)
    log.info(
        "split: %d rows for training (tuned with %s), %d held out for testing", train_rows, config.tuner, test_rows
    )
    started = _stage("read and split", started)

    card: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "target": config.target,
        "task": task,
        "classes": classes,
        "numeric": list(found.numeric),
        "categorical": list(found.categorical),
        "ignored": list(found.ignored),
        "columns": found.types,
    }
    n_classes = len(classes or [])
    tuner = build_tuner(config, task, found.numeric, found.categorical, n_classes)
    prepared = _with_label(_features_cast(train_raw, card), config.target, task, classes).cache()
    with data_errors("fitting the pipeline failed"):
        tuned = tuner.fit(prepared)
    prepared.unpersist()
    model: PipelineModel = tuned.bestModel
    best = model.stages[-1]
    log.info(
        "best of %d grid points: regParam=%s elasticNetParam=%s",
        len(tuner.getEstimatorParamMaps()),
        best.getRegParam(),
        best.getElasticNetParam(),
    )
    started = _stage("fit", started)

    with data_errors("scoring the held-out rows failed"):
        held_out = model.transform(_with_label(_features_cast(test_raw, card), config.target, task, classes))
        metrics = score(task, held_out, n_classes)
    started = _stage("evaluate", started)

    location = local_path(source.location) if not source.table else None
    card["data"] = {
        "location": source.name,
        "format": source.format,
        "fingerprint": fingerprint(location) if location is not None else None,
        "rows": found.rows,
        "rows_train": train_rows,
        "rows_test": test_rows,
        "rows_dropped": found.missing_target,
    }
    card["trained"] = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "spark": spark.version,
        "master": spark.sparkContext.master,
        "app_id": spark.sparkContext.applicationId,
        "tuner": config.tuner,
        "best": {"regParam": best.getRegParam(), "elasticNetParam": best.getElasticNetParam()},
    }
    card["metrics"] = metrics
    # Written next to the final folder and moved into place at the end: an interrupted run leaves the
    # previous model whole.
    staged = f"{model_dir.rstrip('/')}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        model.write().save(f"{staged}/pipeline")
        test_raw.write.parquet(f"{staged}/holdout")
        store.write_json_at(spark, f"{staged}/schema.json", card)
        store.replace_dir(spark, staged, model_dir)
    except BaseException:
        if store.exists(spark, staged):
            store.delete(spark, staged)
        raise
    labelled.unpersist()
    _stage("write model", started)

    result = {
        **metrics,
        "rows": found.rows,
        "rows_train": train_rows,
        "rows_test": test_rows,
        "rows_dropped": found.missing_target,
        "values_imputed": imputed,
        "seconds": round(time.perf_counter() - begin, 3),
    }
    _write_metrics(spark, metrics_path, result)
    log.info("held-out metrics: %s", ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    log.info("model written to %s", model_dir)
    return result


def _write_metrics(spark: SparkSession, location: str, metrics: dict[str, float]) -> None:
    path = local_path(location)
    if path is not None:
        write_metrics(path, metrics)
    else:
        store.write_json_at(spark, location, {k: float(v) for k, v in metrics.items()})
    log.info("metrics written to %s", location)


def load_model(spark: SparkSession, model_dir: str) -> tuple[dict[str, Any], PipelineModel]:
    """The model card and the PipelineModel; a missing or corrupt model folder is one line."""
    path = local_path(model_dir)
    if path is not None and not path.is_dir():
        raise DataError(f"{model_dir}: no model there; run `train` first")
    card = store.read_json_at(spark, f"{model_dir.rstrip('/')}/schema.json", "the model's schema.json")
    keys = ("target", "task", "classes", "numeric", "categorical", "ignored", "data")
    if not isinstance(card, dict) or card.get("schema_version") != SCHEMA_VERSION or any(k not in card for k in keys):
        raise DataError(f"{model_dir}/schema.json: not a schema this project wrote (retrain the model)")
    with data_errors(f"{model_dir}/pipeline: not a saved model (corrupt or incomplete; retrain)"):
        model = PipelineModel.load(f"{model_dir.rstrip('/')}/pipeline")
    return card, model


def evaluate(spark: SparkSession, model_dir: str, metrics_path: str, source: Source | None) -> dict:
    """Score labelled rows: by default the held-out rows saved at training, else ``source``."""
    started = time.perf_counter()
    card, model = load_model(spark, model_dir)
    target, task, classes = card["target"], card["task"], card["classes"]
    if source is None:
        name = f"{model_dir}/holdout (the rows held out at training)"
        with data_errors(f"{name}: cannot read it"):
            df = spark.read.parquet(f"{model_dir.rstrip('/')}/holdout")
    else:
        name = source.name
        df = read(spark, source.location, source.format, source.table)
    _check_columns(df, card, name, need_target=True)
    with data_errors(f"{name}: cannot read it"):
        rows = df.count()
        if rows == 0:
            raise DataError(f"{name}: no data rows")
        labelled = df.where(F.col(quoted(target)).isNotNull())
        dropped = rows - labelled.count()
        if task == "classification":
            known = F.col(quoted(target)).cast("string").isin(*classes)
            unknown = [
                r[0]
                for r in labelled.where(~known)
                .select(F.col(quoted(target)).cast("string"))
                .distinct()
                .limit(5)
                .collect()
            ]
            if unknown:
                raise DataError(
                    f"{name}: target {target!r} holds classes the model never saw: "
                    f"{', '.join(map(repr, unknown))}; the model knows {', '.join(map(repr, classes))}"
                )
        elif labelled.where(as_double(target).isNull()).first() is not None:
            raise DataError(f"{name}: target {target!r} has values that are not numbers")
    if dropped:
        log.warning(
            "%d of %d rows have no value in the target %r: they cannot be scored and are left out "
            "(rows_dropped in metrics.json)",
            dropped,
            rows,
            target,
        )
    imputed = report_missing(count_missing(labelled, card["numeric"], name), rows - dropped)
    with data_errors(f"{name}: scoring failed"):
        predictions = model.transform(_with_label(_features_cast(labelled, card), target, task, classes))
        metrics = score(task, predictions, len(classes or []))
    result = {
        **metrics,
        "rows": rows - dropped,
        "rows_dropped": dropped,
        "values_imputed": imputed,
        "seconds": round(time.perf_counter() - started, 3),
    }
    log.info("evaluated %d rows of %s: %s", rows - dropped, name, ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    _write_metrics(spark, metrics_path, result)
    return result


def predict(spark: SparkSession, model_dir: str, source: Source, output: str) -> int:
    """Write ``source``'s rows with a ``prediction`` column (the data's own label values) and class probabilities.

    Returns the number of rows written: every input row, none dropped.
    """
    card, model = load_model(spark, model_dir)
    store.refuse_to_overwrite(output, {"the input": source.location, "the training data": card["data"]["location"]})
    df = read(spark, source.location, source.format, source.table)
    _check_columns(df, card, source.name, need_target=False)
    with data_errors(f"{source.name}: cannot read it"):
        rows = df.count()
    if rows == 0:
        raise DataError(f"{source.name}: no data rows")
    report_missing(count_missing(df, card["numeric"], source.name), rows)
    originals = [f"__original_{i}" for i in range(len(df.columns))]
    kept = df.select(
        *[F.col(quoted(c)).alias(o) for c, o in zip(df.columns, originals, strict=True)],
        *[F.col(quoted(c)) for c in df.columns],
    )
    scored = model.transform(_features_cast(kept, card))
    columns = [F.col(o).alias(c) for c, o in zip(df.columns, originals, strict=True)]
    if card["task"] == "classification":
        names = F.array(*[F.lit(c) for c in card["classes"]])
        columns.append(F.element_at(names, F.col(PREDICTION).cast("int") + 1).alias("prediction"))
        from pyspark.ml.functions import vector_to_array

        probabilities = vector_to_array(F.col(PROBABILITY))
        columns += [probabilities[i].alias(f"probability_{c}") for i, c in enumerate(card["classes"])]
    else:
        columns.append(F.col(PREDICTION).alias("prediction"))
    result = scored.select(*columns)
    with data_errors(f"{source.name}: scoring failed"):
        written = _write_rows(result, output)
    if written != rows:  # every transformer keeps every row; this guards that promise
        raise DataError(f"scored {written} rows of {rows}: rows were lost; please report this")
    log.info("predicted %d of %d rows (none dropped) into %s", written, rows, output)
    return written


def _write_rows(result: DataFrame, output: str) -> int:
    """One CSV file for a ``.csv`` path on this machine, else a folder of CSV part files (any storage)."""
    path = local_path(output)
    if path is not None and output.endswith(".csv"):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        count = 0
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(result.columns)
                for row in result.toLocalIterator():
                    writer.writerow(["" if v is None else v for v in row])
                    count += 1
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return count
    result = result.cache()
    count = result.count()
    result.write.mode("overwrite").csv(output, header=True)
    result.unpersist()
    return count


__all__ = ["Source", "data_format", "evaluate", "load_model", "predict", "train"]
