"""The SageMaker workflow against moto's server on loopback: real HTTP, real botocore."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.request
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import entry_point, jobs
from {{ cookiecutter.package_name }}.aws import Sender
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_config
from {{ cookiecutter.package_name }}.images import image_uri

from .conftest import PROJECT, ROLE, client

DATA = PROJECT / "data" / "wine.csv"
FAST = ["--poll", "0.05", "--timeout", "5"]


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_upload_puts_the_table_in_the_bucket(config_path: Path, moto: str, bucket: str) -> None:
    assert run(config_path, "upload") == 0
    config = load_config(config_path)
    key = f"{config.prefix}/data/train/wine.csv"
    stored = client("s3", moto).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored == DATA.read_bytes()


def test_remote_train_runs_the_entry_point_in_the_regions_image(
    config_path: Path, moto: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_path, "upload") == 0
    assert run(config_path, "remote-train", "--wait", *FAST) == 0
    out = capsys.readouterr().out
    assert "Completed" in out
    config = load_config(config_path)
    sagemaker = client("sagemaker", moto)
    [summary] = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    job = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
    expected_image = image_uri(config, "training", config.training_instance_type)
    assert job["AlgorithmSpecification"]["TrainingImage"] == expected_image
    assert job["StoppingCondition"]["MaxRuntimeInSeconds"] == config.max_runtime_seconds
    assert job["ResourceConfig"]["InstanceType"] == config.training_instance_type
    assert job["RoleArn"] == ROLE
    assert json.loads(job["HyperParameters"]["target"]) == "cultivar"
    # The script SageMaker will run is byte for byte the local one.
    code_uri = json.loads(job["HyperParameters"]["sagemaker_submit_directory"])
    key = code_uri.removeprefix(f"s3://{bucket}/")
    bundle = client("s3", moto).get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(bundle)) as tar:
        shipped = tar.extractfile("entry_point.py").read()  # type: ignore[union-attr]
    assert shipped == Path(entry_point.__file__).read_bytes()


def test_remote_train_without_uploaded_data_says_upload_first(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_path, "remote-train") == 1
    assert "run `upload` first" in capsys.readouterr().err


def test_deploy_predict_cleanup(config_path: Path, moto: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config_path, "upload") == 0
    assert run(config_path, "remote-train", "--wait", *FAST) == 0
    assert run(config_path, "deploy", "--wait", *FAST) == 0
    sagemaker = client("sagemaker", moto)
    [endpoint] = sagemaker.list_endpoints()["Endpoints"]
    assert endpoint["EndpointStatus"] == "InService"
    config = load_config(config_path)
    model = sagemaker.describe_model(ModelName=endpoint["EndpointName"])["PrimaryContainer"]
    assert model["Image"] == image_uri(config, "inference", config.hosting_instance_type)
    assert model["Environment"]["SAGEMAKER_PROGRAM"] == "entry_point.py"
    assert model["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"

    # moto cannot run the container, so it answers with a body we queue: the one the entry
    # point's serving functions give for these rows with a locally trained model.
    entry_point.train(DATA, "cultivar", tmp_path / "model")
    bundle = entry_point.model_fn(str(tmp_path / "model"))
    rows = jobs.feature_rows(DATA, "cultivar", limit=3)
    body, _ = entry_point.output_fn(entry_point.predict_fn(entry_point.input_fn(rows, "text/csv"), bundle), "")
    queued = {"results": [{"Body": body, "ContentType": "application/json"}], "region": config.region}
    request = urllib.request.Request(f"{moto}/moto-api/static/sagemaker/endpoint-results",
                                     data=json.dumps(queued).encode(), method="POST")
    urllib.request.urlopen(request).close()
    capsys.readouterr()
    assert run(config_path, "predict") == 0
    assert json.loads(capsys.readouterr().out) == {"predictions": ["0", "0", "0"]}

    assert run(config_path, "cleanup") == 0
    out = capsys.readouterr().out
    assert "deleted Endpoint" in out and "nothing else is running" in out
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


def test_automl_submits_and_wait_gives_up_without_stopping_it(
    config_path: Path, moto: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_path, "automl") == 0
    out = capsys.readouterr().out
    assert "at least 500" in out  # the bundled table is too small for Autopilot: said up front
    sagemaker = client("sagemaker", moto)
    [summary] = sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"]
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=summary["AutoMLJobName"])
    tabular = job["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    assert tabular["TargetAttributeName"] == "cultivar"
    assert tabular["CompletionCriteria"]["MaxCandidates"] == load_config(config_path).automl_max_candidates

    # moto's AutoML jobs never finish, like a long real one: wait must give up, not hang.
    assert run(config_path, "wait", "--automl", "--poll", "0.05", "--timeout", "0.3") == 1
    err = capsys.readouterr().err
    assert "still InProgress" in err and "stop-auto-ml-job" in err
    # ... and deploying it is refused clearly, while cleanup warns that it still costs money.
    assert run(config_path, "deploy", "--automl", summary["AutoMLJobName"]) == 1
    assert "no best candidate" in capsys.readouterr().err
    running = jobs.still_running(Sender(load_config(config_path)))
    assert running == [f"AutoML job {summary['AutoMLJobName']} (InProgress)"]


def test_dry_run_prints_every_request_and_sends_nothing(
    config_path: Path, moto: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = (["upload"], ["remote-train"], ["automl"], ["deploy", "--training", "job-1"],
                ["predict", "--endpoint", "ep-1"], ["cleanup", "--endpoint", "ep-1"], ["status", "--training", "job-1"])
    for command in commands:
        assert run(config_path, *command, "--dry-run") == 0, command
    out = capsys.readouterr().out
    for operation in ("s3.head_bucket", "s3.put_object", "sagemaker.create_training_job",
                      "sagemaker.create_auto_ml_job_v2", "sagemaker.create_model", "sagemaker.create_endpoint_config",
                      "sagemaker.create_endpoint", "sagemaker-runtime.invoke_endpoint", "sagemaker.delete_endpoint",
                      "sagemaker.list_auto_ml_jobs", "sagemaker.describe_training_job"):
        assert f"[dry-run] {operation}\n" in out, operation
    assert '"MaxRuntimeInSeconds": ' in out
    assert "testing" not in out  # the (dummy) credentials are never printed
    sagemaker = client("sagemaker", moto)
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []
    assert sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"] == []
    assert sagemaker.list_models()["Models"] == []
    assert client("s3", moto).list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert not (config_path.parent / ".sagemaker-state.json").exists()
