"""One short training run shared by the tests (importing TensorFlow and training cost seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import TrainConfig
from {{ cookiecutter.package_name }}.train import TrainResult, train


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> TrainConfig:
    return TrainConfig(artifacts_dir=tmp_path_factory.mktemp("artifacts"), epochs=3)


@pytest.fixture(scope="session")
def trained(config: TrainConfig) -> TrainResult:
    return train(config, log=lambda message: None)


@pytest.fixture
def artifacts(config: TrainConfig, trained: TrainResult) -> Path:
    return config.artifacts_dir
