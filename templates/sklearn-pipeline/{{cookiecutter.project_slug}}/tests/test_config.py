"""config.toml: every key known, every value of the right type, or one line naming it."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.config import (
    load_config,
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("test_size = 0.2", 'test_size = "0.2"', "test_size = '0.2': must be a number"),
        ("test_size = 0.2", "test_size = 1.5", "test_size = 1.5: must be a number between 0 and 1"),
        ("cv_folds = 3", "cv_folds = 1", "cv_folds = 1: must be an integer of at least 2"),
        ("cv_folds = 3", "cv_folds = 2.5", "cv_folds = 2.5: must be an integer"),
        ("seed = 42", "seed = true", "seed = True: must be a non-negative integer"),
        ("n_jobs = 1", "n_jobs = 0", "n_jobs = 0: must be a positive number of cores, or -1"),
        ('task = "classification"', 'task = "classify"', "task = 'classify'"),
        ('drop = ["year"]', 'drop = "year"', "drop = 'year': must be a list"),
        ("cv_folds = 3", "cv_fold = 3", "unknown key [split] cv_fold"),
        ("[compute]", "[computer]", "unknown section [computer]"),
        ("max_iter = 100", "max_iters = 100", "[model] max_iters: not a parameter of HistGradientBoostingClassifier"),
        ("learning_rate = 0.1", 'learning_rate = "fast"', "[model]: The 'learning_rate' parameter"),
        ('path = "data/penguins.csv"', "path = 3", "[data] path = 3: must be a string"),
        ("seed = 42", "seed = = 42", "not valid TOML"),
    ],
    ids=[
        "test_size-text",
        "test_size-range",
        "one-fold",
        "fractional-folds",
        "bool-seed",
        "zero-cores",
        "task",
        "drop-not-list",
        "typo-key",
        "typo-section",
        "typo-model-param",
        "bad-model-value",
        "path-type",
        "syntax",
    ],
)
def test_bad_settings_are_one_line_and_exit_2(fails, workdir, old, new, message):
    config = workdir / "config.toml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))
    assert message in fails("train")
    assert not (workdir / "artifacts").exists()  # refused before any work


def test_flags_override_the_file(workdir):
    config = load_config(workdir / "config.toml", seed=7, cv_folds=4, data_path="other.csv", target="y")
    assert (config.seed, config.cv_folds, config.target) == (7, 4, "y")
    assert config.drop == ()  # the file's drop list names columns of the file's own data set
    assert load_config(workdir / "config.toml").drop == ("year",)


def test_a_bad_flag_value_is_one_line(fails):
    assert "cv_folds = 1" in fails("train", "--cv-folds", "1")
    assert "invalid int value" in fails("train", "--cv-folds", "many")
