"""The remote workflows: upload, training job, AutoML job, wait, deploy, predict, cleanup.

Each builds the exact requests (see ``aws.Request``) and hands them to a ``Sender``, which
sends them or, on --dry-run, prints them. Names of what was created go to ``State``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tarfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import entry_point
from .aws import CloudError, Request, Sender
from .config import Config, ConfigError, SetupError
from .images import image_uri
from .state import State

log = logging.getLogger(__name__)

# Autopilot refuses smaller tables (its job fails at the data-split step).
AUTOML_MIN_ROWS = 500
TRAINING_DONE, TRAINING_FAILED = {"Completed"}, {"Failed", "Stopped"}
AUTOML_DONE, AUTOML_FAILED = {"Completed"}, {"Failed", "Stopped"}
ENDPOINT_DONE, ENDPOINT_FAILED = {"InService"}, {"Failed", "OutOfService"}


class JobFailed(CloudError):
    """Raised when a job or endpoint ends in a failed state; carries SageMaker's FailureReason."""


class WaitTimeout(CloudError):
    """Raised when something is still running after the wait's timeout (it keeps running)."""


def resource_name(config: Config, max_length: int = 63) -> str:
    """``PREFIX-YYYYmmdd-HHMMSS-xxxx``, cut to SageMaker's limit for the resource (63; AutoML: 32).

    The random tail keeps two commands in the same second (two deploys, say) from colliding.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:4]
    base = "".join(ch if ch.isalnum() else "-" for ch in config.prefix).strip("-") or "job"
    return f"{base[: max_length - len(stamp) - 1].rstrip('-')}-{stamp}"


def upload_uri(config: Config, name: str) -> str:
    """A fresh S3 prefix for one upload: the training job reads this prefix and nothing older."""
    return config.s3_uri("data", name, "train") + "/"


def table_csv(path: Path) -> bytes:
    """The table as CSV bytes: a CSV file as it is, a Parquet file converted (the containers read CSV)."""
    table = entry_point.read_table(path)
    if path.suffix.lower() not in (".parquet", ".pq"):
        return path.read_bytes()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return out.getvalue().encode("utf-8")


def _checked_table(path: Path, config: Config) -> bytes:
    """The table's CSV bytes, after the checks local training makes: a bad table fails here, not in a paid job."""
    table = entry_point.read_table(path)
    _, target, _ = entry_point.prepare(table, config.target, config.task, list(config.drop))
    params = config.hyperparameters
    entry_point.split(config.task, target, params["test_size"], params["seed"], table.source)
    return table_csv(path)


# ---- upload ----


def upload(sender: Sender, state: State, path: Path | None = None) -> str:
    """Put the table under a new S3 prefix, record it for ``remote-train`` and return the prefix."""
    config = sender.config
    path = path or config.data_path
    bucket = config.require_bucket()
    body = _checked_table(path, config)
    prefix = upload_uri(config, resource_name(config))
    key = prefix.removeprefix(f"s3://{bucket}/") + path.with_suffix(".csv").name
    sender.send(Request("s3", "head_bucket", {"Bucket": bucket}))
    if (
        sender.send(
            Request(
                "s3",
                "put_object",
                {"Bucket": bucket, "Key": key, "Body": body},
                body_label=f"<{path}: {len(body)} bytes of CSV>",
            )
        )
        is not None
    ):
        state.record("upload", prefix)
        log.info("uploaded %s -> s3://%s/%s", path, bucket, key)
    return prefix


# ---- training job ----


