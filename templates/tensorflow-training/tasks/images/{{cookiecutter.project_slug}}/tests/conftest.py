"""Short training runs shared by the tests (importing TensorFlow and training cost seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import (
    TrainConfig,
)
from {{ cookiecutter.package_name }}.data import (
    write_synthetic_folder,
)
from {{ cookiecutter.package_name }}.train import (
    TrainResult,
    train,
)


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> TrainConfig:
    return TrainConfig(artifacts_dir=tmp_path_factory.mktemp("artifacts"), epochs=3)


@pytest.fixture(scope="session")
def trained(config: TrainConfig) -> TrainResult:
    return train(config)


@pytest.fixture
def artifacts(config: TrainConfig, trained: TrainResult) -> Path:
    return config.artifacts_dir


@pytest.fixture(scope="session")
def folder_config(tmp_path_factory: pytest.TempPathFactory) -> TrainConfig:
    """A small run on an image folder (not synthetic arrays): the path a user's own images take."""
    data = write_synthetic_folder(tmp_path_factory.mktemp("images"), 120, seed=5)
    return TrainConfig(data_dir=data, artifacts_dir=tmp_path_factory.mktemp("folder-artifacts"), epochs=2)


@pytest.fixture(scope="session")
def folder_trained(folder_config: TrainConfig) -> TrainResult:
    return train(folder_config)
