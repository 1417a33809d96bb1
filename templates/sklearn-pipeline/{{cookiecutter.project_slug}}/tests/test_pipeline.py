import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.data import column_kinds, load_dataset
from {{ cookiecutter.package_name }}.pipeline import build_pipeline


def test_pipeline_learns_the_bundled_classification_task(config):
    features, target = load_dataset(config.data_path, config.target, config.drop)
    numeric, categorical = column_kinds(features)
    model = build_pipeline(numeric, categorical, "classification", {"max_iter": 50}).fit(features, target)
    # Penguin species are well separated by bill and flipper sizes: a working pipeline fits them closely.
    assert (model.predict(features) == target).mean() > 0.95


def test_pipeline_handles_missing_values_and_unseen_categories():
    train = pd.DataFrame({"size": [1.0, 2.0, np.nan, 4.0] * 10, "colour": ["red", "blue", None, "red"] * 10})
    target = pd.Series(["a", "b", "a", "b"] * 10)
    model = build_pipeline(["size"], ["colour"], "classification", {"max_iter": 10}).fit(train, target)
    new = pd.DataFrame({"size": [np.nan, 3.0], "colour": ["green", None]})
    assert list(model.predict(new)) and set(model.predict(new)) <= {"a", "b"}


def test_regression_task_uses_a_regressor(config):
    features, target = load_dataset(config.data_path, "body_mass_g", config.drop)
    features = features.drop(columns=["species"])
    numeric, categorical = column_kinds(features)
    model = build_pipeline(numeric, categorical, "regression", {"max_iter": 50}).fit(features, target)
    error = np.abs(model.predict(features) - target).mean()
    assert error < target.std()  # better than always predicting the mean
