"""The failures people hit, each with a message that says what to do."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main

from .conftest import ROLE, ScriptedEndpoint, write_config


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_missing_bucket(tmp_path: Path, moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, role_arn=ROLE, bucket="no-such-bucket-here", endpoint_url=moto)
    assert run(config, "upload") == 1
    err = capsys.readouterr().err
    assert "'no-such-bucket-here' does not exist" in err
    assert "aws s3 mb" in err


def test_missing_role(tmp_path: Path, moto: str, bucket: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, bucket=bucket, endpoint_url=moto)
    assert run(config, "upload") == 0  # S3 needs no role
    assert run(config, "remote-train") == 1
    assert "no SageMaker execution role: set aws.role_arn" in capsys.readouterr().err


@pytest.fixture
def enforced_auth(moto: str) -> Iterator[None]:
    """Make moto check credentials against its (empty) IAM, as AWS does; undo afterwards."""

    def set_count(value: str) -> None:
        # text/plain: a form content type would make the server parse (and swallow) the body.
        request = urllib.request.Request(
            f"{moto}/moto-api/reset-auth", data=value.encode(), method="POST", headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request).close()

    set_count("0")
    yield
    set_count("inf")


def test_access_denied(
    tmp_path: Path, moto: str, bucket: str, enforced_auth: None, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, role_arn=ROLE, bucket=bucket, endpoint_url=moto)
    assert run(config, "upload") == 1
    err = capsys.readouterr().err
    assert "access denied for s3.head_bucket" in err
    assert "aws sts get-caller-identity" in err


def test_region_without_the_image(tmp_path: Path, moto: str, bucket: str, capsys: pytest.CaptureFixture[str]) -> None:
    # mx-central-1 is a SageMaker region (botocore knows it) with no scikit-learn image in the SDK's table.
    config = write_config(
        tmp_path, role_arn=ROLE, bucket=bucket, endpoint_url=moto, region="mx-central-1", framework="sklearn"
    )
    assert run(config, "remote-train", "--dry-run") == 1
    err = capsys.readouterr().err
    assert "no SageMaker sklearn 1.9-0 training image for region mx-central-1" in err


def test_throttling_is_retried_then_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    with ScriptedEndpoint(400, answer) as endpoint:
        config = write_config(tmp_path, role_arn=ROLE, bucket="b-1", endpoint_url=endpoint.url, max_attempts=3)
        assert run(config, "status", "--training", "job-1") == 1
    assert endpoint.requests == ["SageMaker.DescribeTrainingJob"] * 3  # botocore retried twice
    err = capsys.readouterr().err
    assert "throttled by AWS (ThrottlingException) and still refused after 3 attempts" in err


def test_failed_job_shows_its_failure_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = "AlgorithmError: ValueError: target column 'cultivar' is not in /opt/ml/input/data/train"
    failed = {
        "TrainingJobName": "job-1",
        "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1",
        "TrainingJobStatus": "Failed",
        "SecondaryStatus": "Failed",
        "FailureReason": reason,
    }
    with ScriptedEndpoint(200, failed) as endpoint:
        config = write_config(tmp_path, role_arn=ROLE, bucket="b-1", endpoint_url=endpoint.url)
        assert run(config, "wait", "--training", "job-1", "--poll", "0.05") == 1
    err = capsys.readouterr().err
    assert "training job job-1: Failed" in err
    assert f"error: training job job-1 ended Failed: {reason}" in err
