"""sagemaker.toml -> a validated, immutable Config. The only place settings are read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .runtime import DataError, EnvironmentProblem, read_toml

DEFAULT_CONFIG = Path("sagemaker.toml")
FRAMEWORKS = ("sklearn", "pytorch")
# What entry_point.py fits: the project's task (tabular-classification / tabular-regression).
TASKS = ("classification", "regression")
# Why a second training instance would not help, per container: it would only repeat the same fit.
SINGLE_INSTANCE = {
    "sklearn": "SageMaker's scikit-learn container trains on a single instance",
    "pytorch": "the PyTorch container spreads a job over instances only for distributed training code "
    "(torch.distributed under torchrun, with a distribution config), and entry_point.py is single-process "
    "scikit-learn code",
}
# CreateAutoMLJobV2 takes ProblemType and AutoMLJobObjective together or neither (Autopilot then
# infers both). The metrics each tabular problem type accepts, its default first, as botocore's
# service model documents AutoMLJobObjective.MetricName.
AUTOML_OBJECTIVES = {
    "BinaryClassification": ("F1", "Accuracy", "AUC", "BalancedAccuracy", "Precision", "Recall"),
    "MulticlassClassification": ("Accuracy", "BalancedAccuracy", "F1macro", "PrecisionMacro", "RecallMacro"),
    "Regression": ("MSE", "MAE", "R2", "RMSE"),
}
# SageMaker rejects a role that is not an IAM role ARN; catching it here gives a clearer message.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class ConfigError(DataError):
    """Raised when sagemaker.toml is missing, malformed or holds a value that cannot work (exit 2)."""


class SetupError(EnvironmentProblem):
    """Raised when the AWS account settings a command needs (role, bucket) are not filled in (exit 1)."""


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
    task: str
    drop: tuple[str, ...]
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
    automl_objective: str
    automl_max_candidates: int
    automl_max_runtime_seconds: int
    tags: dict[str, str] = field(default_factory=dict)

    def container_version(self, scope: str) -> str:
        """The image release for ``scope`` ("training" or "inference") of the chosen framework."""
        return self.versions[self.framework][scope]

    def require_role(self) -> str:
        """The execution role ARN, or a ConfigError saying how to get one."""
        if not self.role_arn:
            raise SetupError(
                "no SageMaker execution role: set aws.role_arn in sagemaker.toml to an IAM role ARN "
                "such as arn:aws:iam::123456789012:role/SageMakerExecutionRole (IAM > Roles > "
                "Create role > SageMaker, with access to your bucket)"
            )
        if not _ROLE_ARN.match(self.role_arn):
            raise SetupError(f"aws.role_arn {self.role_arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        return self.role_arn

    def require_bucket(self) -> str:
        """The S3 bucket name, or a ConfigError saying how to set one."""
        if not self.bucket:
            raise SetupError(
                "no S3 bucket: set aws.bucket in sagemaker.toml to a bucket in "
                f"{self.region} (create one with: aws s3 mb s3://NAME --region {self.region})"
            )
        if not _BUCKET.match(self.bucket):
            raise SetupError(f"aws.bucket {self.bucket!r} is not a valid S3 bucket name")
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
    if not path.is_file():
        raise ConfigError(f"{path} not found: run from the project folder or pass --config")
    raw = read_toml(path)

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
    instance_count = _get(raw, "training.instance_count", int, path)
    if instance_count < 1:
        raise ConfigError(f"{path}: training.instance_count must be at least 1")
    if instance_count > 1:
        raise ConfigError(
            f"{path}: training.instance_count = {instance_count} would not train faster: {SINGLE_INSTANCE[framework]}; "
            "choose a bigger training.instance_type instead"
        )
    hyperparameters = dict(_get(raw, "training.hyperparameters", dict, path))
    for name, kind in (("C", float), ("test_size", float), ("seed", int)):
        value = _get(raw, f"training.hyperparameters.{name}", kind, path)
        hyperparameters[name] = value
    if not hyperparameters["C"] > 0:
        raise ConfigError(f"{path}: training.hyperparameters.C must be positive")
    if not 0 < hyperparameters["test_size"] < 1:
        raise ConfigError(f"{path}: training.hyperparameters.test_size must be between 0 and 1")
    task = _get(raw, "data.task", str, path)
    if task not in TASKS:
        raise ConfigError(f"{path}: data.task must be one of {', '.join(TASKS)}, got {task!r}")
    drop = raw.get("data", {}).get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(name, str) and name for name in drop):
        raise ConfigError(f"{path}: data.drop must be a list of column names, got {drop!r}")
    if any("," in name for name in drop):
        # The training job gets them as one comma-separated hyperparameter.
        raise ConfigError(f"{path}: data.drop: a column name with a comma cannot be dropped; rename it")
    class_weight = hyperparameters.setdefault("class_weight", "balanced")
    if class_weight not in ("balanced", "none"):
        raise ConfigError(f'{path}: training.hyperparameters.class_weight must be "balanced" or "none"')
    problem_type = _get(raw, "automl.problem_type", str, path)
    objective = _get(raw, "automl.objective", str, path)
    if problem_type and problem_type not in AUTOML_OBJECTIVES:
        raise ConfigError(
            f'{path}: automl.problem_type must be one of {", ".join(AUTOML_OBJECTIVES)} or "" '
            f"(Autopilot infers it), got {problem_type!r}"
        )
    if problem_type and (problem_type == "Regression") != (task == "regression"):
        raise ConfigError(
            f"{path}: automl.problem_type {problem_type!r} does not fit data.task {task!r}; choose "
            f"{'Regression' if task == 'regression' else 'BinaryClassification or MulticlassClassification'} "
            'or "" (Autopilot infers it)'
        )
    if not problem_type and objective:
        raise ConfigError(f"{path}: automl.objective needs automl.problem_type: SageMaker takes both or neither")
    if problem_type:
        allowed = AUTOML_OBJECTIVES[problem_type]
        objective = objective or allowed[0]
        if objective not in allowed:
            raise ConfigError(
                f"{path}: automl.objective {objective!r} does not fit {problem_type}; "
                f"choose one of {', '.join(allowed)}"
            )

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
        task=task,
        drop=tuple(drop),
        framework=framework,
        versions=versions,
        training_instance_type=_get(raw, "training.instance_type", str, path),
        training_instance_count=instance_count,
        volume_size_gb=_get(raw, "training.volume_size_gb", int, path),
        max_runtime_seconds=_get(raw, "training.max_runtime_seconds", int, path),
        hyperparameters=hyperparameters,
        hosting_instance_type=_get(raw, "hosting.instance_type", str, path),
        hosting_instance_count=_get(raw, "hosting.initial_instance_count", int, path),
        automl_problem_type=problem_type,
        automl_objective=objective,
        automl_max_candidates=_get(raw, "automl.max_candidates", int, path),
        automl_max_runtime_seconds=_get(raw, "automl.max_runtime_seconds", int, path),
        tags=dict(tags),
    )
