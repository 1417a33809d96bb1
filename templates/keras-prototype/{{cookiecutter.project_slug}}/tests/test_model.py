"""The model on the backend this project pins: build, learn, save and load."""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

import {{ cookiecutter.package_name }}
from {{ cookiecutter.package_name }}.config import Config, load_config
from {{ cookiecutter.package_name }}.data import make_spirals
from {{ cookiecutter.package_name }}.model import build_model
from {{ cookiecutter.package_name }}.predict import load_model, predict


def test_package_selects_the_pinned_backend() -> None:
    # In a fresh interpreter without KERAS_BACKEND, importing the package must pick the pinned backend
    # (Keras would otherwise fall back to ~/.keras/keras.json or TensorFlow).
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    code = "import {{ cookiecutter.package_name }}, keras; print(keras.backend.backend())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == {{ cookiecutter.package_name }}.BACKEND


def test_build_outputs_class_probabilities() -> None:
    model = build_model(num_features=2, num_classes=3, hidden_units=(8,), normalize_on=np.zeros((4, 2), "float32"))
    probabilities = np.asarray(model.predict(np.ones((5, 2), "float32"), verbose=0))
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_a_short_fit_lowers_the_loss() -> None:
    keras.utils.set_random_seed(0)
    data = make_spirals(samples=600, classes=3, seed=0)
    model = build_model(2, 3, hidden_units=(32, 32), dropout=0.0, learning_rate=0.02, normalize_on=data.features)
    before = model.evaluate(data.features, data.labels, verbose=0)[0]
    model.fit(data.features, data.labels, epochs=8, batch_size=32, verbose=0)
    after = model.evaluate(data.features, data.labels, verbose=0)[0]
    assert after < 0.85 * before, (before, after)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    data = make_spirals(samples=120, classes=3, seed=1)
    model = build_model(2, 3, hidden_units=(16,), normalize_on=data.features)
    model.fit(data.features, data.labels, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)

    loaded = load_model(path)
    expected = np.asarray(model.predict(data.features, verbose=0))
    result = predict(loaded, data.features, data.labels)
    np.testing.assert_allclose(result.probabilities, expected, rtol=1e-5, atol=1e-6)
    assert result.accuracy is not None and 0.0 <= result.accuracy <= 1.0


def test_default_config_matches_config_toml() -> None:
    # config.toml documents the defaults; the dataclasses must not drift from it.
    loaded = load_config(Path(__file__).resolve().parents[1] / "config.toml")
    defaults = Config()
    assert (loaded.data, loaded.model, loaded.experiment) == (defaults.data, defaults.model, defaults.experiment)
    assert replace(loaded.training, artifacts_dir="artifacts") == defaults.training
