"""Fixtures: a real AWS API on loopback (moto's server), dummy credentials, a project config.

Nothing here reaches the internet or your AWS account: the environment is scrubbed of AWS
settings and every client is pointed at 127.0.0.1 by endpoint URL.

moto accepts requests that AWS refuses, so every request the project makes, sent or only
printed by --dry-run, is also checked against botocore's own service model (the one AWS's SDKs
are generated from): types, required members, enums, lengths and ranges, plus the cross-field
rules the model cannot express and AWS enforces (see ``RULES``). And where AWS answers 10 items
to a List call that does not say how many, moto answers 100, so the tests ask for AWS's 10.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import boto3
import botocore.session
import pytest
from botocore import xform_name
from botocore.model import OperationModel, Shape
from botocore.validate import validate_parameters
from moto.server import ThreadedMotoServer

from {{ cookiecutter.package_name }}.aws import (
    Request,
    Sender,
)

PROJECT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


# AWS's page size for List* calls without MaxResults (ListEndpoints, ListTrainingJobs, ...).
AWS_PAGE_SIZE = 10


class InvalidRequest(AssertionError):
    """A request AWS would refuse: raised where it is made, so the test fails there."""


def _tabular_objective_rule(params: dict[str, Any]) -> list[str]:
    """CreateAutoMLJobV2 takes TabularJobConfig.ProblemType and AutoMLJobObjective together or neither."""
    tabular = params.get("AutoMLProblemTypeConfig", {}).get("TabularJobConfig")
    if tabular is not None and ("ProblemType" in tabular) != ("AutoMLJobObjective" in params):
        return ["TabularJobConfig.ProblemType and AutoMLJobObjective must be given together or not at all"]
    return []


RULES = {("sagemaker", "CreateAutoMLJobV2"): _tabular_objective_rule}


def _beyond_botocore(value: Any, shape: Shape, where: str) -> list[str]:
    """What botocore's validator leaves to the service: enums, maximum lengths and values."""
    problems: list[str] = []
    meta = shape.metadata
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                problems += _beyond_botocore(member, shape.members[name], f"{where}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            problems += _beyond_botocore(item, shape.member, f"{where}[{i}]")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: {len(value)} items, at most {meta['max']}")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            problems += _beyond_botocore(key, shape.key, f"{where} key")
            problems += _beyond_botocore(item, shape.value, f"{where}[{key!r}]")
    elif shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {shape.enum}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: {len(value)} characters, at most {meta['max']}")
    elif shape.type_name in ("integer", "long") and isinstance(value, int) and "max" in meta and value > meta["max"]:
        problems.append(f"{where}: {value} is above the maximum {meta['max']}")
    return problems


_MODELS = botocore.session.get_session()


def operation_model(service: str, operation: str) -> OperationModel:
    """botocore's model of ``client(service).<operation>``."""
    model = _MODELS.get_service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    return model.operation_model(names[operation])


def check_request(service: str, operation: OperationModel, params: dict[str, Any]) -> None:
    """Raise InvalidRequest when AWS would refuse ``params``, naming every reason."""
    try:
        validate_parameters(params, operation.input_shape)
    except Exception as exc:  # noqa: BLE001 - botocore's ParamValidationError lists every problem
        raise InvalidRequest(f"{service}.{operation.name}: {exc}") from None
    problems = _beyond_botocore(params, operation.input_shape, operation.name)
    problems += RULES.get((service, operation.name), lambda _: [])(params)
    if problems:
        raise InvalidRequest(f"{service}.{operation.name}: " + "; ".join(problems))


@pytest.fixture(autouse=True)
def aws_service_model(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Check every request against botocore's model, and page List calls as AWS does.

    Every boto3 client gets two handlers on its event system; a dry run's printed requests go
    through the same check. Returns the operations checked, in order.
    """
    checked: list[str] = []

    def validate(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        service = model.service_model.service_id.hyphenize()
        check_request(service, model, params)
        checked.append(f"{service}.{model.name}")

    def aws_page_size(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        if model.name.startswith("List") and "MaxResults" in model.input_shape.members:
            params.setdefault("MaxResults", AWS_PAGE_SIZE)

    make_client = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = make_client(self, *args, **kwargs)
        made.meta.events.register("provide-client-params.*.*", validate)
        made.meta.events.register("before-parameter-build.sagemaker.*", aws_page_size)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)

    def printed(request: Request) -> None:
        model = operation_model(request.service, request.operation)
        check_request(request.service, model, request.params)
        checked.append(f"{request.service}.{model.name}")

    send, items = Sender.send, Sender.items

    def checked_send(self: Sender, request: Request) -> Any:
        if self.dry_run:
            printed(request)
        return send(self, request)

    def checked_items(self: Sender, request: Request, key: str) -> Any:
        if self.dry_run:
            printed(request)
        return items(self, request, key)

    monkeypatch.setattr(Sender, "send", checked_send)
    monkeypatch.setattr(Sender, "items", checked_items)
    return checked


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """Start moto's server once per test session on a free loopback port."""
    # The project's commands log at INFO; the server's access log would drown their lines.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def dummy_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials only; hide ~/.aws and any real profile, endpoint or instance role."""
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def write_config(folder: Path, **settings: object) -> Path:
    """A copy of the project's sagemaker.toml in ``folder`` for one test.

    Account settings you fill in (role, bucket, region, endpoint) are reset, and the table is
    the bundled wine classification (in a regression project too), so the tests pass the same
    before and after you configure the project;
    ``settings`` replaces any ``key = value`` line by key.
    """
    settings = {
        "role_arn": "",
        "bucket": "",
        "endpoint_url": "",
        "region": REGION,
        "max_attempts": 2,
        "target": "cultivar",
        "path": str(PROJECT / "data" / "wine.csv"),
        "task": "classification",
        "drop": [],
        "problem_type": "MulticlassClassification",
        **settings,
    }
    out = []
    for line in (PROJECT / "sagemaker.toml").read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith("#") and key in settings:
            line = f"{key} = {json.dumps(settings.pop(key))}"
        out.append(line)
    assert not settings, f"no such settings in sagemaker.toml: {settings}"
    path = folder / "sagemaker.toml"
    path.write_text("\n".join(out) + "\n")
    return path


@pytest.fixture
def moto(moto_url: str) -> str:
    """moto's URL, with its state wiped so tests don't see each other's resources."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    return moto_url


@pytest.fixture
def bucket(moto: str) -> str:
    """A bucket that exists in moto."""
    name = "scaffold-test-bucket"
    boto3.client("s3", region_name=REGION, endpoint_url=moto).create_bucket(Bucket=name)
    return name


@pytest.fixture
def config_path(tmp_path: Path, moto: str, bucket: str) -> Path:
    """sagemaker.toml pointing at moto with a role and an existing bucket."""
    return write_config(tmp_path, role_arn=ROLE, bucket=bucket, endpoint_url=moto, max_attempts=2)


def client(service: str, url: str):
    """A boto3 client for checking what moto holds."""
    return boto3.client(service, region_name=REGION, endpoint_url=url)


class ScriptedEndpoint:
    """A loopback HTTP server that answers every request with one canned AWS JSON response.

    For what moto cannot do: throttle, or report a failed training job. botocore still sends
    real requests over HTTP and parses (and retries) the answers as it would AWS's.
    """

    def __init__(self, status: int, body: dict) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                self.rfile.read(length)
                outer.requests.append(self.headers.get("X-Amz-Target", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
