"""Spark MLlib starter, end to end: generate, install, train on local[*], run the project's tests; then train,
evaluate and predict on a table it never shipped (scikit-learn's wine data, string labels; the four commands in
one interpreter, see SEQUENCE), refuse broken data with one line, and submit the job through the project's own
`submit` command to a real standalone cluster, with a packed-environment archive in client mode.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spark_standalone import standalone_cluster  # noqa: E402 -- tests/ is not a package root for this helper

from tests.e2e.harness import SHORT_LIVED_JVM, Proof, prove_starter  # noqa: E402 -- after the sys.path change above

pytestmark = pytest.mark.e2e

# Logistic regression on the 13 standardised wine measurements scores ~0.95 on held-out rows; a pipeline
# that mislabels, drops or shuffles rows falls far below this.
WINE_ACCURACY_FLOOR = 0.85
CULTIVARS = ("barolo", "grignolino", "barbera")


def _write_wine(folder: Path) -> dict[str, Path]:
    """sklearn's wine table (59/71/48 rows per class) as CSV with string labels; without labels; without barolo."""
    from sklearn.datasets import load_wine

    wine = load_wine()
    header = [name.replace("/", "_") for name in wine.feature_names]
    rows = [[*map(float, x), CULTIVARS[y]] for x, y in zip(wine.data, wine.target, strict=True)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"train": folder / "wine.csv", "features": folder / "wine_features.csv",
             "two_classes": folder / "wine_two_classes.csv"}
    for key, columns, body in (("train", [*header, "cultivar"], rows),
                               ("features", header, [r[:-1] for r in rows]),
                               ("two_classes", [*header, "cultivar"], [r for r in rows if r[-1] != "barolo"])):
        with paths[key].open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(body)
    return paths


def _fails(proof: Proof, *args: str, message: str) -> str:
    """A command that must refuse its input: exit 2, one `error:` line, no Python or Java stack trace."""
    result = subprocess.run([str(proof.python), "-m", proof.project.package, *args], cwd=proof.path, env=proof.env,
                            capture_output=True, text=True, timeout=600)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-3000:]
    assert lines[-1].startswith("error: ") and message in lines[-1], lines[-5:]
    assert not [line for line in lines if "Traceback" in line or line.lstrip().startswith("at org.apache")], lines
    return lines[-1]


# The own-data commands, one after another in one interpreter through the command line's own entry point, as
# `python -m <package>` calls it: each command starts and stops its SparkSession, the JVM stays. Run as four
# processes they took 96 s and 121 machine CPU-s, in one 52 s and 64 CPU-s (2026-12-01, this 2-core machine, idle):
# four JVM starts and their class loading, JIT and code generation, which the bundled `train`, `check`, the
# refusals below and `submit` still prove as separate commands.
SEQUENCE = """
import json, sys
from {package}.cli import main
for argv in json.loads(sys.argv[1]):
    code = main(argv)
    if code:
        sys.exit(f"{{argv[0]}} exited {{code}}")
"""


def check_own_data(proof: Proof) -> dict:
    """train --data/--target, evaluate, evaluate --data, predict on wine; broken inputs refused."""
    data = _write_wine(proof.path / "own")
    metrics = {step: proof.path / "own" / f"{step}.json" for step in ("train", "evaluate", "evaluate-data")}
    out = proof.path / "own" / "scored.csv"
    commands = [
        ["train", "--data", str(data["train"]), "--target", "cultivar", "--metrics", str(metrics["train"])],
        ["evaluate", "--metrics", str(metrics["evaluate"])],
        ["evaluate", "--data", str(data["two_classes"]), "--metrics", str(metrics["evaluate-data"])],
        ["predict", "--data", str(data["features"]), "--output", str(out)],
    ]
    proof.run(str(proof.python), "-c", SEQUENCE.format(package=proof.project.package), json.dumps(commands),
              step="wine: train, evaluate, evaluate --data, predict")
    trained = json.loads(metrics["train"].read_text())
    assert trained["accuracy"] >= WINE_ACCURACY_FLOOR, trained
    assert trained["rows"] == 178 and trained["rows_train"] + trained["rows_test"] == 178, trained
    schema = json.loads((proof.path / "artifacts" / "model" / "schema.json").read_text())
    assert schema["classes"] == sorted(CULTIVARS) and len(schema["numeric"]) == 13

    held_out = json.loads(metrics["evaluate"].read_text())
    assert held_out["rows"] == trained["rows_test"] and held_out["accuracy"] == pytest.approx(trained["accuracy"])

    two = json.loads(metrics["evaluate-data"].read_text())
    assert two["rows"] == 178 - 59 and two["accuracy"] >= WINE_ACCURACY_FLOOR, two

    with out.open(newline="") as f:
        scored = list(csv.DictReader(f))
    assert len(scored) == 178 and {r["prediction"] for r in scored} <= set(CULTIVARS)
    with data["train"].open(newline="") as f:
        truth = [r["cultivar"] for r in csv.DictReader(f)]
    right = sum(r["prediction"] == t for r, t in zip(scored, truth, strict=True))
    assert right / 178 >= WINE_ACCURACY_FLOOR

    # Broken data: each is one line and exit 2. The first two fail before a JVM starts; the malformed
    # row fails inside a Spark task, whose Java stack trace must not reach the user.
    latin1 = proof.path / "own" / "latin1.csv"
    latin1.write_bytes("x,cultivar\n1,barbera\n2,caf\u00e9\n".encode("latin-1"))
    _fails(proof, "train", "--data", str(latin1), "--target", "cultivar", message="not UTF-8 text")
    before = data["features"].read_bytes()
    _fails(proof, "predict", "--data", str(data["features"]), "--output", str(data["features"]),
           message="refusing to overwrite the input")
    assert data["features"].read_bytes() == before
    ragged = proof.path / "own" / "ragged.csv"
    ragged.write_text(data["two_classes"].read_text() + "1.0,2.0\n")
    _fails(proof, "evaluate", "--data", str(ragged), message="alformed")
    return trained


