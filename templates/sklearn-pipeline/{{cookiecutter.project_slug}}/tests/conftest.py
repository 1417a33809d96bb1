"""Shared fixtures: a config that writes its artifacts into a temporary folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }}.config import Config, load_config

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The project's own config.toml, with output redirected to tmp_path and fewer folds for speed."""
    return replace(load_config(PROJECT / "config.toml"), output_dir=tmp_path / "artifacts", cv_folds=3)


@pytest.fixture(autouse=True, scope="session")
def _one_openmp_thread():
    """The test tables are tiny: one thread is faster and keeps a busy CI machine responsive."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
