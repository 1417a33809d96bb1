"""Cross-validate, fit, score the held-out rows, and save the model with its metadata."""

from __future__ import annotations

import json
import platform
import time
from datetime import datetime, timezone
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import cross_validate, train_test_split
from threadpoolctl import threadpool_limits

from .config import Config
from .data import column_kinds, load_dataset
from .pipeline import build_pipeline, scoring


def split(config: Config):
    """The same train/test split for train and evaluate (seeded; stratified for classification)."""
    features, target = load_dataset(config.data_path, config.target, config.drop)
    stratify = target if config.task == "classification" else None
    return train_test_split(features, target, test_size=config.test_size, random_state=config.seed,
                            stratify=stratify)


def test_metrics(task: str, y_true, y_pred) -> dict[str, float]:
    if task == "classification":
        return {"accuracy": float(accuracy_score(y_true, y_pred)),
                "f1_macro": float(f1_score(y_true, y_pred, average="macro"))}
    return {"r2": float(r2_score(y_true, y_pred)),
            "rmse": float(root_mean_squared_error(y_true, y_pred)),
            "mae": float(mean_absolute_error(y_true, y_pred))}


def train(config: Config) -> dict[str, Any]:
    """Run the whole training job and return its metrics."""
    with threadpool_limits(limits=config.threads or None, user_api="openmp"):
        return _train(config)


def _train(config: Config) -> dict[str, Any]:
    started = time.perf_counter()
    x_train, x_test, y_train, y_test = split(config)
    numeric, categorical = column_kinds(x_train)
    pipeline = build_pipeline(numeric, categorical, config.task, config.model, config.seed)

    cv = cross_validate(pipeline, x_train, y_train, cv=config.cv_folds, scoring=scoring(config.task), n_jobs=None)
    cv_metrics = {}
    for name in scoring(config.task):
        scores = cv[f"test_{name}"]
        if scoring(config.task)[name].startswith("neg_"):
            scores = -scores  # scikit-learn maximises, so errors come negated
        cv_metrics[name] = {"mean": float(np.mean(scores)), "std": float(np.std(scores))}

    pipeline.fit(x_train, y_train)
    held_out = test_metrics(config.task, y_test, pipeline.predict(x_test))

    config.output_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, config.model_path)
    metadata = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "task": config.task,
        "target": config.target,
        "numeric_features": numeric,
        "categorical_features": categorical,
        "classes": [str(c) for c in getattr(pipeline, "classes_", [])],
        "rows": {"train": len(x_train), "test": len(x_test)},
        "cv": cv_metrics,
        "test": held_out,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
        "seconds": round(time.perf_counter() - started, 2),
    }
    config.metadata_path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return metadata
