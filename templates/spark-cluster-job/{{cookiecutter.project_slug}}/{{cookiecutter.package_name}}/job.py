"""The training job: read, split, fit with tuning, evaluate, write the model and a metrics file."""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .config import JobConfig
from .pipeline import FEATURES, build_features, build_tuner, holdout_metrics, label_column

log = logging.getLogger(__name__)


@contextmanager
def _timed(name: str, timings: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)
    log.info("%s took %.1f s", name, timings[name])


def read_input(spark: SparkSession, config: JobConfig) -> DataFrame:
    """Load the training table from CSV, Parquet or a Hive/metastore table."""
    if config.input_format == "table":
        return spark.table(config.input_path)
    if config.input_format == "parquet":
        return spark.read.parquet(config.input_path)
    # inferSchema costs one extra pass; for big CSVs give an explicit schema instead.
    return spark.read.csv(config.input_path, header=True, inferSchema=True)


def _prepare(df: DataFrame, config: JobConfig) -> DataFrame:
    """Keep the columns the model uses, with numbers as doubles and rows lacking a label dropped."""
    missing = [c for c in (config.target, *config.categorical, *config.numeric) if c not in df.columns]
    if missing:
        raise ValueError(f"input lacks columns {missing}; it has {df.columns}")
    columns = [F.col(c).cast("string").alias(c) for c in config.categorical]
    columns += [F.col(c).cast("double").alias(c) for c in config.numeric]
    target = F.col(config.target)
    columns.append((target.cast("string") if config.task == "classification" else target.cast("double"))
                   .alias(config.target))
    return df.select(*columns).dropna(subset=[config.target])


def run(spark: SparkSession, config: JobConfig) -> dict:
    """Train and evaluate; write the model to ``config.model_dir`` and return (and write) the metrics."""
    timings: dict[str, float] = {}
    with _timed("read", timings):
        data = _prepare(read_input(spark, config), config).cache()
        rows = data.count()
    train, test = data.randomSplit([1 - config.test_fraction, config.test_fraction], seed=config.seed)
    train_rows, test_rows = train.count(), test.count()
    log.info("rows: %d (train %d, test %d)", rows, train_rows, test_rows)
    if train_rows == 0 or test_rows == 0:
        raise ValueError(f"not enough rows to split ({rows}); add data or change test_fraction")
    n_classes = train.select(config.target).distinct().count() if config.task == "classification" else 0

    with _timed("fit", timings):
        features = build_features(config).fit(train)
        featurised = features.transform(train).select(label_column(config), FEATURES).cache()
        tuned = build_tuner(config, n_classes).fit(featurised)
        featurised.unpersist()
        # One model that takes raw rows: the fitted feature stages followed by the best estimator.
        model = PipelineModel(stages=[*features.stages, tuned.bestModel])
    with _timed("evaluate", timings):
        metrics = holdout_metrics(config, model.transform(test), n_classes)
    with _timed("write_model", timings):
        model.write().overwrite().save(config.model_dir)

    result = {
        "task": config.task,
        "tuner": config.tuner,
        "rows": {"total": rows, "train": train_rows, "test": test_rows},
        "metrics": {name: round(value, 6) for name, value in metrics.items()},
        "timings_s": timings,
        "model_dir": config.model_dir,
        "spark": {"version": spark.version, "master": spark.sparkContext.master,
                  "app_id": spark.sparkContext.applicationId},
    }
    # The metrics file is written by the driver; on YARN/Kubernetes cluster mode point it at storage
    # the driver's container can reach, or read the same JSON from the driver log.
    metrics_path = Path(config.metrics_path)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log.info("metrics: %s", json.dumps(result["metrics"]))
    data.unpersist()
    return result