def source_bundle() -> bytes:
    """sourcedir.tar.gz: the entry-point script and the scikit-learn and pandas it needs.

    The requirements.txt pins the releases installed here, so the container trains with the
    same ones as ``python -m ... train`` (SageMaker's toolkits pip-install them first).
    """
    script = Path(entry_point.__file__).read_bytes()
    requirements = "".join(f"{name}=={metadata.version(name)}\n" for name in ("scikit-learn", "pandas")).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("entry_point.py", script), ("requirements.txt", requirements)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0  # same bytes for the same code: reproducible uploads
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def training_job_request(config: Config, name: str, image: str, code_uri: str, data: str) -> Request:
    """CreateTrainingJob in script mode: the framework image runs entry_point.py from code_uri."""
    # The task and the dropped columns travel with the job, so the container fits what `train` fits here.
    hyperparameters = {"task": config.task, "target": config.target, **config.hyperparameters}
    if config.drop:
        hyperparameters["drop"] = ",".join(config.drop)
    # Script-mode images read every hyperparameter as JSON (what the SageMaker SDK sends).
    encoded = {key: json.dumps(value) for key, value in hyperparameters.items()}
    encoded |= {
        "sagemaker_program": json.dumps("entry_point.py"),
        "sagemaker_submit_directory": json.dumps(code_uri),
        "sagemaker_region": json.dumps(config.region),
    }
    return Request(
        "sagemaker",
        "create_training_job",
        {
            "TrainingJobName": name,
            "RoleArn": config.require_role(),
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "HyperParameters": encoded,
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": data,
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
            ],
            "OutputDataConfig": {"S3OutputPath": config.s3_uri("output")},
            "ResourceConfig": {
                "InstanceType": config.training_instance_type,
                "InstanceCount": config.training_instance_count,
                "VolumeSizeInGB": config.volume_size_gb,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": config.max_runtime_seconds},
            "Tags": config.tag_list(),
        },
    )


def remote_train(sender: Sender, state: State, data: str | None = None) -> str:
    """Start a training job on the last upload (or the ``data`` S3 prefix) and return its name."""
    config = sender.config
    name = resource_name(config)
    bucket = config.require_bucket()
    config.require_role()
    image = image_uri(config, "training", config.training_instance_type)
    data = data or state.get("upload")
    if not data and sender.dry_run:
        # Each upload makes its own prefix, named when it happens: show where the next one would go.
        data = upload_uri(config, "NEXT-UPLOAD")
        log.warning("no upload recorded yet: the request shows the next upload's prefix as %s", data)
    if not data:
        raise SetupError("no uploaded training data recorded: run `upload` first (or pass --data-uri s3://...)")
    if not data.startswith(f"s3://{bucket}/"):
        raise ConfigError(f"--data-uri {data!r} is not in the bucket s3://{bucket}/")
    listing = sender.send(
        Request(
            "s3", "list_objects_v2", {"Bucket": bucket, "Prefix": data.removeprefix(f"s3://{bucket}/"), "MaxKeys": 1}
        )
    )
    if listing is not None and not listing.get("KeyCount"):
        raise SetupError(f"no training data under {data}: run `upload` first")
    code_uri = config.s3_uri("code", name, "sourcedir.tar.gz")
    bundle = source_bundle()
    sender.send(
        Request(
            "s3",
            "put_object",
            {"Bucket": bucket, "Key": code_uri.removeprefix(f"s3://{bucket}/"), "Body": bundle},
            body_label=f"<sourcedir.tar.gz: entry_point.py + requirements.txt, {len(bundle)} bytes>",
        )
    )
    if sender.send(training_job_request(config, name, image, code_uri, data)) is not None:
        state.record("training_job", name)
    log.info("training job %s on %s (%s), data %s", name, config.training_instance_type, image, data)
    return name


# ---- AutoML (Autopilot): a table and a target column in, a model out ----


def automl_request(config: Config, name: str, input_uri: str, target: str) -> Request:
    """CreateAutoMLJobV2 for a tabular problem; CompletionCriteria caps its cost and time.

    SageMaker takes ``ProblemType`` and ``AutoMLJobObjective`` together or neither (a ValidationException
    otherwise), so both are sent, the objective matching the problem type, or both are left to Autopilot.
    """
    tabular: dict[str, Any] = {
        "TargetAttributeName": target,
        "CompletionCriteria": {
            "MaxCandidates": config.automl_max_candidates,
            "MaxAutoMLJobRuntimeInSeconds": config.automl_max_runtime_seconds,
        },
    }
    objective: dict[str, Any] = {}
    if config.automl_problem_type:
        tabular["ProblemType"] = config.automl_problem_type
        objective["AutoMLJobObjective"] = {"MetricName": config.automl_objective}
    return Request(
        "sagemaker",
        "create_auto_ml_job_v2",
        {
            "AutoMLJobName": name,
            "AutoMLJobInputDataConfig": [
                {
                    "ChannelType": "training",
                    "ContentType": "text/csv;header=present",
                    "CompressionType": "None",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
                }
            ],
            "OutputDataConfig": {"S3OutputPath": config.s3_uri("automl", name, "output")},
            "AutoMLProblemTypeConfig": {"TabularJobConfig": tabular},
            "RoleArn": config.require_role(),
            "Tags": config.tag_list(),
            **objective,
        },
    )


