"""The model: preprocessing and a gradient-boosted estimator in one scikit-learn Pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .runtime import DataError


def build_estimator(task: str, params: Mapping[str, Any] | None = None, seed: int = 42) -> BaseEstimator:
    """The HistGradientBoosting model for ``task``; unknown or invalid ``[model]`` settings are a DataError."""
    estimator_cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    params = dict(params or {})
    known = estimator_cls().get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise DataError(
            f"[model] {', '.join(unknown)}: not a parameter of {estimator_cls.__name__}; "
            f"allowed: {', '.join(sorted(k for k in known if k != 'random_state'))}"
        )
    estimator = estimator_cls(**{"random_state": seed, **params})
    # scikit-learn checks values only inside fit(), after the data is loaded; check them now, before any work.
    # _validate_params is scikit-learn's own checker (private, present since 1.2), hence the guard.
    validate = getattr(estimator, "_validate_params", None)
    if validate is not None:
        try:
            validate()
        except (TypeError, ValueError) as e:
            raise DataError(f"[model]: {e}") from None
    return estimator


def build_pipeline(
    numeric: Sequence[str],
    categorical: Sequence[str],
    task: str,
    params: Mapping[str, Any] | None = None,
    seed: int = 42,
) -> Pipeline:
    """Impute + scale numeric columns, impute + one-hot encode categorical ones, then boost.

    Categories unseen at training time are ignored rather than failing predictions.
    """
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                list(numeric),
            ),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                list(categorical),
            ),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("model", build_estimator(task, params, seed))])


def scoring(task: str) -> dict[str, str]:
    """The metrics reported for a task, as scikit-learn scorer names."""
    if task == "classification":
        return {"accuracy": "accuracy", "f1_macro": "f1_macro"}
    return {"r2": "r2", "rmse": "neg_root_mean_squared_error", "mae": "neg_mean_absolute_error"}
