"""The SageMaker client starter, end to end, as a user runs it: generate, install the pins in a
fresh venv, train locally, then the project's own tests, which start moto's AWS server on
127.0.0.1 and drive upload, training job, deploy, predict, cleanup, AutoML and the failure
paths over real HTTP with dummy credentials (never the internet, never an AWS account)."""

from __future__ import annotations

import csv
import json
import subprocess

import pytest
from sklearn.datasets import load_breast_cancer

from .harness import Proof, prove_starter

# Logistic regression on scaled features scores about 0.97 on this table's held-out rows;
# guessing the majority class ("benign") would score 0.63.
ACCURACY_FLOOR = 0.9

pytestmark = pytest.mark.e2e


def _dry_run_sends_nothing(proof: Proof) -> None:
    """The installed CLI prints the exact CreateTrainingJob request without credentials or network."""
    config = proof.path / "sagemaker.toml"
    text = config.read_text()
    text = text.replace('role_arn = ""', 'role_arn = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"', 1)
    config.write_text(text.replace('bucket = ""', 'bucket = "e2e-bucket"', 1))
    # No credentials at all, and an unreachable endpoint: anything sent would fail.
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": "/nonexistent",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    result = proof.run(str(proof.python), "-m", proof.project.package, "remote-train", "--dry-run",
                       step="remote-train --dry-run", env=env)
    request = result.stdout.split("[dry-run] sagemaker.create_training_job\n", 1)[1]
    body = json.loads(request[: request.index("\n}\n") + 2])
    assert body["AlgorithmSpecification"]["TrainingImage"].endswith("/sagemaker-scikit-learn:1.9-0-cpu-py3")
    assert body["ResourceConfig"]["InstanceType"] == proof.project.pins.facts["training_instance_type"]
    assert body["StoppingCondition"]["MaxRuntimeInSeconds"] > 0
    assert "nothing was sent" in result.stdout


def _write_table(path, rows, header):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _metrics(proof: Proof) -> dict:
    return json.loads((proof.path / "artifacts" / "metrics.json").read_text())


def _a_table_it_never_shipped(proof: Proof) -> None:
    """scikit-learn's breast-cancer table, labels as words: train, evaluate, evaluate --data, predict, bad data."""
    data = load_breast_cancer()
    header = [name.replace(" ", "_") for name in data.feature_names] + ["diagnosis"]
    rows = [[*map(float, x), data.target_names[y]] for x, y in zip(data.data, data.target, strict=True)]
    folder = proof.path / "own"
    folder.mkdir()
    table = _write_table(folder / "cancer.csv", rows, header)
    package = proof.project.package
    proof.run(str(proof.python), "-m", package, "train", "--data", str(table), "--target", "diagnosis", step="own train")
    trained = _metrics(proof)
    assert trained["accuracy"] >= ACCURACY_FLOOR, trained
    assert trained["train_rows"] + trained["test_rows"] == len(rows)
    proof.run(str(proof.python), "-m", package, "evaluate", step="own evaluate")
    assert _metrics(proof)["accuracy"] == trained["accuracy"]  # the same held-out rows, found again
    # Another table of the same columns (only malignant rows, columns reversed): matched by name.
    malignant = [row for row in rows if row[-1] == "malignant"]
    holdout = _write_table(folder / "malignant.csv", [row[::-1] for row in malignant], header[::-1])
    proof.run(str(proof.python), "-m", package, "evaluate", "--data", str(holdout), step="own evaluate --data")
    scored = _metrics(proof)
    assert scored["rows"] == len(malignant)
    assert scored["accuracy"] >= ACCURACY_FLOOR, scored
    features = _write_table(folder / "features.csv", [row[:-1] for row in rows], header[:-1])
    output = folder / "predictions.csv"
    proof.run(str(proof.python), "-m", package, "predict", "--data", str(features), "--output", str(output),
              step="own predict")
    with output.open(newline="") as handle:
        predicted = list(csv.DictReader(handle))
    assert len(predicted) == len(rows)
    assert {row["prediction"] for row in predicted} == {"malignant", "benign"}
    assert {"proba_malignant", "proba_benign"} <= set(predicted[0])
    right = sum(p["prediction"] == row[-1] for p, row in zip(predicted, rows, strict=True))
    assert right / len(rows) >= ACCURACY_FLOOR
    proof.outputs["own table"] = (f"train accuracy {trained['accuracy']:.4f} on {trained['test_rows']:.0f} held-out "
                                  f"rows; evaluate --data accuracy {scored['accuracy']:.4f}; predict {right}/{len(rows)}")

    (folder / "empty.csv").write_text("")
    one_class = _write_table(folder / "one-class.csv", malignant, header)
    broken = [
        (["train", "--data", str(folder / "empty.csv"), "--target", "diagnosis"], "is empty"),
        (["train", "--data", str(one_class), "--target", "diagnosis"], "single class"),
        (["train", "--data", str(table), "--target", "outcome"], "target column 'outcome' not found"),
        (["predict", "--data", str(holdout), "--output", str(table)], "refusing to overwrite"),
    ]
    for args, message in broken:
        result = subprocess.run([str(proof.python), "-m", package, *args], cwd=proof.path, env=proof.env,
                                capture_output=True, text=True, timeout=120)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        assert len(errors) == 1 and message in errors[0], (args, result.stderr)


def _extra(proof: Proof) -> None:
    _dry_run_sends_nothing(proof)
    _a_table_it_never_shipped(proof)


def test_sagemaker_client_end_to_end(tmp_path):
    # `check` wants credentials from the standard chain; dummy ones stand in (nothing is sent).
    dummy = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    proof = prove_starter(tmp_path, framework="sagemaker", target="cpu", name="Wine Cloud",
                          extra=_extra, check_env=dummy)
    assert "accuracy=" in proof.outputs["train"]
    assert " passed" in proof.outputs["tests"] and "failed" not in proof.outputs["tests"]
    print(f"\nsagemaker own table: {proof.outputs['own table']}")