def automl(sender: Sender, state: State, path: Path | None = None, target: str | None = None) -> str:
    """Upload ``path`` and start an AutoML job that predicts ``target``; return the job name."""
    config = sender.config
    path = path or config.data_path
    target = target or config.target
    config.require_role()
    bucket = config.require_bucket()
    # Autopilot takes text and categorical feature columns itself: only the table and its target are checked.
    table = entry_point.read_table(path)
    if target not in table.header:
        raise ConfigError(f"{path}: target column {target!r} not found; columns: {', '.join(table.header)}")
    body = table_csv(path)
    rows = len(table.rows)
    if rows < AUTOML_MIN_ROWS:
        log.warning(
            "%s has %d rows; Autopilot needs at least %d and will fail the job otherwise", path, rows, AUTOML_MIN_ROWS
        )
    name = resource_name(config, max_length=32)
    key = f"{config.prefix}/automl/{name}/input/{path.with_suffix('.csv').name}"
    sender.send(
        Request(
            "s3",
            "put_object",
            {"Bucket": bucket, "Key": key, "Body": body},
            body_label=f"<{path}: {len(body)} bytes of CSV>",
        )
    )
    input_uri = config.s3_uri("automl", name, "input") + "/"
    if sender.send(automl_request(config, name, input_uri, target)) is not None:
        state.record("automl_job", name)
    log.info("AutoML job %s: predicting %r from %s", name, target, path)
    return name


# ---- status and wait ----


@dataclass(frozen=True)
class Watch:
    """How to describe one kind of resource and read its status."""

    kind: str
    operation: str
    name_key: str
    status_key: str
    done: set[str]
    failed: set[str]
    detail_key: str = ""


WATCHES = {
    "training": Watch(
        "training job",
        "describe_training_job",
        "TrainingJobName",
        "TrainingJobStatus",
        TRAINING_DONE,
        TRAINING_FAILED,
        "SecondaryStatus",
    ),
    "automl": Watch(
        "AutoML job",
        "describe_auto_ml_job_v2",
        "AutoMLJobName",
        "AutoMLJobStatus",
        AUTOML_DONE,
        AUTOML_FAILED,
        "AutoMLJobSecondaryStatus",
    ),
    "endpoint": Watch(
        "endpoint", "describe_endpoint", "EndpointName", "EndpointStatus", ENDPOINT_DONE, ENDPOINT_FAILED
    ),
}
STATE_KEYS = {"training": "training_job", "automl": "automl_job", "endpoint": "endpoint"}


def resolve_name(state: State, kind: str, name: str | None) -> str:
    """The given name, else the last one recorded, else a ConfigError saying what to run."""
    name = name or state.get(STATE_KEYS[kind])
    if not name:
        raise ConfigError(f"no {WATCHES[kind].kind} given and none recorded: pass a name or start one first")
    return name


def describe(sender: Sender, kind: str, name: str) -> dict[str, Any] | None:
    """The Describe* response for ``name`` (None on a dry run)."""
    watch = WATCHES[kind]
    return sender.send(Request("sagemaker", watch.operation, {watch.name_key: name}))


def status_line(kind: str, description: dict[str, Any]) -> str:
    """``Status (detail)``, e.g. ``InProgress (Training)``."""
    watch = WATCHES[kind]
    status = description[watch.status_key]
    detail = description.get(watch.detail_key) if watch.detail_key else None
    return f"{status} ({detail})" if detail and detail != status else status


def wait(
    sender: Sender,
    kind: str,
    name: str,
    *,
    timeout: float,
    poll: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any] | None:
    """Poll until ``name`` finishes, printing each change of status.

    Raises JobFailed with SageMaker's FailureReason, or WaitTimeout after ``timeout`` seconds:
    the job itself keeps running (an AutoML job can take hours), so the message says how to
    check on it or stop it.
    """
    watch = WATCHES[kind]
    started = time.monotonic()
    last = ""
    while True:
        description = describe(sender, kind, name)
        if description is None:  # dry run: the one Describe request was printed
            return None
        line = status_line(kind, description)
        elapsed = time.monotonic() - started
        if line != last:
            log.info("[%6.0fs] %s %s: %s", elapsed, watch.kind, name, line)
            last = line
        status = description[watch.status_key]
        if status in watch.done:
            return description
        if status in watch.failed:
            reason = description.get("FailureReason") or "SageMaker gave no FailureReason"
            raise JobFailed(f"{watch.kind} {name} ended {status}: {reason}")
        if elapsed + poll > timeout:
            stop = f", or stop it: aws sagemaker stop-auto-ml-job --auto-ml-job-name {name}" if kind == "automl" else ""
            raise WaitTimeout(
                f"{watch.kind} {name} is still {status} after {elapsed:.0f}s; it keeps running (and "
                f"billing). Check it later with `status --{kind} {name}` or `wait --{kind} {name}`{stop}"
            )
        sleep(poll)


