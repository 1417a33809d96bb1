"""Fixtures: a real AWS API on loopback (moto's server), dummy credentials, a project config.

Nothing here reaches the internet or your AWS account: the environment is scrubbed of AWS
settings and every client is pointed at 127.0.0.1 by endpoint URL.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

PROJECT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """Start moto's server once per test session on a free loopback port."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def dummy_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials only; hide ~/.aws and any real profile, endpoint or instance role."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
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
    the bundled one, so the tests pass the same before and after you configure the project;
    ``settings`` replaces any ``key = value`` line by key.
    """
    settings = {"role_arn": "", "bucket": "", "endpoint_url": "", "region": REGION, "max_attempts": 2,
                "target": "cultivar", "path": str(PROJECT / "data" / "wine.csv"), **settings}
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


def client(service: str, url: str):  # noqa: ANN201 - a boto3 client
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
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
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

    def __enter__(self) -> ScriptedEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
