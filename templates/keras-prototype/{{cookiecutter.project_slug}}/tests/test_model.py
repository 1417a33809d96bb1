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
    REGRESSION,
    Config,
    DataConfig,
    load_config,
)
from {{ cookiecutter.package_name }}.data import (
    Dataset,
    read_table,
    spirals_table,
    training_dataset,
)
from {{ cookiecutter.package_name }}.model import (
    build_model,
    load_keras_model,
    model_inputs,
    predict_raw,
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


def _spirals(samples: int = 600, seed: int = 0) -> Dataset:
    return training_dataset(spirals_table(DataConfig(samples=samples, seed=seed)), "label")


def _mixed(tmp_path: Path) -> Dataset:
    """Numbers with gaps, a category with a gap, a date: the three kinds of column and missing values."""
    rows = [
        f"{'' if i % 7 == 0 else i % 10},{['red', 'green', 'blue'][i % 3] if i % 11 else ''},2024-01-{i % 28 + 1:02d},"
        f"{i % 2 if not REGRESSION else (i % 10) * 2.5 + (i % 3)}"
        for i in range(60)
    ]
    path = tmp_path / "mixed.csv"
    path.write_text("size,colour,day,label\n" + "\n".join(rows) + "\n")
    return training_dataset(read_table(path), "label")


def test_the_saved_model_holds_its_preprocessing(tmp_path: Path) -> None:
    # Medians, normalisation, vocabularies and fills come back from the .keras file alone, on every backend.
    dataset = _mixed(tmp_path)
    model = build_model(dataset, hidden_units=(8,))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_keras_model(path)
    before, _ = predict_raw(model, dataset.features)
    after, unseen = predict_raw(loaded, dataset.features)
    np.testing.assert_allclose(before, after, rtol=1e-5)
    assert not unseen
    encoder = loaded.get_layer("category_encoder")
    assert encoder.columns == ["colour"]
    assert sorted(encoder.vocabularies[0]) == ["blue", "green", "red"]
    fill = keras.ops.convert_to_numpy(loaded.get_layer("fill_missing").fill)
    assert fill[0] == pytest.approx(np.nanmedian(dataset.features.numeric[:, 0]))
    assert not np.isnan(after).any()


def test_an_unseen_category_is_counted_not_a_crash(tmp_path: Path) -> None:
    dataset = _mixed(tmp_path)
    model = build_model(dataset, hidden_units=(8,))
    features = dataset.features.take(np.arange(4))
    features.categorical[0, 0] = "purple"
    features.categorical[1, 0] = "ultraviolet"
    inputs, unseen = model_inputs(model, features)
    assert unseen == {"colour": (2, "purple")}
    assert inputs["categories"][:2, 0].tolist() == [0, 0]  # index 0: not seen in training
    assert predict_raw(model, features)[0].shape[0] == 4


@pytest.mark.skipif(REGRESSION, reason="a classifier's output")
def test_build_outputs_class_probabilities() -> None:
    data = _spirals(samples=90)
    probabilities, _ = predict_raw(build_model(data, hidden_units=(8,)), data.features)
    assert probabilities.shape == (90, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_a_short_fit_lowers_the_loss() -> None:
    keras.utils.set_random_seed(0)
    data = _spirals()
    model = build_model(data, hidden_units=(32, 32), dropout=0.0, learning_rate=0.02)
    inputs, _ = model_inputs(model, data.features)
    before = model.evaluate(inputs, data.target, verbose=0)[0]
    model.fit(inputs, data.target, epochs=8, batch_size=32, verbose=0)
    after = model.evaluate(inputs, data.target, verbose=0)[0]
    assert after < 0.85 * before, (before, after)


def test_scores_are_accuracy_macro_f1_and_cross_entropy() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    result = scores(probs, np.array([0, 1, 1]))
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert result["f1_macro"] == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert result["loss"] == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.4)) / 3)


def test_regression_scores_are_r2_rmse_and_mae() -> None:
    result = scores(np.array([1.0, 2.0, 5.0]), np.array([1.0, 3.0, 5.0]))
    assert result["rmse"] == pytest.approx(np.sqrt(1 / 3))
    assert result["mae"] == pytest.approx(1 / 3)
    assert result["r2"] == pytest.approx(1 - 1 / 8)


def test_default_config_matches_config_toml() -> None:
    # config.toml documents the defaults; the dataclasses must not drift from it.
    root = Path(__file__).resolve().parents[1]
    loaded = load_config(root / "config.toml")
    defaults = Config()
    # A relative data path in the file is read against the file's folder.
    assert loaded.data.path == (str(root / defaults.data.path) if defaults.data.path else "")
    data = replace(loaded.data, path=defaults.data.path)
    assert (data, loaded.model, loaded.experiment) == (defaults.data, defaults.model, defaults.experiment)
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
    data = _spirals(samples=120)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices()))
    try:
        model = build_model(data, hidden_units=(8,))
        history = model.fit(model_inputs(model, data.features)[0], data.target, epochs=1, batch_size=24, verbose=0)
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

    data = _spirals(samples=120)
    with tf.distribute.MirroredStrategy().scope():
        model = build_model(data, hidden_units=(8,))
    history = model.fit(model_inputs(model, data.features)[0], data.target, epochs=1, batch_size=24, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_keras_distribution_backends_match_the_readme() -> None:
    # The README says keras.distribution runs on JAX only: Keras ships no torch implementation, and
    # its TensorFlow one is marked as a prototype not to be used.
    backends = Path(keras.__file__).parent / "src" / "backend"
    assert (backends / "jax" / "distribution_lib.py").is_file()
    assert not (backends / "torch" / "distribution_lib.py").exists()
    assert "DO NOT USE" in (backends / "tensorflow" / "distribution_lib.py").read_text()