# ---- deploy ----


def _model_data(sender: Sender, job: str) -> str:
    """The model.tar.gz of a completed training job."""
    description = describe(sender, "training", job)
    if description is None:  # dry run: where SageMaker puts it by convention
        return f"{sender.config.s3_uri('output')}/{job}/output/model.tar.gz"
    status = description["TrainingJobStatus"]
    if status != "Completed":
        raise CloudError(f"training job {job} is {status}; deploy needs a Completed job (see `wait --training {job}`)")
    return description["ModelArtifacts"]["S3ModelArtifacts"]


def _automl_containers(sender: Sender, job: str) -> list[dict[str, Any]]:
    """Inference containers of an AutoML job's best candidate."""
    description = describe(sender, "automl", job)
    if description is None:
        return [{"Image": f"<BestCandidate.InferenceContainers of {job}>"}]
    if description["AutoMLJobStatus"] != "Completed" or "BestCandidate" not in description:
        raise CloudError(
            f"AutoML job {job} is {status_line('automl', description)}; it has no best "
            f"candidate to deploy yet (see `wait --automl {job}`)"
        )
    return description["BestCandidate"]["InferenceContainers"]


def deploy(sender: Sender, state: State, *, training_job: str | None = None, automl_job: str | None = None) -> str:
    """Create model, endpoint config and endpoint from a training job (or an AutoML job)."""
    config = sender.config
    role = config.require_role()
    name = resource_name(config)
    model: dict[str, Any] = {"ModelName": name, "ExecutionRoleArn": role, "Tags": config.tag_list()}
    if automl_job:
        model["Containers"] = _automl_containers(sender, automl_job)
    else:
        job = resolve_name(state, "training", training_job)
        model["PrimaryContainer"] = {
            "Image": image_uri(config, "inference", config.hosting_instance_type),
            "ModelDataUrl": _model_data(sender, job),
            # The serving toolkits import the script that training left in model.tar.gz/code/
            # and call its model_fn, input_fn, predict_fn and output_fn.
            "Environment": {
                "SAGEMAKER_PROGRAM": "entry_point.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/" + entry_point.CODE_DIR,
                "SAGEMAKER_REGION": config.region,
                "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            },
        }
    requests = [
        Request("sagemaker", "create_model", model),
        Request(
            "sagemaker",
            "create_endpoint_config",
            {
                "EndpointConfigName": name,
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": name,
                        "InstanceType": config.hosting_instance_type,
                        "InitialInstanceCount": config.hosting_instance_count,
                    }
                ],
                "Tags": config.tag_list(),
            },
        ),
        Request(
            "sagemaker",
            "create_endpoint",
            {"EndpointName": name, "EndpointConfigName": name, "Tags": config.tag_list()},
        ),
    ]
    for request in requests:
        sent = sender.send(request)
        if sent is not None:
            # Recorded one by one so cleanup finds whatever was made, even after a failure midway.
            state.record(request.operation.removeprefix("create_"), name)
    log.info("endpoint %s on %s: billed until `cleanup`", name, config.hosting_instance_type)
    return name


# ---- invoke: rows to the endpoint ----


def feature_rows(path: Path, features: list[str] | None, target: str, limit: int, drop: tuple[str, ...] = ()) -> str:
    """The first ``limit`` rows of a table as headerless CSV of the feature columns, in the model's order.

    Without ``features``: every column but the target and ``drop``, in the table's order (as in training).
    """
    table = entry_point.read_table(path)
    names = features or [name for name in table.header if name != target and name not in drop]
    missing = [name for name in names if name not in table.header]
    if missing:
        raise ConfigError(f"{path}: missing feature columns {', '.join(missing)}")
    index = [table.header.index(name) for name in names]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in table.rows[:limit]:
        writer.writerow([row[i] for i in index])
    return out.getvalue()


