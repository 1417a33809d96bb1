"""sagemaker.toml -> a validated, immutable Config. The only place settings are read."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path("sagemaker.toml")
FRAMEWORKS = ("sklearn", "pytorch")
# SageMaker rejects a role that is not an IAM role ARN; catching it here gives a clearer message.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class ConfigError(Exception):
    """Raised when sagemaker.toml is missing, malformed, or lacks a setting a command needs."""


@dataclass(frozen=True)
class Config:
    """Settings of sagemaker.toml; paths are resolved against the file's folder."""

    root: Path
    region: str
    role_arn: str
    bucket: str
    prefix: str
    endpoint_url: str
    max_attempts: int
    data_path: Path
    target: str
    framework: str
    versions: dict[str, dict[str, str]]
    training_instance_type: str
    training_instance_count: int
    volume_size_gb: int
    max_runtime_seconds: int
    hyperparameters: dict[str, Any]
    hosting_instance_type: str
    hosting_instance_count: int
    automl_problem_type: str
    automl_max_candidates: int
    automl_max_runtime_seconds: int
    tags: dict[str, str] = field(default_factory=dict)

    def container_version(self, scope: str) -> str:
        """The image release for ``scope`` ("training" or "inference") of the chosen framework."""
        return self.versions[self.framework][scope]

    def require_role(self) -> str:
        """The execution role ARN, or a ConfigError saying how to get one."""
        if not self.role_arn:
            raise ConfigError(
                "no SageMaker execution role: set aws.role_arn in sagemaker.toml to an IAM role ARN "
                "such as arn:aws:iam::123456789012:role/SageMakerExecutionRole (IAM > Roles > "
                "Create role > SageMaker, with access to your bucket)"
            )
        if not _ROLE_ARN.match(self.role_arn):
            raise ConfigError(f"aws.role_arn {self.role_arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        return self.role_arn

    def require_bucket(self) -> str:
        """The S3 bucket name, or a ConfigError saying how to set one."""
        if not self.bucket:
            raise ConfigError(
                "no S3 bucket: set aws.bucket in sagemaker.toml to a bucket in "
                f"{self.region} (create one with: aws s3 mb s3://NAME --region {self.region})"
            )
        if not _BUCKET.match(self.bucket):
            raise ConfigError(f"aws.bucket {self.bucket!r} is not a valid S3 bucket name")
        return self.bucket

    def s3_uri(self, *parts: str) -> str:
        """s3://BUCKET/PREFIX/parts..."""
        return "s3://" + "/".join([self.require_bucket(), self.prefix.strip("/"), *parts])

    def tag_list(self) -> list[dict[str, str]]:
        """Tags in the request shape SageMaker wants."""
        return [{"Key": key, "Value": value} for key, value in self.tags.items()]


def _get(table: dict[str, Any], dotted: str, kind: type, source: Path) -> Any:
    node: Any = table
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"{source}: missing setting {dotted}")
        node = node[part]
    if kind is float and isinstance(node, int) and not isinstance(node, bool):
        node = float(node)
    if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
        raise ConfigError(f"{source}: {dotted} must be {kind.__name__}, got {node!r}")
    return node


def load_config(path: Path = DEFAULT_CONFIG) -> Config:
    """Read and validate ``path``; every problem is a ConfigError naming the setting."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} not found: run from the project folder or pass --config") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc

    framework = _get(raw, "container.framework", str, path)
    if framework not in FRAMEWORKS:
        raise ConfigError(f"{path}: container.framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    versions = _get(raw, "container.versions", dict, path)
    for scope in ("training", "inference"):
        _get(raw, f"container.versions.{framework}.{scope}", str, path)
    max_attempts = _get(raw, "aws.max_attempts", int, path)
    if max_attempts < 1:
        raise ConfigError(f"{path}: aws.max_attempts must be at least 1")
    root = path.resolve().parent
    tags = raw.get("tags", {})
    if not all(isinstance(v, str) for v in tags.values()):
        raise ConfigError(f"{path}: every [tags] value must be a string")

    return Config(
        root=root,
        region=_get(raw, "aws.region", str, path),
        role_arn=_get(raw, "aws.role_arn", str, path).strip(),
        bucket=_get(raw, "aws.bucket", str, path).strip(),
        prefix=_get(raw, "aws.prefix", str, path).strip("/"),
        endpoint_url=_get(raw, "aws.endpoint_url", str, path).strip(),
        max_attempts=max_attempts,
        data_path=root / _get(raw, "data.path", str, path),
        target=_get(raw, "data.target", str, path),
        framework=framework,
        versions=versions,
        training_instance_type=_get(raw, "training.instance_type", str, path),
        training_instance_count=_get(raw, "training.instance_count", int, path),
        volume_size_gb=_get(raw, "training.volume_size_gb", int, path),
        max_runtime_seconds=_get(raw, "training.max_runtime_seconds", int, path),
        hyperparameters=dict(_get(raw, "training.hyperparameters", dict, path)),
        hosting_instance_type=_get(raw, "hosting.instance_type", str, path),
        hosting_instance_count=_get(raw, "hosting.initial_instance_count", int, path),
        automl_problem_type=_get(raw, "automl.problem_type", str, path),
        automl_max_candidates=_get(raw, "automl.max_candidates", int, path),
        automl_max_runtime_seconds=_get(raw, "automl.max_runtime_seconds", int, path),
        tags=dict(tags),
    )
