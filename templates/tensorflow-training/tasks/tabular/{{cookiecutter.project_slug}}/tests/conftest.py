"""One short training run on the bundled table, shared by the tests (importing TensorFlow and training cost seconds)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import (
    TrainConfig,
    load_config,
)
from {{ cookiecutter.package_name }}.train import (
    TrainResult,
    train,
)

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> TrainConfig:
    bundled = load_config(PROJECT / "config.toml")
    return replace(
        bundled,
        data=PROJECT / bundled.data,
        artifacts_dir=tmp_path_factory.mktemp("artifacts"),
        epochs=60,
        patience=8,
    )


@pytest.fixture(scope="session")
def trained(config: TrainConfig) -> TrainResult:
    return train(config)
