"""The commands of a regression project end to end on a small config: train, evaluate, predict, experiment, bad input."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import BUNDLED, write_config

from {{ cookiecutter.package_name }}.cli import main


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in err, err
    for text in expected:
        assert text in errors[0], err
    return errors[0]


@dataclass
class Project:
    root: Path
    config: Path
    artifacts: Path
    metrics: dict[str, float]
    card: dict


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One training run on the bundled used cars (numbers, categories, a date, missing cells)."""
    root = tmp_path_factory.mktemp("project")
    config = write_config(root)
    assert main(["--config", str(config), "train"]) == 0
    artifacts = root / "artifacts"
    metrics = json.loads((artifacts / "metrics.json").read_text())
    card = json.loads((artifacts / "model.json").read_text())
    return Project(root, config, artifacts, metrics, card)


def test_train_reports_regression_metrics_on_the_original_scale(project: Project) -> None:
    card, metrics = project.card, project.metrics
    assert card["task"] == "tabular-regression"
    assert card["classes"] == []
    assert card["target"] == "price"
    assert card["feature_types"]["fuel"] == "categorical"
    assert card["feature_types"]["listed"] == "date"
    assert {"r2", "rmse", "mae", "val_r2", "val_rmse", "epochs"} <= set(metrics)
    assert "accuracy" not in metrics
    # The same rows scored by hand from predict's output: rmse and mae are in the target's units.
    prices = [float(row["price"]) for row in _read_csv(project.artifacts / "test.csv")]
    assert metrics["rmse"] < np.std(prices)  # beats predicting the mean, even after a few epochs
    assert metrics["mae"] <= metrics["rmse"]


def test_evaluate_and_predict_agree_with_the_reported_scores(project: Project, tmp_path: Path) -> None:
    config = str(project.config)
    assert main(["--config", config, "evaluate"]) == 0
    again = json.loads((project.artifacts / "metrics.json").read_text())
    assert again["r2"] == pytest.approx(project.metrics["r2"])
    assert again["rows"] == project.metrics["test_rows"]

    held_out = _read_csv(project.artifacts / "test.csv")
    ids = [{**row, "listing": f"L{i}"} for i, row in enumerate(held_out)]
    columns = ["listing", "listed", "body", "fuel", "engine_litres", "mileage_km", "age_years"]
    data = _write_csv(tmp_path / "new.csv", ids, columns)
    out = tmp_path / "preds.csv"
    assert main(["--config", config, "predict", "--data", str(data), "--drop", "listing", "--output", str(out)]) == 0
    predictions = _read_csv(out)
    assert list(predictions[0]) == ["listing", "prediction"]
    assert [p["listing"] for p in predictions] == [f"L{i}" for i in range(len(held_out))]
    predicted = np.array([float(p["prediction"]) for p in predictions])
    truth = np.array([float(row["price"]) for row in held_out])
    assert float(np.sqrt(np.mean((predicted - truth) ** 2))) == pytest.approx(project.metrics["rmse"], rel=1e-4)


def test_unseen_and_missing_values_are_reported_not_a_crash(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _read_csv(BUNDLED)[:6]
    rows[0]["fuel"] = "hydrogen"
    rows[1]["fuel"] = ""
    rows[2]["mileage_km"] = "NA"
    rows[3]["listed"] = ""
    data = _write_csv(tmp_path / "odd.csv", rows, list(rows[0]))
    out = tmp_path / "odd-preds.csv"
    assert main(["--config", str(project.config), "predict", "--data", str(data), "--output", str(out)]) == 0
    assert "column 'fuel': 1 value(s) never seen in training (e.g. 'hydrogen')" in capsys.readouterr().err
    assert all(np.isfinite(float(p["prediction"])) for p in _read_csv(out))


def test_experiment_ranks_on_validation_r2(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "experiment"]) == 0
    out = capsys.readouterr().out
    assert "val_r2" in out
    table = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(table) == 4
    losses = [float(line.split()[4]) for line in table]
    assert losses == sorted(losses)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x,price\n1,10\n2,cheap\n", "holds 'cheap', not a number"),
        (b"x,price\n1,10\n2,inf\n", "not a finite number"),
        (b"x,price\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(6)), "regression needs at least 10"),
        (b"x,price\n1,\n2,NA\n", "target column 'price' has no values"),
    ],
)
def test_bad_targets_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    config = write_config(tmp_path)
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    assert main(["--config", str(config), "train", "--data", str(path), "--target", "price"]) == 2
    _one_error_line(capsys, message)
    assert not (tmp_path / "artifacts").exists()
