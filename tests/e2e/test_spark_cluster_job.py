"""Spark MLlib starter, end to end: generate, install, train on local[*], run the project's tests,
then submit the job through the project's own `submit` command to a real standalone cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spark_standalone import standalone_cluster  # noqa: E402

from tests.e2e.harness import Proof, prove_starter  # noqa: E402

pytestmark = pytest.mark.e2e


def check_on_standalone(proof: Proof, root: Path) -> dict:
    """Submit the generated project to a one-worker standalone cluster and prove the worker ran it.

    Returns the metrics the job wrote. Asserts that the master lists the application as FINISHED,
    that the worker's work dir holds that application's executor logs, and that the model exists.
    """
    project, python = proof.path, proof.python
    metrics_path = project / "artifacts" / "metrics.json"
    metrics_path.unlink(missing_ok=True)
    # Executors run Python with this interpreter (the pinned numpy is there), as a cluster's
    # spark-env.sh or spark.pyspark.python would arrange.
    env = {**proof.env, "PYSPARK_PYTHON": str(python)}
    with standalone_cluster(python.parent, root, env=env) as cluster:
        submit = subprocess.run(
            [str(python), "-m", proof.project.package, "submit", "--cluster", "standalone",
             "--master", cluster.master_url,
             "--", "--conf", "spark.executor.memory=512m", "--conf", "spark.driver.memory=512m",
             "--conf", "spark.cores.max=1"],
            cwd=project, env=env, capture_output=True, text=True, timeout=420)
        assert submit.returncode == 0, submit.stdout[-3000:] + submit.stderr[-5000:]
        state = cluster.state()
    result = json.loads(metrics_path.read_text())
    app_id = result["spark"]["app_id"]
    assert result["spark"]["master"] == cluster.master_url
    finished = {app["id"]: app["state"] for app in state["completedapps"]}
    assert finished.get(app_id) == "FINISHED", state["completedapps"]
    executor_logs = list((cluster.work_dir / app_id).glob("*/stderr"))
    assert executor_logs, f"no executor ran on the worker for {app_id}"
    assert (Path(result["model_dir"]) / "metadata").is_dir()
    assert result["metrics"]["areaUnderROC"] > 0.7
    return result


def test_spark_cluster_job(tmp_path):
    def on_standalone(proof: Proof) -> None:
        check_on_standalone(proof, tmp_path / "cluster")

    prove_starter(tmp_path, framework="spark", target="cpu", options={"cluster": "standalone"},
                  extra=on_standalone)
