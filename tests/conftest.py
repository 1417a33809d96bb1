"""Shared fixtures for scaffold-ml's own tests: the suite's uv cache, the catalog, and the proof of the pins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.catalog import default_catalog
from scaffold.maintain import ProofReport, claimed_combinations, format_table, pins_for, prove_pins
from scaffold.models import Catalog, Machine, PinSet, Release, Variant

ROOT = Path(__file__).resolve().parents[1]
# Inside the checkout (build/ is gitignored), never the user's cache: kept between runs, so a second run
# reads the wheels' metadata from disk instead of downloading it again (STYLE.md habit 13).
SUITE_UV_CACHE = ROOT / "build" / "test-uv-cache"
# uv waits on the index far more than it computes: more resolutions at once than cores.
PROOF_JOBS = max(8, 4 * (os.cpu_count() or 1))
_PROOF = pytest.StashKey[ProofReport]()
# pyspark is published as an sdist only (~400 MB). An index that serves it without cache headers (this
# machine's PyPI mirror) makes uv download and unpack it afresh for every resolution and keep every copy
# (80 claims: ~30 GB). Spark's claims are proven in uv's throwaway per-call cache, so each copy goes with its uv.
SDIST_ONLY = ("spark",)

Claim = tuple[str, Release, Variant, str, str, PinSet]  # framework, release, variant, platform, python, pins


@pytest.fixture(scope="session", autouse=True)
def own_uv_cache():
    """Every uv this session starts (scaffold lock, catalog prove, the proof of the pins) uses the suite's cache."""
    before = os.environ.get("UV_CACHE_DIR")
    SUITE_UV_CACHE.mkdir(parents=True, exist_ok=True)
    os.environ["UV_CACHE_DIR"] = str(SUITE_UV_CACHE)
    yield os.environ["UV_CACHE_DIR"]
    if before is None:
        os.environ.pop("UV_CACHE_DIR", None)
    else:
        os.environ["UV_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="session")
def claims(catalog) -> tuple[Claim, ...]:
    """Every combination the catalog claims, with the PinSet the resolver gives it, computed once."""
    return tuple((fid, release, variant, platform, python, pins_for(catalog, fid, release, variant, platform, python))
                 for fid in catalog.frameworks
                 for release, variant, platform, python in claimed_combinations(catalog, fid))


@pytest.fixture(scope="session")
def proof(catalog, request, own_uv_cache) -> ProofReport:
    """``maintain.prove_pins`` over the whole catalog, once per session (network): what ``catalog prove`` says."""
    rest = [fid for fid in catalog.frameworks if fid not in SDIST_ONLY]
    reports = {"rest": prove_pins(catalog, rest, jobs=PROOF_JOBS)}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("UV_NO_CACHE", "1")
        reports["sdist-only"] = prove_pins(catalog, SDIST_ONLY, jobs=PROOF_JOBS)
    by_framework = {fid: [c for r in reports.values() for c in r.combinations if c.framework == fid]
                    for fid in catalog.frameworks}
    report = ProofReport(tuple(c for fid in catalog.frameworks for c in by_framework[fid]), tuple(catalog.frameworks))
    request.config.stash[_PROOF] = report
    return report


@pytest.fixture
def cpu_machine() -> Machine:
    """A recorded Linux x86_64 machine without accelerators, so tests never depend on this one."""
    return Machine("linux-x86_64", "3.11", "cpu", "", {"cpu_cores": 2})


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its content, to prove that nothing changed."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def pytest_terminal_summary(terminalreporter, config) -> None:
    """The proof of the pins, as ``scaffold catalog prove`` prints it, when this run made it."""
    report = config.stash.get(_PROOF, None)
    if report is None:
        return
    terminalreporter.write_sep("-", "proof of the pins: combinations the catalog claims, resolved with uv")
    terminalreporter.write_line(format_table(report.counts()))
    reasons: dict[str, int] = {}
    for c in report.combinations:
        if c.outcome == "unverified":
            reasons[c.detail] = reasons.get(c.detail, 0) + 1
    for reason, count in reasons.items():
        terminalreporter.write_line(f"unverified: {count} combinations: {reason}")
