"""The commands end to end, as a user runs them."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path):
    """A copy of the config and data, so the commands write only into tmp_path."""
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "data", tmp_path / "data")
    return tmp_path


def run(workdir, *args):
    return subprocess.run([sys.executable, "-m", "{{ cookiecutter.package_name }}", *args], cwd=workdir,
                          capture_output=True, text=True, timeout=300)


def test_train_evaluate_predict(workdir):
    trained = run(workdir, "train")
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout
    assert (workdir / "artifacts" / "model.joblib").exists()

    evaluated = run(workdir, "evaluate")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads((workdir / "artifacts" / "metrics.json").read_text())
    assert report["metrics"]["accuracy"] > 0.9
    png = workdir / "artifacts" / "confusion_matrix.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    rows = pd.read_csv(workdir / "data" / "penguins.csv").head(5).drop(columns=["species"])
    rows.to_csv(workdir / "new.csv", index=False)
    predicted = run(workdir, "predict", "new.csv", "-o", "out.csv")
    assert predicted.returncode == 0, predicted.stderr
    out = pd.read_csv(workdir / "out.csv")
    assert len(out) == 5 and out["prediction"].isin(["Adelie", "Chinstrap", "Gentoo"]).all()


def test_evaluate_before_train_says_what_to_do(workdir):
    result = run(workdir, "evaluate")
    assert result.returncode != 0 and "run `train` first" in result.stderr


def test_bad_target_is_a_one_line_error(workdir):
    config = (workdir / "config.toml").read_text().replace('target = "species"', 'target = "nope"')
    (workdir / "config.toml").write_text(config)
    result = run(workdir, "train")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
