"""The model on the backend this project pins: build, learn; the config file and its checks."""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

import {{ cookiecutter.package_name }}
from {{ cookiecutter.package_name }}.config import (
    Config,
    load_config,
)
from {{ cookiecutter.package_name }}.data import (
    make_spirals,
)
from {{ cookiecutter.package_name }}.model import (
    build_model,
    scores,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)


def test_package_selects_the_pinned_backend() -> None:
    # In a fresh interpreter without KERAS_BACKEND, importing the package must pick the pinned backend
    # (Keras would otherwise fall back to ~/.keras/keras.json or TensorFlow).
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    code = """
import {{ cookiecutter.package_name }}, keras
print(keras.backend.backend())
"""
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    pinned = {{ cookiecutter.package_name }}.BACKEND
    assert result.stdout.strip().splitlines()[-1] == pinned
    # An explicit KERAS_BACKEND wins over the pinned default: Keras then tries (and here fails) to load it.
    env["KERAS_BACKEND"] = "no-such-backend"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert "Unable to import backend : no-such-backend" in result.stderr


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


def test_scores_are_accuracy_and_cross_entropy() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    result = scores(probs, np.array([0, 1, 1]))
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert result["loss"] == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.4)) / 3)


def test_default_config_matches_config_toml() -> None:
    # config.toml documents the defaults; the dataclasses must not drift from it.
    loaded = load_config(Path(__file__).resolve().parents[1] / "config.toml")
    defaults = Config()
    assert (loaded.data, loaded.model, loaded.experiment) == (defaults.data, defaults.model, defaults.experiment)
    assert replace(loaded.training, artifacts_dir="artifacts") == defaults.training


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[model]\nlayers = 3\n", "unknown key(s) in [model]: layers"),
        ("[training]\nepochs = '10'\n", "[training] epochs must be an integer, got '10'"),
        ("[model]\nhidden_units = [32, 'x']\n", "[model] hidden_units[1] must be an integer"),
        ("[data]\ndrop = 'id'\n", "[data] drop must be an array"),
        ("[data]\ntest_split = 0.5\nvalidation_split = 0.5\n", "must leave rows for training"),
        ("[training]\nlearning_rate = -1\n", "learning rates must be positive"),
        ("[extra]\n", "unknown table(s) extra"),
        ("[training\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(DataError) as error:
        load_config(path)
    assert message in str(error.value)


@pytest.mark.skipif(
    {{ cookiecutter.package_name }}.BACKEND != "jax",
    reason="keras.distribution is implemented for JAX only",
)
def test_keras_distribution_data_parallel_on_jax() -> None:
    # The README's scale-out advice for this backend: DataParallel over every device (here the CPU).
    data = make_spirals(samples=120, classes=3, seed=0)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices()))
    try:
        model = build_model(2, 3, hidden_units=(8,), normalize_on=data.features)
        history = model.fit(data.features, data.labels, epochs=1, batch_size=24, verbose=0)
    finally:
        keras.distribution.set_distribution(None)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.skipif(
    {{ cookiecutter.package_name }}.BACKEND != "tensorflow",
    reason="tf.distribute is TensorFlow's",
)
def test_mirrored_strategy_scope_on_tensorflow() -> None:
    # The README's scale-out advice for this backend: build and compile inside a tf.distribute scope.
    import tensorflow as tf

    data = make_spirals(samples=120, classes=3, seed=0)
    with tf.distribute.MirroredStrategy().scope():
        model = build_model(2, 3, hidden_units=(8,), normalize_on=data.features)
    history = model.fit(data.features, data.labels, epochs=1, batch_size=24, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_keras_distribution_backends_match_the_readme() -> None:
    # The README says keras.distribution runs on JAX only: Keras ships no torch implementation, and
    # its TensorFlow one is marked as a prototype not to be used.
    backends = Path(keras.__file__).parent / "src" / "backend"
    assert (backends / "jax" / "distribution_lib.py").is_file()
    assert not (backends / "torch" / "distribution_lib.py").exists()
    assert "DO NOT USE" in (backends / "tensorflow" / "distribution_lib.py").read_text()
