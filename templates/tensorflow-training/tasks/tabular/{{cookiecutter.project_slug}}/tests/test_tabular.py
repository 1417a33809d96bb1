"""The tabular job: it learns from the bundled table, stops early with the best weights, exports a SavedModel
that takes raw columns (missing values and unseen categories included), and answers bad data with one line."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    REGRESSION,
    TrainConfig,
)
from {{ cookiecutter.package_name }}.train import (
    TrainResult,
)


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_training_learns_and_keeps_the_best_epoch(config: TrainConfig, trained: TrainResult) -> None:
    metrics = json.loads(config.metrics_path.read_text())
    assert metrics == pytest.approx(trained.metrics)
    assert all(isinstance(value, float) and math.isfinite(value) for value in metrics.values())
    if REGRESSION:
        assert {"r2", "rmse", "mae"} <= set(metrics)
        assert metrics["r2"] > 0.6
    else:
        assert {"accuracy", "f1_macro"} <= set(metrics)
        assert metrics["accuracy"] > 0.85
    best = min(trained.history, key=lambda epoch: epoch.val_loss)
    assert trained.best_epoch == best.epoch
    assert metrics["val_loss"] == pytest.approx(best.val_loss)
    assert metrics["rows_train"] + metrics["rows_validation"] + metrics["rows_test"] + metrics["rows_unlabelled"] == 344


def test_evaluate_scores_the_held_out_rows_as_train_did(trained: TrainResult, tmp_path: Path) -> None:
    assert main(["evaluate", "--model", str(trained.export_path), "--artifacts-dir", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["rows"] == trained.metrics["rows_test"]
    for name in ("r2", "rmse") if REGRESSION else ("accuracy", "f1_macro"):
        assert metrics[name] == pytest.approx(trained.metrics[name], rel=1e-4)


def test_the_saved_model_takes_raw_columns(config: TrainConfig, trained: TrainResult) -> None:
    meta = json.loads((trained.export_path / "metadata.json").read_text())
    serve = tf.saved_model.load(str(trained.export_path)).signatures["serving_default"]
    inputs = meta["inputs"]
    raw = {}
    for name in meta["schema"]["numeric"]:
        raw[inputs[name]] = tf.constant([np.nan, 40.0], tf.float32)  # a missing value is filled inside
    for name in meta["schema"]["categorical"]:
        raw[inputs[name]] = tf.constant(["never seen", ""])  # so are an unseen category and a missing one
    outputs = {key: value.numpy() for key, value in serve(**raw).items()}
    if REGRESSION:
        assert outputs["prediction"].shape == (2,)
        assert np.isfinite(outputs["prediction"]).all()
    else:
        assert outputs["probabilities"].shape == (2, len(trained.classes))
        np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
        assert [name.decode() for name in outputs["class_name"]] == [trained.classes[i] for i in outputs["class_id"]]


def test_predict_keeps_every_row_passes_ids_through_and_counts_unseen_values(
    config: TrainConfig, trained: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(config.data)[:30]
    for i, row in enumerate(rows):
        row["penguin_id"] = f"p{i}"
    rows[0]["island"] = "Atlantis"  # a category training never saw
    rows[1]["bill_length_mm"] = ""  # a missing number
    data = _write(tmp_path / "new.csv", rows)
    output = tmp_path / "out" / "predictions.csv"
    args = ["predict", "--data", str(data), "--output", str(output), "--model", str(trained.export_path)]

    assert main([*args, "--drop", "penguin_id"]) == 0

    err = capsys.readouterr().err
    assert "values training never saw" in err
    assert "'island' 1 row(s)" in err
    written = _rows(output)
    assert [row["penguin_id"] for row in written] == [f"p{i}" for i in range(30)]
    if REGRESSION:
        assert all(math.isfinite(float(row["prediction"])) for row in written)
        truth = [float(row[config.target]) for row in rows[2:] if row[config.target] != "NA"]
        predicted = [
            float(row["prediction"])
            for row, true in zip(written[2:], rows[2:], strict=True)
            if true[config.target] != "NA"
        ]
        assert np.mean(np.abs(np.subtract(truth, predicted))) < 500  # grams; the spread is about 800
    else:
        assert {f"proba_{name}" for name in trained.classes} <= set(written[0])
        right = [row["prediction"] == true[config.target] for row, true in zip(written, rows, strict=True)]
        assert np.mean(right) > 0.85

    # Without --drop, the extra column is refused by name, and nothing is written.
    output.unlink()
    assert main(args) == 2
    assert "unexpected column(s) 'penguin_id'" in _error_line(capsys)
    assert not output.exists()


def _train(data: Path, target: str, tmp_path: Path, *extra: str) -> int:
    return main(
        [
            "train",
            "--data",
            str(data),
            "--target",
            target,
            "--artifacts-dir",
            str(tmp_path / "a"),
            "--epochs",
            "2",
            *extra,
        ]
    )


def test_a_target_of_the_other_kind_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"x": str(i), "colour": "red" if i % 2 else "blue", "y": f"{i * 0.37 + 0.5:.2f}"} for i in range(40)]
    data = _write(tmp_path / "t.csv", rows)
    if REGRESSION:
        assert _train(data, "colour", tmp_path) == 2
        assert "--task tabular-classification" in _error_line(capsys)
    else:
        assert _train(data, "y", tmp_path) == 2
        line = _error_line(capsys)
        assert "decimal numbers" in line
        assert "--task tabular-regression" in line
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,a,y\n1,2,3\n", "column 'a' appears 2 times"),
        ("a,y\n" + "1" * 400 + ",1\n" + "".join(f"{i},{i % 2}\n" for i in range(40)), "too large for a 64-bit float"),
        ("when,y\n" + "".join(f"2024-01-{i % 28 + 1:02d},{i % 2}\n" for i in range(40)), "column 'when' holds dates"),
        ("a,y\n", "no rows"),
    ],
)
def test_bad_tables_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content)
    assert _train(data, "y", tmp_path) == 2
    assert message in _error_line(capsys)
    assert not (tmp_path / "a").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_not_a_regular_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert _train(fifo, "y", tmp_path) == 2
    assert "not a regular file" in _error_line(capsys)
    assert _train(tmp_path / "missing.csv", "y", tmp_path) == 2
    assert "not found" in _error_line(capsys)
