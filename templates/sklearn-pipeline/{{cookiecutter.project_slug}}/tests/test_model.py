import json

import joblib
import pandas as pd

from {{ cookiecutter.package_name }}.train import split, train


def test_train_saves_a_model_that_round_trips(config):
    metadata = train(config)
    assert metadata["test"]["accuracy"] > 0.9
    assert set(metadata["cv"]) == {"accuracy", "f1_macro"}
    saved = json.loads(config.metadata_path.read_text())
    assert saved["classes"] == ["Adelie", "Chinstrap", "Gentoo"]

    reloaded = joblib.load(config.model_path)
    _, x_test, _, _ = split(config)
    retrained_predictions = pd.Series(reloaded.predict(x_test))
    assert len(retrained_predictions) == len(x_test)
    assert (reloaded.predict_proba(x_test).sum(axis=1).round(6) == 1).all()
