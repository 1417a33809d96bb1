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
    INTEGER_TYPES,
    MAX_AUTO_CLASSES,
    as_double,
    count_missing,
    data_format,
    profile,
    quoted,
    read,
    report_missing,
)
from .pipeline import LABEL, PREDICTION, PROBABILITY, WEIGHT, build_tuner, score
from .runtime import DataError, fingerprint, write_metrics
from .sparkerrors import data_errors

log = logging.getLogger(__package__)
SCHEMA_VERSION = 1
REGRESSION_HINT = (
    "a classification project predicts classes; for numbers generate a regression project: "
    "scaffold new NAME --task tabular-regression (or train --task regression)"
)
# An integer target with more distinct values than this (and more than 5 % of the rows) looks like a quantity.
MANY_CLASSES = 20


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


def _check_classes(labelled: DataFrame, target: str, spark_type: str, classes: list[str], rows: int) -> None:
    """A decimal target is refused (it is a regression); many distinct whole numbers are a warning."""
    if spark_type.split("(")[0] in ("float", "double", "decimal"):
        value = as_double(target)
        fraction = labelled.where(value.isNotNull() & (F.isnan(value) | (value != F.floor(value))))
        example = fraction.select(quoted(target)).first()
        if example is not None:
            raise DataError(f"target {target!r} holds decimal numbers (e.g. {example[0]!r}): {REGRESSION_HINT}")
    if spark_type in INTEGER_TYPES and len(classes) > MANY_CLASSES and len(classes) > 0.05 * rows:
        log.warning(
            "target %r has %d distinct whole numbers in %d rows: a classifier learns each as a class of its own "
            "and never predicts a value between them; if it is a quantity, %s",
            target,
            len(classes),
            rows,
            REGRESSION_HINT.split("; ", 1)[1],
        )


def _balanced_weights(train: DataFrame, target: str, classes: list[str]) -> dict[str, float]:
    """rows / (classes x rows of the class), scikit-learn's "balanced": each class weighs the same in total."""
    counts = {
        str(r[0]): int(r[1])
        for r in train.groupBy(F.col(quoted(target)).cast("string")).count().collect()
        if r[0] is not None
    }
    total = sum(counts.values())
    return {c: total / (len(classes) * counts[c]) if counts.get(c) else 0.0 for c in classes}


def _with_weight(df: DataFrame, weights: dict[str, float]) -> DataFrame:
    """``WEIGHT`` for each row from its label index (``LABEL``, in the order of ``weights``)."""
    expression = F.lit(1.0)
    for i, weight in reversed(list(enumerate(weights.values()))):
        expression = F.when(F.col(LABEL) == float(i), F.lit(weight)).otherwise(expression)
    return df.withColumn(WEIGHT, expression)


def unseen_categories(model: PipelineModel, df: DataFrame, card: dict[str, Any]) -> dict[str, tuple[int, Any]]:
    """Per categorical column: rows holding a category training never saw, and one such value (one pass)."""
    indexers = [s for s in model.stages if isinstance(s, StringIndexerModel)]
    if not indexers or not card["categorical"]:
        return {}
    indexer = indexers[0]
    checks = []
    for name, labels in zip(indexer.getInputCols(), indexer.labelsArray, strict=True):
        value = F.col(quoted(name)).cast("string")
        new = value.isNotNull() & ~value.isin(*labels)
        checks.append((name, new, value))
    aggregates = []
    for i, (_, new, value) in enumerate(checks):
        aggregates += [F.sum(new.cast("long")).alias(f"u{i}"), F.max(F.when(new, value)).alias(f"e{i}")]
    stats = df.agg(*aggregates).first()
    return {name: (int(stats[f"u{i}"]), stats[f"e{i}"]) for i, (name, _, _) in enumerate(checks) if stats[f"u{i}"]}


def report_unseen(model: PipelineModel, df: DataFrame, card: dict[str, Any], source: str) -> dict[str, int]:
    """Log, per categorical column, the rows whose category training never saw; return the counts by column."""
    unseen = unseen_categories(model, df, card)
    for name, (count, example) in unseen.items():
        log.warning(
            "%s: column %r has %d row(s) with a category training never saw (e.g. %r); the model gives it the "
            "bucket kept for unknown categories",
            source,
            name,
            count,
            example,
        )
    return {name: count for name, (count, _) in unseen.items()}


def _with_label(df: DataFrame, target: str, task: str, classes: list[str] | None) -> DataFrame:
    if task == "regression":
        return df.withColumn(LABEL, as_double(target))
    indexer = StringIndexerModel.from_labels(classes, inputCol="__target_text", outputCol=LABEL, handleInvalid="error")
    return indexer.transform(df.withColumn("__target_text", F.col(target).cast("string"))).drop("__target_text")


def _features_cast(df: DataFrame, card: dict[str, Any]) -> DataFrame:
    """Numbers as doubles (garbage becomes missing and is imputed), categories as text, dates as timestamps
    (what is not a date becomes missing); other columns as read."""
    numeric, categorical, dates = set(card["numeric"]), set(card["categorical"]), set(card.get("dates", ()))
    columns = []
    for c in df.columns:
        if c in numeric:
            columns.append(as_double(c).alias(c))
        elif c in dates:
            columns.append(F.expr(f"try_cast({quoted(c)} as timestamp)").alias(c))
        elif c in categorical:
            columns.append(F.col(quoted(c)).cast("string").alias(c))
        else:
            columns.append(F.col(quoted(c)))
    return df.select(*columns)


