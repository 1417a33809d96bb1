"""The commands as a user runs them: ``python -m {{ cookiecutter.package_name }} train|evaluate|predict``."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pandas as pd
import pytest

PACKAGE = "{{ cookiecutter.package_name }}"


def run(workdir, *args):
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args], cwd=workdir, check=False, capture_output=True, text=True, timeout=300
    )


def test_train_evaluate_predict(workdir):
    trained = run(workdir, "train")
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stderr
    assert "INFO" in trained.stderr
    assert json.loads((workdir / "artifacts" / "metrics.json").read_text())["accuracy"] > 0.9

    evaluated = run(workdir, "evaluate")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "scoring the 69 held-out rows" in evaluated.stderr
    assert json.loads((workdir / "artifacts" / "metrics.json").read_text())["accuracy"] > 0.9
    png = workdir / "artifacts" / "confusion_matrix.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    rows = pd.read_csv(workdir / "data" / "penguins.csv").head(5).drop(columns=["species"])
    rows.to_csv(workdir / "new.csv", index=False)
    predicted = run(workdir, "predict", "--data", "new.csv", "--output", "out.csv")
    assert predicted.returncode == 0, predicted.stderr
    out = pd.read_csv(workdir / "out.csv")
    assert len(out) == 5
    assert out["prediction"].isin(["Adelie", "Chinstrap", "Gentoo"]).all()
    assert {"proba_Adelie", "proba_Chinstrap", "proba_Gentoo"} <= set(out.columns)


def test_help_lists_every_command_and_a_usage_error_is_one_line(workdir):
    shown = run(workdir, "--help")
    assert shown.returncode == 0
    for command in ("train", "evaluate", "predict", "check"):
        assert command in shown.stdout
    wrong = run(workdir, "predict")
    assert wrong.returncode == 2
    assert wrong.stderr.count("\n") == 1
    assert wrong.stderr.startswith("error:")


def test_evaluate_before_train_says_what_to_do(fails):
    assert "run `train` first" in fails("evaluate")


@pytest.fixture
def trained(cli_run, workdir):
    status, err = cli_run("train")
    assert status == 0, err
    return workdir


def test_predict_never_overwrites_its_input_or_the_training_data(trained, fails):
    data = trained / "data" / "penguins.csv"
    before = data.read_bytes()
    rows = trained / "rows.csv"
    pd.read_csv(data).head(3).to_csv(rows, index=False)
    assert "refusing to overwrite" in fails("predict", "--data", str(data), "--output", str(data))
    assert "refusing to overwrite" in fails(
        "predict", "--data", str(rows), "--output", str(trained / "data" / "." / "penguins.csv")
    )
    assert "refusing to overwrite" in fails("predict", "--data", str(rows), "--output", str(rows))
    assert data.read_bytes() == before


def test_predict_keeps_every_row_in_order_with_the_labels_as_written(trained, cli_run):
    rows = pd.read_csv(trained / "data" / "penguins.csv").iloc[[0, 200, 300]]
    rows.iloc[1, 2:6] = None  # a row with no measurements at all is still predicted (imputed), not dropped
    rows.to_csv(trained / "rows.csv", index=False)
    status, err = cli_run("predict", "--data", str(trained / "rows.csv"), "--output", str(trained / "p.csv"))
    assert status == 0, err
    out = pd.read_csv(trained / "p.csv")
    assert list(out["species"]) == list(rows["species"])
    assert out["prediction"].notna().all()
    probabilities = out[["proba_Adelie", "proba_Chinstrap", "proba_Gentoo"]].sum(axis=1)
    assert probabilities.round(3).eq(1).all()


def test_predict_names_missing_and_unexpected_columns(trained, fails):
    rows = pd.read_csv(trained / "data" / "penguins.csv").head(3).rename(columns={"bill_length_mm": "bill_len"})
    rows.to_csv(trained / "rows.csv", index=False)
    line = fails("predict", "--data", str(trained / "rows.csv"), "--output", str(trained / "p.csv"))
    assert "missing feature column(s) 'bill_length_mm'" in line
    assert "unexpected column(s) 'bill_len'" in line
    assert not (trained / "p.csv").exists()


def test_evaluate_with_data_maps_labels_through_the_models_classes(trained, cli_run):
    rows = pd.read_csv(trained / "data" / "penguins.csv")
    two = rows[rows["species"] != "Chinstrap"]
    two.to_csv(trained / "two.csv", index=False)  # a hold-out missing a class
    status, err = cli_run("evaluate", "--data", str(trained / "two.csv"))
    assert status == 0, err
    metrics = json.loads((trained / "artifacts" / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    assert metrics["rows"] == len(two)


def test_evaluate_with_the_training_data_warns_that_it_is_optimistic(trained, cli_run):
    status, err = cli_run("evaluate", "--data", str(trained / "data" / "penguins.csv"))
    assert status == 0
    assert "is the training data: 275 of its rows were trained on" in err


def test_evaluate_refuses_changed_training_data(trained, fails):
    data = trained / "data" / "penguins.csv"
    data.write_text(data.read_text().replace("Torgersen", "Torgersen Island", 1))
    assert "changed since training" in fails("evaluate")


def test_a_corrupt_model_is_one_line(trained, fails):
    model = trained / "artifacts" / "model.joblib"
    model.write_bytes(model.read_bytes()[:500])
    assert "model.joblib: damaged" in fails("evaluate")
    assert "model.joblib: damaged" in fails(
        "predict", "--data", str(trained / "data" / "penguins.csv"), "--output", str(trained / "p.csv")
    )


def test_a_model_file_that_does_not_unpickle_is_one_line(trained, fails):
    model, meta = trained / "artifacts" / "model.joblib", trained / "artifacts" / "metadata.json"
    model.write_bytes(b"not a pickle at all")
    metadata = json.loads(meta.read_text())
    metadata["model_sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
    meta.write_text(json.dumps(metadata))
    assert "not a readable model" in fails("evaluate")


def test_an_unwritable_output_folder_is_refused_before_training(workdir, cli_run):
    config = workdir / "config.toml"
    # A folder under a regular file cannot be created, even by root (for whom permission bits do not count).
    config.write_text(config.read_text().replace('dir = "artifacts"', 'dir = "config.toml/artifacts"'))
    status, err = cli_run("train")
    assert status == 2
    assert err.startswith("error:")
    assert "cannot write the output folder" in err
    assert err.count("\n") == 1  # not one progress line: the data was not even read


def test_an_unwritable_predictions_file_is_refused_before_predicting(trained, fails):
    line = fails(
        "predict", "--data", str(trained / "data" / "penguins.csv"), "--output", str(trained / "config.toml" / "p.csv")
    )
    assert "cannot write the predictions there" in line


def test_regression_trains_evaluates_and_counts_unlabelled_rows(cli_run, workdir):
    status, err = cli_run("train", "--task", "regression", "--target", "body_mass_g")
    assert status == 0, err
    metrics = json.loads((workdir / "artifacts" / "metrics.json").read_text())
    assert metrics["rows_unlabelled"] == 2  # two penguins were never weighed: left out, and said so
    assert metrics["r2"] > 0.7
    assert metrics["rmse"] > 0
    status, err = cli_run("evaluate")
    assert status == 0, err
    assert (workdir / "artifacts" / "residuals.png").read_bytes()[:4] == b"\x89PNG"


def test_drop_passes_an_id_column_through_predict(trained, cli_run, fails):
    rows = pd.read_csv(trained / "data" / "penguins.csv").head(4).drop(columns=["species"])
    rows.insert(0, "penguin_id", ["p1", "p2", "p3", "p4"])
    rows.to_csv(trained / "rows.csv", index=False)
    assert "unexpected column(s) 'penguin_id'" in fails("predict", "--data", str(trained / "rows.csv"))
    out_path = str(trained / "p.csv")
    status, err = cli_run("predict", "--data", str(trained / "rows.csv"), "--output", out_path, "--drop", "penguin_id")
    assert status == 0, err
    assert list(pd.read_csv(out_path)["penguin_id"]) == ["p1", "p2", "p3", "p4"]


def test_a_model_from_another_scikit_learn_release_is_used_with_a_warning(trained, cli_run):
    meta = trained / "artifacts" / "metadata.json"
    metadata = json.loads(meta.read_text())
    metadata["versions"]["scikit-learn"] = "0.24.2"
    meta.write_text(json.dumps(metadata))
    status, err = cli_run("evaluate")
    assert status == 0, err
    assert "saved with scikit-learn 0.24.2" in err