def check_on_standalone(proof: Proof, root: Path) -> dict:
    """Submit the generated project to a one-worker standalone cluster and prove the worker ran it.

    Client mode with --archive: the executors get the packed environment, the driver keeps this interpreter
    (pointing the driver at ./environment/bin/python, which exists only where the archive is unpacked, would
    fail before the job starts). Paths are file:// URIs, as a cluster master requires; the worker is on this
    machine, so the URIs name a disk it shares.
    """
    project, python = proof.path, proof.python
    env = {**proof.env, "PYSPARK_PYTHON": str(python)}
    # A stand-in for `venv-pack -o env.tar.gz`: bin/python starts the project's venv.
    launcher = root / "env" / "bin" / "python"
    launcher.parent.mkdir(parents=True)
    launcher.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')
    launcher.chmod(0o755)
    archive = root / "env.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(launcher.parent, arcname="bin")
    model_dir = root / "model"
    metrics_path = root / "metrics.json"
    with standalone_cluster(python.parent, root, env=env) as cluster:
        submit = subprocess.run(
            [str(python), "-m", proof.project.package, "submit", "--cluster", "standalone",
             "--master", cluster.master_url, "--archive", str(archive),
             "--data", (project / "data" / "customers.csv").as_uri(), "--model-dir", model_dir.as_uri(),
             "--metrics", str(metrics_path),
             "--", "--conf", "spark.executor.memory=512m", "--conf", "spark.driver.memory=512m",
             "--conf", "spark.cores.max=1"],
            cwd=project, env=env, capture_output=True, text=True, timeout=420)
        assert submit.returncode == 0, submit.stdout[-3000:] + submit.stderr[-5000:]
        state = cluster.state()
    command = submit.stdout.strip().splitlines()[0]
    assert "spark.pyspark.python=./environment/bin/python" in command
    assert f"spark.pyspark.driver.python={python}" in command
    metrics = json.loads(metrics_path.read_text())
    schema = json.loads((model_dir / "schema.json").read_text())
    app_id = schema["trained"]["app_id"]
    assert schema["trained"]["master"] == cluster.master_url
    finished = {app["id"]: app["state"] for app in state["completedapps"]}
    assert finished.get(app_id) == "FINISHED", state["completedapps"]
    executors = list((cluster.work_dir / app_id).glob("*/stderr"))
    assert executors, f"no executor ran on the worker for {app_id}"
    assert any((e.parent / "environment" / "bin" / "python").is_file() for e in executors), "archive not unpacked"
    assert (model_dir / "pipeline" / "metadata").is_dir() and (model_dir / "holdout").is_dir()
    assert metrics["areaUnderROC"] > 0.7 and metrics["rows"] == 800
    return metrics


def test_spark_cluster_job(tmp_path):
    figures: dict[str, dict] = {}

    def extra(proof: Proof) -> None:
        figures["wine"] = check_own_data(proof)
        figures["standalone"] = check_on_standalone(proof, tmp_path / "cluster")

    prove_starter(tmp_path, framework="spark", target="cpu", options={"cluster": "standalone"}, extra=extra,
                  env=SHORT_LIVED_JVM)
    print(f"\nspark figures: wine accuracy {figures['wine']['accuracy']:.3f} (floor {WINE_ACCURACY_FLOOR}), "
          f"standalone AUC {figures['standalone']['areaUnderROC']:.3f}")
