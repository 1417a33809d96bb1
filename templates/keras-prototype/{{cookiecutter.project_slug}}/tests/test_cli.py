"""The commands end to end on a small config: train, predict, experiment, make-data."""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.__main__ import main


def test_train_then_predict(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "train", "--verbose", "0"]) == 0
    artifacts = config_path.parent / "artifacts"
    assert {"model.keras", "checkpoint.keras", "history.csv"} <= {p.name for p in artifacts.iterdir()}
    history = (artifacts / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:1] == ["epoch"] and len(history) >= 2
    assert "val_accuracy=" in capsys.readouterr().out

    data_csv = config_path.parent / "data.csv"
    assert main(["--config", str(config_path), "make-data", str(data_csv), "--samples", "90"]) == 0
    out_csv = config_path.parent / "predictions.csv"
    assert main(["--config", str(config_path), "predict", str(data_csv), "--output", str(out_csv)]) == 0
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "predicted,p0,p1,p2" and len(lines) == 91
    accuracy = float(capsys.readouterr().out.split("accuracy=")[1])
    # Three classes: chance is 1/3; even 8 epochs on 480 rows should beat it clearly.
    assert accuracy > 0.5


def test_experiment_compares_every_combination(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "experiment"]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(table) == 4  # 2 learning rates x 2 layer shapes
    losses = [float(line.split()[4]) for line in table]
    assert losses == sorted(losses)
    assert (config_path.parent / "artifacts" / "experiments.csv").is_file()


def test_errors_are_one_line(config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing_model = str(tmp_path / "none.keras")
    assert main(["--config", str(config_path), "predict", str(tmp_path / "missing.csv"), "--model", missing_model]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nlayers = 3\n")
    assert main(["--config", str(bad), "train"]) == 2
    assert "unknown key(s) in [model]: layers" in capsys.readouterr().err
