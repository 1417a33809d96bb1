"""Fixtures the end-to-end tests share across modules."""

from __future__ import annotations

import pytest

from .harness import VenvPool


@pytest.fixture(scope="session")
def venv_pool(tmp_path_factory) -> VenvPool:
    """The session's venvs by pin set: a second project with the same pins skips reinstalling a framework."""
    return VenvPool(tmp_path_factory.mktemp("venvs"))
