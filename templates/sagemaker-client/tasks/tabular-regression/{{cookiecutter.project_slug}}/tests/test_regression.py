"""The regression this project was generated for: the bundled deliveries table, locally and as the job runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import (
    entry_point,
    jobs,
)
from {{ cookiecutter.package_name }}.cli import (
    main,
)
from {{ cookiecutter.package_name }}.config import (
    load_config,
)

from .conftest import PROJECT, ROLE, write_config

DATA = PROJECT / "data" / "deliveries.csv"
TARGET = "delivery_minutes"
SETTINGS = {
    "path": str(DATA),
    "target": TARGET,
    "task": "regression",
    "drop": ["order_id"],
    "problem_type": "Regression",
}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_project_settings_train_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """sagemaker.toml as generated: the bundled table, its target, its id column dropped."""
    config = load_config(PROJECT / "sagemaker.toml")
    assert (config.data_path, config.target, config.task, config.drop) == (DATA, TARGET, "regression", ("order_id",))
    assert config.automl_problem_type == "Regression"
    assert config.automl_objective == "MSE"
    model = tmp_path / "model"
    assert main(["--config", str(write_config(tmp_path, **SETTINGS)), "train", "--model-dir", str(model)]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # A linear model on a generated table whose minutes grow with distance (times a per-vehicle speed),
    # items, weather and weekends: about 0.87 on the 100 held-out rows; the mean would score 0.
    assert metrics["r2"] >= 0.75, metrics
    assert metrics["mae"] < metrics["rmse"] < 8
    assert "r2=" in capsys.readouterr().out
    schema = json.loads((model / entry_point.SCHEMA_FILE).read_text())
    assert schema["feature_types"] == {
        "ordered_on": "date",
        "distance_km": "number",
        "items": "number",
        "vehicle": "category",
        "weather": "category",
        "driver_rating": "number",
    }
    assert schema["classes"] == []


def test_predict_keeps_the_id_and_writes_numbers(tmp_path: Path) -> None:
    config, model = write_config(tmp_path, **SETTINGS), tmp_path / "model"
    assert main(["--config", str(config), "train", "--model-dir", str(model)]) == 0
    rows = read_rows(DATA)[:20]
    features = tmp_path / "new.csv"
    with features.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [name for name in rows[0] if name != TARGET], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "predictions.csv"
    args = ["predict", "--data", str(features), "--output", str(out), "--model-dir", str(model)]
    assert main(["--config", str(config), *args]) == 0
    predicted = read_rows(out)
    assert [row["order_id"] for row in predicted] == [row["order_id"] for row in rows]
    assert list(predicted[0])[-1] == "prediction"
    errors = [abs(float(p["prediction"]) - float(row[TARGET])) for p, row in zip(predicted, rows, strict=True)]
    assert sum(errors) / len(errors) < 8


def test_the_job_carries_the_task_and_runs_it_as_sagemaker_does(tmp_path: Path) -> None:
    """The training job's hyperparameters are the script's arguments: the task and the dropped id travel."""
    config = load_config(write_config(tmp_path, role_arn=ROLE, bucket="my-bucket", **SETTINGS))
    request = jobs.training_job_request(config, "job", "image", "s3://b/code.tar.gz", "s3://b/data/x/train/")
    hyperparameters = {key: json.loads(value) for key, value in request.params["HyperParameters"].items()}
    assert hyperparameters["task"] == "regression"
    assert hyperparameters["drop"] == "order_id"
    automl = jobs.automl_request(config, "job-1", "s3://my-bucket/in/", TARGET).params
    assert automl["AutoMLProblemTypeConfig"]["TabularJobConfig"]["ProblemType"] == "Regression"
    assert automl["AutoMLJobObjective"] == {"MetricName": "MSE"}

    code = tmp_path / "code"
    code.mkdir()
    with tarfile.open(fileobj=io.BytesIO(jobs.source_bundle())) as tar:
        for member in tar.getmembers():
            (code / member.name).write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
    channel = tmp_path / "channel"
    channel.mkdir()
    (channel / "train.csv").write_bytes(DATA.read_bytes())
    args = [f"--{key}={value}" for key, value in hyperparameters.items() if not key.startswith("sagemaker_")]
    env = {**os.environ, "SM_CHANNEL_TRAIN": str(channel), "SM_MODEL_DIR": str(tmp_path / "model")}
    done = subprocess.run(
        [sys.executable, "entry_point.py", *args],
        check=False,
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "r2=" in done.stdout
    # The endpoint's functions on raw rows: numbers back, one per row.
    bundle = entry_point.model_fn(str(tmp_path / "model"))
    rows = jobs.feature_rows(DATA, bundle["features"], TARGET, limit=3)
    body, _ = entry_point.output_fn(entry_point.predict_fn(entry_point.input_fn(rows, "text/csv"), bundle), "")
    assert all(isinstance(value, float) for value in json.loads(body)["predictions"])
