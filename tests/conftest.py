"""Shared fixtures for scaffold-ml's own tests: the suite's uv cache, the catalog, and the proof of the pins."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from scaffold.catalog import default_catalog
from scaffold.locking import compile_lock, pin_lines
from scaffold.maintain import ProofReport, claimed_combinations, format_table, pins_for, prove_pins
from scaffold.models import Catalog, Machine, PinSet, Release, Variant

ROOT = Path(__file__).resolve().parents[1]
# Inside the checkout (build/ is gitignored), never the user's cache: kept between runs, so a second run
# reads the wheels' metadata from disk instead of downloading it again (STYLE.md habit 13).
SUITE_UV_CACHE = ROOT / "build" / "test-uv-cache"
SUITE_PIP_CACHE = ROOT / "build" / "test-pip-cache"
# uv waits on the index far more than it computes: more resolutions at once than cores.
PROOF_JOBS = max(8, 4 * (os.cpu_count() or 1))
_PROOF = pytest.StashKey[ProofReport]()
_PROOF_FUTURE = pytest.StashKey[Future]()
# pyspark is published as an sdist only (~400 MB). An index that serves it without cache headers (this
# machine's PyPI mirror) makes uv download and unpack it afresh for every resolution and keep every copy
# (80 claims: ~30 GB). Spark's claims are proven in uv's throwaway per-call cache, so each copy goes with its uv.
SDIST_ONLY = ("spark",)

Claim = tuple[str, Release, Variant, str, str, PinSet]  # framework, release, variant, platform, python, pins


@pytest.fixture(scope="session", autouse=True)
def own_uv_cache():
    """Every uv and pip this session starts (scaffold lock, the e2e installs, ...) uses the suite's caches,
    never the user's: pip's wheel cache keeps the wheel it builds from pyspark's sdist between runs."""
    caches = {"UV_CACHE_DIR": SUITE_UV_CACHE, "PIP_CACHE_DIR": SUITE_PIP_CACHE}
    before = {name: os.environ.get(name) for name in caches}
    for name, path in caches.items():
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    yield os.environ["UV_CACHE_DIR"]
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="session")
def claims(catalog) -> tuple[Claim, ...]:
    """Every combination the catalog claims, with the PinSet the resolver gives it, computed once."""
    return tuple((fid, release, variant, platform, python, pins_for(catalog, fid, release, variant, platform, python))
                 for fid in catalog.frameworks
                 for release, variant, platform, python in claimed_combinations(catalog, fid))


def _prove(catalog: Catalog) -> ProofReport:
    """``maintain.prove_pins`` over the whole catalog with the suite's uv cache (Spark's in uv's per-call one).

    The environment goes to each uv explicitly: this runs in a thread beside the other tests, so it must not
    change ``os.environ`` under them.
    """
    def compiler(env: dict[str, str]):
        def compile_pins(pins: PinSet) -> str:
            return compile_lock(pin_lines(pins), platform=pins.target.platform, python=pins.target.python, env=env,
                                hashes=False)
        return compile_pins

    cached = {**os.environ, "UV_CACHE_DIR": str(SUITE_UV_CACHE)}
    uncached = {**cached, "UV_NO_CACHE": "1"}
    SUITE_UV_CACHE.mkdir(parents=True, exist_ok=True)
    rest = [fid for fid in catalog.frameworks if fid not in SDIST_ONLY]
    reports = [prove_pins(catalog, rest, jobs=PROOF_JOBS, compile_pins=compiler(cached)),
               prove_pins(catalog, SDIST_ONLY, jobs=PROOF_JOBS, compile_pins=compiler(uncached))]
    by_framework = {fid: [c for r in reports for c in r.combinations if c.framework == fid]
                    for fid in catalog.frameworks}
    return ProofReport(tuple(c for fid in catalog.frameworks for c in by_framework[fid]), tuple(catalog.frameworks))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the proof as soon as the run is known to need it: uv mostly waits on the index, so it runs beside
    the CPU-bound tests (the e2e ones come first) instead of after them."""
    if any("proof" in getattr(item, "fixturenames", ()) for item in session.items):
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(_prove(default_catalog()))
            except BaseException as e:  # the tests that need it see the error
                future.set_exception(e)

        # A daemon thread: a run that stops early (-x, Ctrl-C) does not wait for the proof; its uv children die
        # with this process (scaffold.locking).
        threading.Thread(target=run, name="proof-of-pins", daemon=True).start()
        session.config.stash[_PROOF_FUTURE] = future


@pytest.fixture(scope="session")
def proof(request) -> ProofReport:
    """What ``scaffold catalog prove`` says of every claimed combination, made once per session (network)."""
    future = request.config.stash.get(_PROOF_FUTURE, None)
    report = future.result() if future is not None else _prove(default_catalog())
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
