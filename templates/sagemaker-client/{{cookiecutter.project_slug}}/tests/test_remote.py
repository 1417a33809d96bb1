"""The SageMaker workflow against moto's server on loopback: real HTTP, real botocore."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import (
    entry_point,
    jobs,
)
from {{ cookiecutter.package_name }}.aws import Sender
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    AUTOML_OBJECTIVES,
    load_config,
)
from {{ cookiecutter.package_name }}.images import (
    image_uri,
)
from {{ cookiecutter.package_name }}.state import (
    State,
)

from . import conftest
from .conftest import AWS_PAGE_SIZE, PROJECT, ROLE, client, write_config

DATA = PROJECT / "data" / "wine.csv"
FAST = ["--poll", "0.05", "--timeout", "5"]


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_each_upload_gets_a_fresh_prefix_and_training_reads_only_the_last(
    config_path: Path, moto: str, bucket: str, tmp_path: Path
) -> None:
    assert run(config_path, "upload") == 0
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("".join(DATA.read_text().splitlines(keepends=True)[:120]))
    assert run(config_path, "upload", "--data", str(smaller)) == 0
    state = State(config_path.parent)
    first, second = state.names("upload")
    assert first != second
    assert state.get("upload") == second
    s3 = client("s3", moto)
    [old] = s3.list_objects_v2(Bucket=bucket, Prefix=first.removeprefix(f"s3://{bucket}/"))["Contents"]
    assert s3.get_object(Bucket=bucket, Key=old["Key"])["Body"].read() == DATA.read_bytes()
    [new] = s3.list_objects_v2(Bucket=bucket, Prefix=second.removeprefix(f"s3://{bucket}/"))["Contents"]
    assert s3.get_object(Bucket=bucket, Key=new["Key"])["Body"].read() == smaller.read_bytes()

    assert run(config_path, "remote-train") == 0
    sagemaker = client("sagemaker", moto)
    job = sagemaker.describe_training_job(TrainingJobName=State(config_path.parent).get("training_job"))
    [channel] = job["InputDataConfig"]
    # The job reads the newest upload's prefix, which holds that one table and nothing older.
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == second


def test_upload_refuses_a_table_the_script_cannot_train_on(
    moto: str, bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "one-class.csv"
    bad.write_text("colour,cultivar\nred,x\nwhite,x\n")
    config = write_config(tmp_path, role_arn=ROLE, bucket=bucket, endpoint_url=moto, path=str(bad))
    assert run(config, "upload") == 2
    assert client("s3", moto).list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert "single class" in capsys.readouterr().err
    # automl checks only the table and its target column (Autopilot has its own checks), so it takes it.
    assert run(config, "automl") == 0
    assert len(client("sagemaker", moto).list_auto_ml_jobs()["AutoMLJobSummaries"]) == 1


def test_upload_converts_parquet_to_csv(config_path: Path, moto: str, bucket: str, tmp_path: Path) -> None:
    table = entry_point.read_table(DATA)
    columns = {name: [float(row[i]) for row in table.rows] for i, name in enumerate(table.header)}
    pq.write_table(pa.table(columns), tmp_path / "wine.parquet")
    assert run(config_path, "upload", "--data", str(tmp_path / "wine.parquet")) == 0
    prefix = State(config_path.parent).get("upload").removeprefix(f"s3://{bucket}/")  # type: ignore[union-attr]
    [stored] = client("s3", moto).list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    assert stored["Key"].endswith("/wine.csv")
    body = client("s3", moto).get_object(Bucket=bucket, Key=stored["Key"])["Body"].read().decode()
    assert body.splitlines()[0] == ",".join(table.header)
    assert len(body.splitlines()) == 179


def test_remote_train_runs_the_entry_point_in_the_regions_image(
    config_path: Path, moto: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_path, "upload") == 0
    assert run(config_path, "remote-train", "--wait", *FAST) == 0
    assert "Completed" in capsys.readouterr().err
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
    assert json.loads(job["HyperParameters"]["task"]) == "classification"
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
    # A recorded upload whose objects are gone is caught too, before a job is paid for.
    State(config_path.parent).record("upload", f"s3://{load_config(config_path).bucket}/gone/train/")
    assert run(config_path, "remote-train") == 1
    assert "no training data under" in capsys.readouterr().err


def test_deploy_invoke_cleanup(
    config_path: Path, moto: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_path, "upload") == 0
    assert run(config_path, "remote-train", "--wait", *FAST) == 0
    assert "Completed" in capsys.readouterr().err
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
    rows = jobs.feature_rows(DATA, bundle["features"], "cultivar", limit=3)
    body, _ = entry_point.output_fn(entry_point.predict_fn(entry_point.input_fn(rows, "text/csv"), bundle), "")
    queued = {"results": [{"Body": body, "ContentType": "application/json"}], "region": config.region}
    request = urllib.request.Request(
        f"{moto}/moto-api/static/sagemaker/endpoint-results", data=json.dumps(queued).encode(), method="POST"
    )
    urllib.request.urlopen(request).close()
    capsys.readouterr()
    assert run(config_path, "invoke") == 0
    assert json.loads(capsys.readouterr().out) == {"predictions": ["0", "0", "0"]}

    assert run(config_path, "cleanup") == 0
    err = capsys.readouterr().err
    assert "deleted Endpoint" in err
    assert "nothing else is running" in err
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


def test_a_second_deploy_is_recorded_and_cleanup_removes_both(config_path: Path, moto: str) -> None:
    assert run(config_path, "upload") == 0
    assert run(config_path, "remote-train", "--wait", *FAST) == 0
    assert run(config_path, "deploy") == 0
    assert run(config_path, "deploy") == 0
    state = State(config_path.parent)
    endpoints = state.names("endpoint")
    assert len(endpoints) == 2
    assert state.names("model") == endpoints == state.names("endpoint_config")
    sagemaker = client("sagemaker", moto)
    assert sorted(e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]) == sorted(endpoints)

    assert run(config_path, "cleanup") == 0
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []
    state = State(config_path.parent)
    assert state.names("endpoint") == state.names("model") == state.names("endpoint_config") == []
    assert state.get("training_job")  # jobs stay on record: SageMaker keeps them too


def test_still_running_reads_every_page(config_path: Path, moto: str) -> None:
    """More endpoints than one page of ListEndpoints holds (AWS answers 10 at a time)."""
    sagemaker = client("sagemaker", moto)
    image = image_uri(load_config(config_path), "inference", "ml.m5.large")
    names = [f"other-endpoint-{i:02d}" for i in range(AWS_PAGE_SIZE + 3)]
    for name in names:
        sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image})
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert len(sagemaker.list_endpoints()["Endpoints"]) == AWS_PAGE_SIZE  # one page, as from AWS
    running = jobs.still_running(Sender(load_config(config_path)))
    assert sorted(running) == sorted(f"endpoint {name} (InService)" for name in names)
    # cleanup --endpoint deletes one made elsewhere, finding its config and model from SageMaker.
    assert run(config_path, "cleanup", "--endpoint", names[0]) == 0
    assert names[0] not in [m["ModelName"] for m in sagemaker.list_models(MaxResults=100)["Models"]]


def test_automl_submits_and_wait_gives_up_without_stopping_it(
    config_path: Path, moto: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_path, "automl") == 0
    err = capsys.readouterr().err
    assert "at least 500" in err  # the bundled table is too small for Autopilot: said up front
    sagemaker = client("sagemaker", moto)
    [summary] = sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"]
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=summary["AutoMLJobName"])
    tabular = job["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    assert tabular["TargetAttributeName"] == "cultivar"
    assert tabular["ProblemType"] == "MulticlassClassification"
    assert job["AutoMLJobObjective"] == {"MetricName": "Accuracy"}
    assert tabular["CompletionCriteria"]["MaxCandidates"] == load_config(config_path).automl_max_candidates

    # moto's AutoML jobs never finish, like a long real one: wait must give up, not hang.
    assert run(config_path, "wait", "--automl", "--poll", "0.05", "--timeout", "0.3") == 1
    err = capsys.readouterr().err
    assert "still InProgress" in err
    assert "stop-auto-ml-job" in err
    # ... and deploying it is refused clearly, while cleanup warns that it still costs money.
    assert run(config_path, "deploy", "--automl", summary["AutoMLJobName"]) == 1
    assert "no best candidate" in capsys.readouterr().err
    running = jobs.still_running(Sender(load_config(config_path)))
    assert running == [f"AutoML job {summary['AutoMLJobName']} (InProgress)"]


def test_dry_run_prints_every_request_and_sends_nothing(
    config_path: Path, moto: str, bucket: str, capsys: pytest.CaptureFixture[str], aws_service_model: list[str]
) -> None:
    commands = (
        ["upload"],
        ["remote-train"],
        ["remote-train", "--data-uri", f"s3://{bucket}/data/x/train/"],
        ["automl"],
        ["deploy", "--training", "job-1"],
        ["invoke", "--endpoint", "ep-1"],
        ["cleanup", "--endpoint", "ep-1"],
        ["status", "--training", "job-1"],
    )
    for command in commands:
        assert run(config_path, *command, "--dry-run") == 0, command
    out = capsys.readouterr().out
    for operation in (
        "s3.head_bucket",
        "s3.put_object",
        "sagemaker.create_training_job",
        "sagemaker.create_auto_ml_job_v2",
        "sagemaker.create_model",
        "sagemaker.create_endpoint_config",
        "sagemaker.create_endpoint",
        "sagemaker-runtime.invoke_endpoint",
        "sagemaker.delete_endpoint",
        "sagemaker.list_auto_ml_jobs",
        "sagemaker.describe_training_job",
    ):
        assert f"[dry-run] {operation}\n" in out, operation
    assert '"MaxRuntimeInSeconds": ' in out
    assert "testing" not in out  # the (dummy) credentials are never printed
    # Each printed request was checked against botocore's model of the operation.
    for operation in (
        "sagemaker.CreateTrainingJob",
        "sagemaker.CreateAutoMLJobV2",
        "sagemaker.CreateEndpoint",
        "sagemaker-runtime.InvokeEndpoint",
        "sagemaker.ListEndpoints",
    ):
        assert operation in aws_service_model, operation
    sagemaker = client("sagemaker", moto)
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []
    assert sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"] == []
    assert sagemaker.list_models()["Models"] == []
    assert client("s3", moto).list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert not (config_path.parent / ".sagemaker-state.json").exists()


@pytest.mark.parametrize("problem_type", [*AUTOML_OBJECTIVES, ""])
def test_automl_sends_problem_type_and_objective_together_or_neither(tmp_path: Path, problem_type: str) -> None:
    task = "regression" if problem_type == "Regression" else "classification"
    settings = {"role_arn": ROLE, "bucket": "my-bucket", "problem_type": problem_type, "task": task}
    config = load_config(write_config(tmp_path, **settings))
    params = jobs.automl_request(config, "job-1", "s3://my-bucket/in/", "cultivar").params
    tabular = params["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    if problem_type:
        assert tabular["ProblemType"] == problem_type
        assert params["AutoMLJobObjective"]["MetricName"] == AUTOML_OBJECTIVES[problem_type][0]
    else:
        assert "ProblemType" not in tabular
        assert "AutoMLJobObjective" not in params
    conftest.check_request("sagemaker", conftest.operation_model("sagemaker", "create_auto_ml_job_v2"), params)


def test_the_service_model_check_refuses_what_aws_refuses(tmp_path: Path) -> None:
    """The checks the tests rely on do bite: a problem type without an objective, an unknown enum value."""
    config = load_config(write_config(tmp_path, role_arn=ROLE, bucket="my-bucket"))
    params = jobs.automl_request(config, "job-1", "s3://my-bucket/in/", "cultivar").params
    model = conftest.operation_model("sagemaker", "create_auto_ml_job_v2")
    without_objective = {k: v for k, v in params.items() if k != "AutoMLJobObjective"}
    with pytest.raises(conftest.InvalidRequest, match="together or not at all"):
        conftest.check_request("sagemaker", model, without_objective)
    with pytest.raises(conftest.InvalidRequest, match="is not one of"):
        conftest.check_request("sagemaker", model, {**params, "AutoMLJobObjective": {"MetricName": "F1Macro"}})
    training = jobs.training_job_request(config, "job-1", "image", "s3://my-bucket/code.tar.gz", "s3://my-bucket/d/")
    broken = {**training.params, "ResourceConfig": {**training.params["ResourceConfig"], "InstanceType": "ml.m5.huge"}}
    with pytest.raises(conftest.InvalidRequest, match="ml.m5.huge"):
        conftest.check_request("sagemaker", conftest.operation_model("sagemaker", "create_training_job"), broken)
