"""Shared fixtures for scaffold-ml's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.catalog import default_catalog
from scaffold.models import Catalog, Machine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture
def cpu_machine() -> Machine:
    """A recorded Linux x86_64 machine without accelerators, so tests never depend on this one."""
    return Machine("linux-x86_64", "3.11", "cpu", "", {"cpu_cores": 2})


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its content, to prove that nothing changed."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