def invoke(sender: Sender, state: State, body: str, endpoint: str | None = None) -> Any:
    """Send CSV rows to the endpoint; return its JSON answer (or text, if it is not JSON)."""
    name = resolve_name(state, "endpoint", endpoint)
    response = sender.send(
        Request(
            "sagemaker-runtime",
            "invoke_endpoint",
            {
                "EndpointName": name,
                "ContentType": "text/csv",
                "Accept": "application/json",
                "Body": body.encode(),
            },
            body_label=body,
        )
    )
    if response is None:
        return None
    text = response["Body"].read().decode("utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


# ---- cleanup ----

DELETES = (  # the order SageMaker allows: an endpoint before its config, a config before its model
    ("endpoint", "delete_endpoint", "EndpointName"),
    ("endpoint_config", "delete_endpoint_config", "EndpointConfigName"),
    ("model", "delete_model", "ModelName"),
)


def _delete(sender: Sender, operation: str, key: str, name: str) -> None:
    label = key.removesuffix("Name")
    try:
        sender.send(Request("sagemaker", operation, {key: name}))
        if not sender.dry_run:
            log.info("deleted %s %s", label, name)
    except CloudError as exc:
        if "could not find" not in str(exc).lower() and "not found" not in str(exc).lower():
            raise
        log.info("%s %s was already gone", label, name)


def _parts_of(sender: Sender, endpoint: str) -> dict[str, list[str]]:
    """The endpoint config and models behind an endpoint this project did not record."""
    if sender.dry_run:
        return {"endpoint": [endpoint], "endpoint_config": [endpoint], "model": [endpoint]}
    config_name = describe(sender, "endpoint", endpoint)["EndpointConfigName"]  # type: ignore[index]
    variants = sender.send(Request("sagemaker", "describe_endpoint_config", {"EndpointConfigName": config_name}))
    models = [variant["ModelName"] for variant in variants["ProductionVariants"]]  # type: ignore[index]
    return {"endpoint": [endpoint], "endpoint_config": [config_name], "model": models}


def cleanup(sender: Sender, state: State, endpoint: str | None = None) -> list[str]:
    """Delete every endpoint, endpoint config and model recorded (or the one named endpoint and its parts).

    Then list what still costs money in the region. Each name leaves the state file as it is
    deleted, so a cleanup that fails midway can simply be run again.
    """
    if endpoint is None:
        targets = {kind: state.names(kind) for kind, _, _ in DELETES}
    elif endpoint in state.names("endpoint"):  # deploy gives model, config and endpoint one name
        targets = {kind: [endpoint] for kind, _, _ in DELETES}
    else:
        targets = _parts_of(sender, endpoint)
    if not any(targets.values()):
        log.info("no endpoint, endpoint config or model recorded in %s", state.path.name)
    for kind, operation, key in DELETES:
        for name in targets[kind]:
            _delete(sender, operation, key, name)
            if not sender.dry_run:
                state.forget(kind, name)
    return still_running(sender)


def still_running(sender: Sender) -> list[str]:
    """Endpoints, training jobs and AutoML jobs of this account and region that cost money now.

    Every page is read: ListEndpoints and its kin answer 10 items at a time unless asked for more.
    """
    found: list[str] = []
    checks = [
        ("list_endpoints", {}, "Endpoints", "EndpointName", "EndpointStatus", {"Deleting"}, "endpoint"),
        (
            "list_training_jobs",
            {"StatusEquals": "InProgress"},
            "TrainingJobSummaries",
            "TrainingJobName",
            "TrainingJobStatus",
            set(),
            "training job",
        ),
        (
            "list_auto_ml_jobs",
            {"StatusEquals": "InProgress"},
            "AutoMLJobSummaries",
            "AutoMLJobName",
            "AutoMLJobStatus",
            set(),
            "AutoML job",
        ),
    ]
    for operation, params, list_key, name_key, status_key, ignore, label in checks:
        for item in sender.items(Request("sagemaker", operation, params), list_key):
            if item.get(status_key) not in ignore:
                found.append(f"{label} {item[name_key]} ({item.get(status_key)})")
    if found:
        log.warning("still running in %s, and costing money: %s", sender.config.region, "; ".join(found))
    elif not sender.dry_run:
        log.info("nothing else is running in %s", sender.config.region)
    return found
