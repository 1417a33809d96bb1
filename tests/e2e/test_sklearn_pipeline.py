"""The scikit-learn starter, end to end, as a user runs it: on its penguins, then on a table it never shipped."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import time

import pytest
from sklearn.datasets import load_breast_cancer

import scaffold

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e

# The floor for the user's own table (scikit-learn's breast-cancer data, string labels): gradient boosting
# scores about 0.95-0.97 on it; below 0.90 something is wrong with how the starter reads or scores the data.
OWN_DATA_FLOOR = 0.90


def _command(proof: Proof, *args: str, step: str) -> subprocess.CompletedProcess:
    return proof.run(str(proof.python), "-m", proof.project.package, *args, step=step)


def _refused(proof: Proof, *args: str) -> str:
    """A command that must fail on bad data: exit status 2 and a single ``error:`` line on stderr."""
    result = subprocess.run([str(proof.python), "-m", proof.project.package, *args], cwd=proof.path, env=proof.env,
                            capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def _metrics(proof: Proof) -> dict[str, float]:
    return json.loads((proof.path / "artifacts" / "metrics.json").read_text())


def _bundled(proof: Proof) -> None:
    _command(proof, "evaluate", step="evaluate")
    assert _metrics(proof)["accuracy"] > 0.9 and _metrics(proof)["rows"] == 69
    assert (proof.path / "artifacts" / "confusion_matrix.png").stat().st_size > 1000
    _command(proof, "predict", "--data", "data/penguins.csv", "--output", "out.csv", step="predict")
    assert (proof.path / "out.csv").read_text().count("\n") == 345


def _write_csv(path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


def _own_data(proof: Proof) -> None:
    """A table the starter never shipped: string labels, a categorical column, a stray word in a numeric one."""
    own = proof.path / "own"
    own.mkdir()
    bunch = load_breast_cancer()  # numpy arrays: the test process has scikit-learn but not pandas
    header = [*map(str, bunch.feature_names), "clinic", "diagnosis"]
    rng = random.Random(0)
    table = [[*map(float, x), rng.choice(["north", "south", "east"]), str(bunch.target_names[y])]
             for x, y in zip(bunch.data, bunch.target, strict=True)]
    rng.shuffle(table)
    cut = len(table) * 15 // 100
    fresh, training = table[:cut], table[cut:]  # fresh: rows that training never sees, not even as held-out
    training[10][0] = "unknown"  # column 0 is "mean radius"
    _write_csv(own / "train.csv", header, training)
    _write_csv(own / "labelled.csv", header, fresh)
    _write_csv(own / "new.csv", header[:-1], [row[:-1] for row in fresh])
    labels = {"benign", "malignant"}

    trained = _command(proof, "train", "--data", "own/train.csv", "--target", "diagnosis", step="own-train")
    assert "'mean radius' has 1 value that is not a number (e.g. 'unknown' in row 10)" in trained.stderr
    metrics = _metrics(proof)
    assert metrics["accuracy"] >= OWN_DATA_FLOOR and metrics["values_coerced"] == 1
    metadata = json.loads((proof.path / "artifacts" / "metadata.json").read_text())
    assert set(metadata["classes"]) == labels
    assert "mean radius" in metadata["schema"]["numeric"] and metadata["schema"]["categorical"] == ["clinic"]
    proof.outputs["own-train-accuracy"] = str(metrics["accuracy"])

    _command(proof, "evaluate", step="own-evaluate")
    held_out = _metrics(proof)
    assert held_out["rows"] == len(metadata["data"]["held_out_rows"]) and held_out["accuracy"] == metrics["accuracy"]

    _command(proof, "evaluate", "--data", "own/labelled.csv", step="own-evaluate-data")
    unseen = _metrics(proof)
    assert unseen["rows"] == len(fresh) and unseen["accuracy"] >= OWN_DATA_FLOOR
    proof.outputs["own-evaluate-data-accuracy"] = str(unseen["accuracy"])

    _command(proof, "predict", "--data", "own/new.csv", "--output", "own/predictions.csv", step="own-predict")
    with (own / "predictions.csv").open(encoding="utf-8") as f:
        predictions = list(csv.DictReader(f))
    assert len(predictions) == len(fresh) and {p["prediction"] for p in predictions} <= labels
    assert {"proba_benign", "proba_malignant"} <= set(predictions[0])
    right = sum(p["prediction"] == row[-1] for p, row in zip(predictions, fresh, strict=True))
    assert right / len(fresh) >= OWN_DATA_FLOOR

    # Broken data: one line and exit status 2 each, nothing overwritten. (The project's own tests cover
    # every other kind in-process: empty, header-only, non-UTF-8, corrupt Parquet, inf, ...)
    _write_csv(own / "one_class.csv", header, [[*row[:-1], "benign"] for row in training])
    assert "single class" in _refused(proof, "train", "--data", "own/one_class.csv", "--target", "diagnosis")
    _write_csv(own / "short.csv", header[1:], [row[1:] for row in fresh])
    assert "missing feature column(s) 'mean radius'" in _refused(proof, "predict", "--data", "own/short.csv")
    before = (own / "train.csv").read_bytes()
    assert "refusing to overwrite" in _refused(proof, "predict", "--data", "own/new.csv", "--output", "own/train.csv")
    assert (own / "train.csv").read_bytes() == before


def _check_and_lock(proof: Proof) -> None:
    """The project's own `check` in its real venv, then a lock that pip installs with hashes."""
    checked = proof.run(str(proof.python), "-m", proof.project.package, "check", step="check")
    assert "all good" in checked.stdout and "PROBLEM" not in checked.stdout
    assert "packages: " in checked.stdout and "pinned distributions installed at their pins" in checked.stdout
    # A pin moved away from its version is a problem, with what to do, and exit status 1.
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "joblib==1.5.2", step="downgrade")
    broken = subprocess.run([str(proof.python), "-m", proof.project.package, "check"], cwd=proof.path, env=proof.env,
                            capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1 and "joblib 1.5.2 is installed, pinned 1.6.0" in broken.stdout, broken.stdout

    # `scaffold lock` (this interpreter's scaffold) for the project's target, then install from the lock.
    started = time.perf_counter()
    result = scaffold.lock(proof.path)
    proof.seconds["lock"] = round(time.perf_counter() - started, 1)
    assert result.packages > len(proof.project.pins.requirements)
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "--require-hashes", "-r", "requirements.lock",
              step="install-lock")
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "--no-deps", "-e", ".", step="install-project")
    again = proof.run(str(proof.python), "-m", proof.project.package, "check", "--json", step="check-locked")
    assert json.loads(again.stdout)["ok"] is True


def _extra(proof: Proof) -> None:
    _bundled(proof)
    _own_data(proof)
    _check_and_lock(proof)


def test_sklearn_pipeline_end_to_end(tmp_path):
    proof = prove_starter(tmp_path, framework="sklearn", name="Churn Model", extra=_extra)
    assert "test accuracy" in proof.outputs["train"]
    assert " passed" in proof.outputs["tests"] and "failed" not in proof.outputs["tests"]
    meta = json.loads((proof.path / "artifacts" / "metadata.json").read_text())
    assert meta["versions"]["scikit-learn"] == proof.project.pins.framework_version
    print(f"sklearn own-data accuracy: held-out {proof.outputs['own-train-accuracy']}, "
          f"unseen file {proof.outputs['own-evaluate-data-accuracy']} (floor {OWN_DATA_FLOOR})")
