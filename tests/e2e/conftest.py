"""Fixtures the end-to-end tests share across modules."""

from __future__ import annotations

import pytest

from .harness import PROOFS, VenvPool


@pytest.fixture(scope="session")
def venv_pool(tmp_path_factory) -> VenvPool:
    """The session's venvs by pin set: a second project with the same pins skips reinstalling a framework."""
    return VenvPool(tmp_path_factory.mktemp("venvs"))


@pytest.fixture(autouse=True)
def step_seconds(request):
    """Each proof's seconds per step (install, train, tests, ...) in the test's report, where a parallel run's
    controller finds them too (tests/conftest.py prints them after the run)."""
    before = len(PROOFS)
    yield
    for proof in PROOFS[before:]:
        steps = {step: (seconds, proof.cpu.get(step, 0.0)) for step, seconds in proof.seconds.items()}
        request.node.user_properties.append(("e2e steps", (proof.project.framework, steps)))
