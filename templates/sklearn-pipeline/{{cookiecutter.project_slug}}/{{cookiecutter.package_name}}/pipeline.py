"""The model: preprocessing and a gradient-boosted estimator in one scikit-learn Pipeline."""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_pipeline(numeric: list[str], categorical: list[str], task: str, params: dict[str, Any] | None = None,
                   seed: int = 42) -> Pipeline:
    """Impute + scale numeric columns, impute + one-hot encode categorical ones, then boost.

    Categories unseen at training time are ignored rather than failing predictions.
    """
    preprocess = ColumnTransformer(
        [
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            (
                "categorical",
                Pipeline([
                    ("impute", SimpleImputer(strategy="most_frequent")),
                    ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                ]),
                categorical,
            ),
        ]
    )
    estimator_cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    estimator = estimator_cls(random_state=seed, **(params or {}))
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def scoring(task: str) -> dict[str, str]:
    """The metrics reported for a task, as scikit-learn scorer names."""
    if task == "classification":
        return {"accuracy": "accuracy", "f1_macro": "f1_macro"}
    return {"r2": "r2", "rmse": "neg_root_mean_squared_error", "mae": "neg_mean_absolute_error"}
