"""The SageMaker client starter, end to end, as a user runs it: generate, install the pins in a
fresh venv, train locally, then the project's own tests, which start moto's AWS server on
127.0.0.1 and drive upload, training job, deploy, predict, cleanup, AutoML and the failure
paths over real HTTP with dummy credentials (never the internet, never an AWS account)."""

from __future__ import annotations

import json

import pytest

from .harness import Proof, prove_starter

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


def test_sagemaker_client_end_to_end(tmp_path):
    # `check` wants credentials from the standard chain; dummy ones stand in (nothing is sent).
    dummy = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    proof = prove_starter(tmp_path, framework="sagemaker", target="cpu", name="Wine Cloud",
                          extra=_dry_run_sends_nothing, check_env=dummy)
    assert "accuracy=" in proof.outputs["train"]
    assert " passed" in proof.outputs["tests"] and "failed" not in proof.outputs["tests"]
