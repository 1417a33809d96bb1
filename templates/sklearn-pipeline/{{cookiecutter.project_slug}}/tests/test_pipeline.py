"""The model itself: what it learns and how it treats values it has not seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.data import (
    prepare_training,
    read_table,
)
from {{ cookiecutter.package_name }}.pipeline import (
    build_pipeline,
)


def _prepared(config, target, task, drop):
    prepared, schema = prepare_training(read_table(config.data_path), target, task, drop, config.data_path)
    return prepared.features, prepared.target, schema


def test_pipeline_learns_the_bundled_classification_task(config):
    features, target, schema = _prepared(config, config.target, "classification", config.drop)
    model = build_pipeline(schema.numeric, schema.categorical, "classification", {"max_iter": 50}).fit(features, target)
    # Penguin species are well separated by bill and flipper sizes: a working pipeline fits them closely.
    assert (model.predict(features) == target).mean() > 0.95


def test_pipeline_handles_missing_values_and_unseen_categories():
    train = pd.DataFrame({"size": [1.0, 2.0, np.nan, 4.0] * 10, "colour": ["red", "blue", np.nan, "red"] * 10})
    target = pd.Series(["a", "b", "a", "b"] * 10)
    model = build_pipeline(["size"], ["colour"], "classification", {"max_iter": 10}).fit(train, target)
    new = pd.DataFrame({"size": [np.nan, 3.0], "colour": ["green", np.nan]})
    assert list(model.predict(new))
    assert set(model.predict(new)) <= {"a", "b"}


def test_regression_task_uses_a_regressor(config):
    features, target, schema = _prepared(config, "body_mass_g", "regression", ("year", "species"))
    model = build_pipeline(schema.numeric, schema.categorical, "regression", {"max_iter": 50}).fit(features, target)
    error = np.abs(model.predict(features) - target).mean()
    assert error < target.std()  # better than always predicting the mean
