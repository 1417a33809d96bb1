"""Shared fixtures for scaffold-ml's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.catalog import default_catalog
from scaffold.models import Catalog, Machine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def own_uv_cache():
    """Every uv this session starts (scaffold lock, catalog prove, the resolution tests) uses a cache of its own."""
    from .resolution import session_uv_cache

    before = os.environ.get("UV_CACHE_DIR")
    os.environ["UV_CACHE_DIR"] = session_uv_cache()
    yield os.environ["UV_CACHE_DIR"]
    if before is None:
        os.environ.pop("UV_CACHE_DIR", None)
    else:
        os.environ["UV_CACHE_DIR"] = before


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


# ---- the proof-of-pins table (issue 7): printed at the end of a run that resolved the catalog's claims ----

PROOF_TEST = "test_claimed_combination_installs_together"
# PyTorch's combinations are resolved by its own, richer test rather than the generic one.
OWN_PROOF_TESTS = {"test_pins_pytorch.py::test_pins_resolve_for_their_platform": "pytorch"}
_proof: list[tuple[str, str]] = []  # (framework, resolved | unverified | failed)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    own = next((fid for test, fid in OWN_PROOF_TESTS.items() if test in report.nodeid), None)
    if (PROOF_TEST not in report.nodeid and own is None) or "[" not in report.nodeid:
        return
    framework = own or report.nodeid.split("[", 1)[1].split("-", 1)[0]
    if report.failed:
        _proof.append((framework, "failed"))
    elif report.skipped and "unverified" in str(report.longrepr):
        _proof.append((framework, "unverified"))
    elif report.passed and report.when == "call":
        _proof.append((framework, "resolved"))


def pytest_terminal_summary(terminalreporter) -> None:
    if not _proof:
        return
    from scaffold.maintain import count_outcomes, format_table
    from scaffold.models import FRAMEWORK_IDS

    terminalreporter.write_sep("-", "proof of the pins: combinations the catalog claims, resolved with uv")
    terminalreporter.write_line(format_table(count_outcomes(FRAMEWORK_IDS, _proof)))