def _check_columns(
    df: DataFrame, card: dict[str, Any], source: str, need_target: bool, drop: tuple[str, ...] = ()
) -> None:
    """Refuse data that does not have the model's columns, naming what is missing and what is unexpected.

    ``drop``: columns that are not features but may be present (an id that predict copies to its output).
    """
    features = [*card["numeric"], *card.get("dates", ()), *card["categorical"]]
    clash = [c for c in drop if c in features]
    if clash:
        raise DataError(f"{source}: --drop {', '.join(clash)}: the model was trained on it as a feature")
    wanted = [*features, card["target"]] if need_target else features
    missing = [c for c in wanted if c not in df.columns]
    known = {*features, card["target"], *card["ignored"], *drop}
    unexpected = [c for c in df.columns if c not in known]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing columns " + ", ".join(missing))
        if unexpected:
            parts.append("unexpected columns " + ", ".join(unexpected) + " (pass --drop COLUMN to pass one through)")
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
        "read %d rows from %s: task %s, target %r, %d numeric, %d categorical and %d date features%s",
        found.rows,
        source.name,
        task,
        config.target,
        len(found.numeric),
        len(found.categorical),
        len(found.dates),
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
            _check_classes(labelled, config.target, found.types[config.target], classes, found.rows)
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
        "dates": list(found.dates),
        "ignored": list(found.ignored),
        "columns": found.types,
    }
    n_classes = len(classes or [])
    prepared = _with_label(_features_cast(train_raw, card), config.target, task, classes)
    weights = None
    rare_index = 1
    if classes is not None:
        with data_errors(f"{source.name}: cannot read it"):
            weights = _balanced_weights(train_raw, config.target, classes)
        rare_index = max(range(len(classes)), key=lambda i: weights[classes[i]])
        if config.class_weight == "balanced":
            log.info("class weights (balanced): %s", ", ".join(f"{c} {w:.3g}" for c, w in weights.items()))
            prepared = _with_weight(prepared, weights)
        else:
            weights = None
    tuner = build_tuner(config, task, found.numeric, found.categorical, n_classes, found.dates, rare_index)
    prepared = prepared.cache()
    with data_errors("fitting the pipeline failed"):
        tuned = tuner.fit(prepared)
    prepared.unpersist()
    model: PipelineModel = tuned.bestModel
    best = model.stages[-1]
    chosen = {"regParam": best.getRegParam(), "elasticNetParam": best.getElasticNetParam()}
    if n_classes == 2:
        chosen["threshold"] = best.getThreshold()
    log.info(
        "best of %d grid points: %s",
        len(tuner.getEstimatorParamMaps()),
        " ".join(f"{k}={v}" for k, v in chosen.items()),
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
        "best": chosen,
        "class_weights": weights,
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


def evaluate(
    spark: SparkSession, model_dir: str, metrics_path: str, source: Source | None, drop: tuple[str, ...] = ()
) -> dict:
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
    _check_columns(df, card, name, need_target=True, drop=drop)
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
        unseen = report_unseen(model, labelled, card, name)
        predictions = model.transform(_with_label(_features_cast(labelled, card), target, task, classes))
        metrics = score(task, predictions, len(classes or []))
    result = {
        **metrics,
        "rows": rows - dropped,
        "rows_dropped": dropped,
        "values_imputed": imputed,
        "values_unseen": sum(unseen.values()),
        "seconds": round(time.perf_counter() - started, 3),
    }
    log.info("evaluated %d rows of %s: %s", rows - dropped, name, ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    _write_metrics(spark, metrics_path, result)
    return result


def predict(spark: SparkSession, model_dir: str, source: Source, output: str, drop: tuple[str, ...] = ()) -> int:
    """Write ``source``'s rows with a ``prediction`` column (the data's own label values) and class probabilities.

    Returns the number of rows written: every input row, none dropped, every input column (``drop``
    columns, such as an id, included) copied through.
    """
    card, model = load_model(spark, model_dir)
    store.refuse_to_overwrite(output, {"the input": source.location, "the training data": card["data"]["location"]})
    df = read(spark, source.location, source.format, source.table)
    _check_columns(df, card, source.name, need_target=False, drop=drop)
    with data_errors(f"{source.name}: cannot read it"):
        rows = df.count()
    if rows == 0:
        raise DataError(f"{source.name}: no data rows")
    clash = [c for c in df.columns if c == "prediction" or c.startswith("probability_")]
    if clash:
        raise DataError(
            f"{source.name}: already has column(s) {', '.join(map(repr, clash))}; predictions would replace them"
        )
    report_missing(count_missing(df, card["numeric"], source.name), rows)
    with data_errors(f"{source.name}: cannot read it"):
        unseen = report_unseen(model, df, card, source.name)
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
    log.info(
        "predicted %d of %d rows (none dropped) into %s%s",
        written,
        rows,
        output,
        f"; {sum(unseen.values())} value(s) of categories never seen in training" if unseen else "",
    )
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
