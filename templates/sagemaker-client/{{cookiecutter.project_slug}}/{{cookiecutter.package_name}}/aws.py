"""Sending requests to AWS: one place for clients, retries, --dry-run and error messages.

Every remote command is built as a list of ``Request`` objects (service, operation, the exact
parameters boto3 sends). ``Sender.send`` either prints them (--dry-run) or sends them, turning
botocore's exceptions into ``CloudError`` with a message that says what to do.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from .config import Config
from .runtime import EnvironmentProblem

THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "ProvisionedThroughputExceededException",
}
ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "AuthFailure",
}


class CloudError(EnvironmentProblem):
    """Raised when AWS refuses or fails a request; the message says why and what to do (exit 1)."""


@dataclass(frozen=True)
class Request:
    """One API call exactly as boto3 sends it: ``client(service).<operation>(**params)``."""

    service: str
    operation: str
    params: dict[str, Any]
    # A short human label for bodies that are bytes (uploads), shown instead of the bytes.
    body_label: str = ""

    def render(self) -> str:
        """JSON text of the request, bytes bodies replaced by their label."""
        shown = {
            k: (self.body_label or f"<{len(v)} bytes>") if isinstance(v, bytes) else v for k, v in self.params.items()
        }
        return f"{self.service}.{self.operation}\n{json.dumps(shown, indent=2, default=str)}"


def _describe(exc: ClientError, request: Request, config: Config, attempts: int) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")).strip()
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    where = f"{request.service}.{request.operation}"
    bucket = request.params.get("Bucket", config.bucket)
    if code in THROTTLING:
        return (
            f"{where} was throttled by AWS ({code}) and still refused after {attempts} attempts: "
            "wait a minute and retry, raise aws.max_attempts in sagemaker.toml, or ask AWS for a "
            "higher request quota"
        )
    if code in ACCESS_DENIED or status == 403:
        hint = f"check that the credentials boto3 found (aws sts get-caller-identity) may call {where}"
        if request.service == "sagemaker" and "RoleArn" in json.dumps(request.params):
            hint += " and have iam:PassRole on aws.role_arn"
        if request.service == "s3":
            hint += f" and may read/write s3://{bucket}"
        return f"access denied for {where} ({code}: {message}): {hint}"
    if code in {"NoSuchBucket"} or (request.operation == "head_bucket" and status == 404):
        return (
            f"S3 bucket {bucket!r} does not exist (or is in another account): create it with "
            f"`aws s3 mb s3://{bucket} --region {config.region}` or set aws.bucket in sagemaker.toml"
        )
    if "role" in message.lower() and code == "ValidationException":
        return (
            f"SageMaker cannot use the execution role {config.role_arn!r}: {message}. Check that the "
            "role exists, trusts sagemaker.amazonaws.com and can read the bucket"
        )
    if code == "ResourceLimitExceeded":
        return (
            f"{where}: your account's SageMaker quota is used up ({message}); request more in "
            "Service Quotas or choose another instance type"
        )
    if code in {"ResourceNotFound", "ValidationException"} and (
        "not found" in message.lower() or "could not find" in message.lower()
    ):
        return f"{where}: {message} (is the name right, and aws.region {config.region!r}?)"
    return f"{where} failed ({code or status}): {message}"


class Sender:
    """Prints (dry run) or sends requests through boto3 clients built from the standard chain."""

    def __init__(self, config: Config, *, dry_run: bool = False, out: TextIO | None = None) -> None:
        self.config = config
        self.dry_run = dry_run
        self.out = out or sys.stdout
        self._clients: dict[str, Any] = {}
        self._session: boto3.session.Session | None = None

    def client(self, service: str) -> Any:
        """A boto3 client for ``service``; credentials come only from boto3's default chain."""
        if service not in self._clients:
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.config.region)
            retry = BotoConfig(
                # total_max_attempts counts the first try; botocore's max_attempts would not.
                retries={"total_max_attempts": self.config.max_attempts, "mode": "standard"},
                # Custom endpoints (moto, LocalStack) serve buckets by path, not by host name.
                s3={"addressing_style": "path"} if self.config.endpoint_url else {},
                user_agent_extra={{ cookiecutter.project_slug | tojson }},
            )
            self._clients[service] = self._session.client(
                service, endpoint_url=self.config.endpoint_url or None, config=retry
            )
        return self._clients[service]

    def send(self, request: Request) -> dict[str, Any] | None:
        """Send ``request`` and return the response, or print it and return None on a dry run."""
        if self.dry_run:
            print(f"[dry-run] {request.render()}", file=self.out)
            return None
        return self._call(request)

    def items(self, request: Request, key: str) -> list[dict[str, Any]]:
        """Every ``key`` item of a List* request, over all pages (AWS returns a page of 10 by default).

        On a dry run it prints the request and returns nothing.
        """
        if self.dry_run:
            print(f"[dry-run] {request.render()}", file=self.out)
            return []
        paginator = self.client(request.service).get_paginator(request.operation)
        with self._errors(request):
            return [item for page in paginator.paginate(**request.params) for item in page.get(key, [])]

    def _call(self, request: Request) -> dict[str, Any]:
        method: Callable[..., dict[str, Any]] = getattr(self.client(request.service), request.operation)
        with self._errors(request):
            return method(**request.params)

    @contextmanager
    def _errors(self, request: Request) -> Iterator[None]:
        """botocore's exceptions as a CloudError that says what to do."""
        try:
            yield
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise CloudError(
                "no AWS credentials found: run `aws configure` or `aws sso login`, or set AWS_PROFILE "
                "(this project reads them only from the standard AWS chain and never stores them)"
            ) from exc
        except NoRegionError as exc:
            raise CloudError("no AWS region: set aws.region in sagemaker.toml") from exc
        except EndpointConnectionError as exc:
            raise CloudError(
                f"cannot reach {exc.kwargs.get('endpoint_url', 'AWS')}: check the network, "
                "aws.region and aws.endpoint_url"
            ) from exc
        except ClientError as exc:
            raise CloudError(_describe(exc, request, self.config, self.config.max_attempts)) from exc
        except BotoCoreError as exc:
            raise CloudError(f"{request.service}.{request.operation} failed: {exc}") from exc
