"""Training saves what the model was trained on; evaluation scores only rows it never saw."""

from __future__ import annotations

import json
from dataclasses import replace

import joblib
import pytest
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_info

from {{ cookiecutter.package_name }} import (
    train as train_module,
)
from {{ cookiecutter.package_name }}.data import (
    read_table,
)
from {{ cookiecutter.package_name }}.evaluate import (
    evaluate,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
    fingerprint,
)
from {{ cookiecutter.package_name }}.train import (
    train,
)


def test_train_saves_the_model_with_what_it_was_trained_on(config):
    metadata = train(config)
    saved = json.loads(config.metadata_path.read_text())
    assert saved["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert saved["schema"]["target"] == "species"
    assert "year" not in saved["schema"]["numeric"]
    assert saved["data"]["fingerprint"] == fingerprint(config.data_path)
    held_out = saved["data"]["held_out_rows"]
    assert len(held_out) == 69
    assert metadata["data"]["held_out_rows"] == held_out
    metrics = json.loads(config.metrics_path.read_text())
    assert metrics["accuracy"] > 0.9
    assert metrics["rows_test"] == 69
    assert metrics["rows_train"] == 275
    assert all(isinstance(v, (int, float)) for v in metrics.values())  # flat: name -> number
    reloaded = joblib.load(config.model_path)
    rows = read_table(config.data_path).loc[held_out]
    assert (reloaded.predict_proba(rows.drop(columns=["species", "year"])).sum(axis=1).round(6) == 1).all()


def test_evaluate_scores_the_saved_held_out_rows_even_after_the_seed_changes(config):
    # The old template re-split with the current seed: 54 of 69 "held-out" rows had been trained on.
    metadata = train(config)
    reseeded = replace(config, seed=7, test_size=0.5)
    metrics = evaluate(reseeded)
    assert metrics["rows"] == len(metadata["data"]["held_out_rows"])
    assert metrics["accuracy"] == pytest.approx(metadata["test"]["accuracy"])
    assert json.loads(config.metrics_path.read_text())["accuracy"] == pytest.approx(metrics["accuracy"])


def test_held_out_rows_were_never_trained_on(config, monkeypatch):
    fitted = []
    fit = Pipeline.fit

    def recording(self, x, y=None, **kwargs):
        fitted.append(set(x.index))
        return fit(self, x, y, **kwargs)

    monkeypatch.setattr(Pipeline, "fit", recording)  # every fit: each cross-validation fold and the final one
    metadata = train(config)
    assert len(fitted) == config.cv_folds + 1
    held_out = set(metadata["data"]["held_out_rows"])
    assert all(not rows & held_out for rows in fitted)
    assert len(fitted[-1]) == 275  # the final fit: every training row


def test_evaluate_refuses_when_the_training_data_changed(config, tmp_path):
    data = tmp_path / "penguins.csv"
    data.write_bytes(config.data_path.read_bytes())
    config = replace(config, data_path=data)
    train(config)
    with data.open("a", encoding="utf-8") as f:
        f.write("Adelie,Torgersen,40.0,18.0,190,3700,male,2009\n")
    with pytest.raises(DataError, match="changed since training"):
        evaluate(config)
    data.unlink()
    with pytest.raises(DataError, match="training data is gone"):
        evaluate(config)


def test_n_jobs_sets_the_cores_of_cross_validation_and_of_openmp(config, monkeypatch):
    seen = {}
    real = train_module.cross_validate

    def spy(*args, **kwargs):
        seen["n_jobs"] = kwargs["n_jobs"]
        seen["openmp"] = {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "openmp"}
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "cross_validate", spy)
    metadata = train(replace(config, n_jobs=2, cv_folds=2))
    assert seen == {"n_jobs": 2, "openmp": {2}}  # folds in 2 processes; HistGradientBoosting's threads capped to 2
    assert metadata["test"]["accuracy"] > 0.9  # the parallel run trains as well as the serial one
    assert train_module.cores(-1) == joblib.cpu_count()  # -1: every core this process may use
