"""Split, cross-validate, fit, score the held-out rows, and save the model with what it was trained on."""

from __future__ import annotations

import logging
import math
import platform
import time
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    cross_validate,
    train_test_split,
)
from threadpoolctl import threadpool_limits

from . import artifacts
from .config import Config
from .data import prepare_training, read_table
from .pipeline import build_estimator, build_pipeline, scoring
from .runtime import DataError, fingerprint, write_metrics

log = logging.getLogger(__package__)


def cores(n_jobs: int) -> int:
    """``n_jobs`` as a number of cores; -1 is every core this process may use (affinity and cgroups counted)."""
    return joblib.cpu_count() if n_jobs == -1 else n_jobs


def split_rows(target: pd.Series, config: Config) -> tuple[pd.Index, pd.Index]:
    """Row ids of the training and held-out rows: seeded, stratified for classification, checked for size."""
    n = len(target)
    n_test = math.ceil(config.test_size * n)  # as train_test_split rounds
    n_train = n - n_test
    stratify = None
    if config.task == "classification":
        counts = target.value_counts()
        if len(counts) < 2:
            raise DataError(
                f"{config.data_path}: the target {config.target!r} has a single class "
                f"({counts.index[0]!r}); a classifier needs at least two"
            )
        rare = counts[counts < 2]
        if not rare.empty:
            raise DataError(
                f"{config.data_path}: class {rare.index[0]!r} of {config.target!r} has only one row; "
                "each class needs at least 2 (one to train on, one to test), better "
                f"cv_folds + 2 = {config.cv_folds + 2}: add rows or remove that class"
            )
        if n_test < len(counts) or n_train < len(counts):
            raise DataError(
                f"{config.data_path}: {n} rows cannot be split into train and test with every one of the "
                f"{len(counts)} classes on both sides at test_size = {config.test_size}; add rows"
            )
        stratify = target
    elif n_test < 2 or n_train < 2 * config.cv_folds:
        raise DataError(
            f"{config.data_path}: {n} rows are too few for a held-out test set of at least 2 rows and "
            f"{config.cv_folds} cross-validation folds of at least 2; add rows or lower cv_folds"
        )
    train_ids, test_ids = train_test_split(
        target.index, test_size=config.test_size, random_state=config.seed, stratify=stratify
    )
    if config.task == "classification":
        in_train = target.loc[train_ids].value_counts()
        few = in_train[in_train < config.cv_folds]
        if not few.empty:
            raise DataError(
                f"{config.data_path}: class {few.index[0]!r} has {int(few.iloc[0])} training row(s), "
                f"fewer than cv_folds = {config.cv_folds}; lower cv_folds (--cv-folds) or add rows"
            )
    return pd.Index(sorted(train_ids)), pd.Index(sorted(test_ids))


def score(task: str, y_true: Any, y_pred: Any) -> dict[str, float]:
    """The held-out scores: accuracy and macro F1, or R², RMSE and MAE."""
    if task == "classification":
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro")),
        }
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def _json_value(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value  # numpy scalars -> int / str for JSON


def train(config: Config) -> dict[str, Any]:
    """Run the whole training job; return the metadata saved beside the model (its metrics included)."""
    started = time.perf_counter()
    # Before the data is read: an unwritable folder or a bad [model] setting must not cost a training run.
    build_estimator(config.task, config.model, config.seed)
    artifacts.ensure_writable(config.output_dir)

    data_fingerprint = fingerprint(config.data_path) if config.data_path.is_file() else None
    frame = read_table(config.data_path)
    log.info("read %d rows x %d columns from %s", len(frame), len(frame.columns), config.data_path)
    prepared, schema = prepare_training(frame, config.target, config.task, config.drop, config.data_path)
    x, y = prepared.features, prepared.target
    log.info(
        "features: %d numeric %s, %d categorical %s",
        len(schema.numeric),
        list(schema.numeric),
        len(schema.categorical),
        list(schema.categorical),
    )
    train_ids, test_ids = split_rows(y, config)
    x_train, y_train, x_test, y_test = x.loc[train_ids], y.loc[train_ids], x.loc[test_ids], y.loc[test_ids]
    log.info("split: %d training rows, %d held-out test rows (seed %d)", len(train_ids), len(test_ids), config.seed)

    pipeline = build_pipeline(schema.numeric, schema.categorical, config.task, config.model, config.seed)
    n_cores = cores(config.n_jobs)
    folds = (StratifiedKFold if config.task == "classification" else KFold)(
        n_splits=config.cv_folds, shuffle=True, random_state=config.seed
    )
    scorers = scoring(config.task)
    # One knob for both kinds of parallelism: folds run in n_cores worker processes (joblib caps each
    # worker's OpenMP threads so they do not oversubscribe), and the final fit uses n_cores OpenMP threads.
    with threadpool_limits(limits=n_cores, user_api="openmp"):
        log.info("cross-validating on the training rows: %d folds, %d core(s)", config.cv_folds, n_cores)
        cv = cross_validate(pipeline, x_train, y_train, cv=folds, scoring=scorers, n_jobs=n_cores, error_score="raise")
        cv_metrics = {}
        for name, scorer in scorers.items():
            scores = -cv[f"test_{name}"] if scorer.startswith("neg_") else cv[f"test_{name}"]  # errors come negated
            cv_metrics[name] = {"mean": float(np.mean(scores)), "std": float(np.std(scores))}
            log.info("cv %s: %.4f ± %.4f", name, cv_metrics[name]["mean"], cv_metrics[name]["std"])
        log.info("fitting on all %d training rows", len(train_ids))
        pipeline.fit(x_train, y_train)
        held_out = score(config.task, y_test, pipeline.predict(x_test))
    for name, value in held_out.items():
        log.info("test %s: %.4f (%d held-out rows)", name, value, len(test_ids))

    metrics = {
        **held_out,
        **{f"cv_{name}_{stat}": value[stat] for name, value in cv_metrics.items() for stat in ("mean", "std")},
        "rows_train": len(train_ids),
        "rows_test": len(test_ids),
        "rows_unlabelled": prepared.unlabelled,
        "values_coerced": sum(prepared.coerced.values()),
    }
    metadata = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "task": config.task,
        "schema": schema.to_json(),
        "classes": [_json_value(c) for c in getattr(pipeline, "classes_", [])],
        "data": {
            "path": str(config.data_path.resolve()),
            "fingerprint": data_fingerprint,
            "rows": len(frame),
            "rows_unlabelled": prepared.unlabelled,
            "coerced": prepared.coerced,
            # Positions in the file (0 = first data row): what `evaluate` scores when given no --data.
            "held_out_rows": [int(i) for i in test_ids],
        },
        "split": {"test_size": config.test_size, "cv_folds": config.cv_folds, "seed": config.seed},
        "model": dict(config.model),
        "n_jobs": config.n_jobs,
        "cv": cv_metrics,
        "test": held_out,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
        "seconds": round(time.perf_counter() - started, 2),
    }
    artifacts.save(config.output_dir, pipeline, metadata)
    write_metrics(config.metrics_path, metrics)
    log.info(
        "saved %s, %s and %s in %.1fs",
        config.model_path,
        config.metadata_path,
        config.metrics_path,
        time.perf_counter() - started,
    )
    return metadata
