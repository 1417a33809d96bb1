"""Shared fixtures for scaffold-ml's own tests: the suite's uv cache, the catalog, and the proof of the pins.

The suite runs in parallel (pytest-xdist, from pyproject.toml's addopts); ``-n 0`` runs it in one process."""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path

import pytest

from scaffold.atomic import write_atomic
from scaffold.catalog import default_catalog
from scaffold.maintain import ProofReport, claimed_combinations, format_table, pins_for, prove_pins
from scaffold.models import Catalog, Machine, PinSet, Release, Variant

ROOT = Path(__file__).resolve().parents[1]
# Inside the checkout (build/ is gitignored), never the user's cache: kept between runs, so a second run
# reads the wheels' metadata from disk instead of downloading it again (STYLE.md habit 13).
SUITE_UV_CACHE = ROOT / "build" / "test-uv-cache"
SUITE_PIP_CACHE = ROOT / "build" / "test-pip-cache"
# Compiled templates for every `scaffold new` this session starts (scaffold.generator.CACHE_ENV, opt-in).
SUITE_TEMPLATE_CACHE = ROOT / "build" / "test-template-cache"
# The proof's own uv cache (maintain.proof_cache), kept between runs and trusted for a day: a warm run resolves
# every claim from it offline; a cold one fetches each index page and wheel's metadata once, not once per claim.
SUITE_PROOF_CACHE = ROOT / "build" / "test-proof-cache"
# Where a worker of a parallel run (pytest-xdist) leaves the proof for the others and for the summary.
SUITE_PROOFS = ROOT / "build" / "test-proofs"
# uv waits on the index far more than it computes: more resolutions at once than cores.
PROOF_JOBS = max(8, 4 * (os.cpu_count() or 1))
_PROOF = pytest.StashKey[ProofReport]()
_PROOF_FUTURE = pytest.StashKey[Future]()

Claim = tuple[str, Release, Variant, str, str, PinSet]  # framework, release, variant, platform, python, pins


@pytest.fixture(scope="session", autouse=True)
def own_uv_cache():
    """Every uv and pip this session starts (scaffold lock, the e2e installs, ...) uses the suite's caches,
    never the user's: pip's wheel cache keeps the wheel it builds from pyspark's sdist between runs."""
    caches = {"UV_CACHE_DIR": SUITE_UV_CACHE, "PIP_CACHE_DIR": SUITE_PIP_CACHE,
              "SCAFFOLD_ML_CACHE_DIR": SUITE_TEMPLATE_CACHE}
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


# The e2e test files, longest first: a parallel run hands them out in this order, ahead of everything else,
# so that no worker is left running a long one alone at the end. (Order only: a file missing here runs after
# these, and a stale order costs minutes, never a result.)
E2E_LONGEST_FIRST = ("test_spark_cluster_job", "test_sagemaker_client", "test_tensorflow_training",
                     "test_keras_prototype", "test_sklearn_pipeline", "test_setup", "test_project_tooling",
                     "test_wheel")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("e2e") is None:
            return len(E2E_LONGEST_FIRST) + 1
        stem = item.path.stem
        return E2E_LONGEST_FIRST.index(stem) if stem in E2E_LONGEST_FIRST else len(E2E_LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a rank, collection order


def _shared_report(config: pytest.Config) -> Path | None:
    """The file through which the workers of one parallel run share the proof; None when not parallel."""
    uid = getattr(config, "workerinput", {}).get("testrunuid") or getattr(config.option, "testrunuid", None)
    return SUITE_PROOFS / f"{uid}.pickle" if uid and _parallel(config) else None


def _parallel(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput") or bool(getattr(config.option, "numprocesses", None))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than cores. The e2e tests wait on pip's index and on Spark's daemons a third
    of their time (two workers kept two cores 129% busy over the e2e tests, 2026-12-01)."""
    return len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    # A parallel run's workers and its controller agree on one run id, so all of them find the shared proof.
    if _parallel(config) and not hasattr(config, "workerinput") and not config.option.testrunuid:
        config.option.testrunuid = uuid.uuid4().hex


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the proof as soon as the run is known to need it: uv mostly waits on the index, so it runs beside
    the CPU-bound tests (the e2e ones come first) instead of after them. In a parallel run one worker (gw0)
    makes it and leaves it in a file for the others."""
    config = session.config
    if not any("proof" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    if getattr(config, "workerinput", {}).get("workerid", "gw0") != "gw0":
        return
    shared = _shared_report(config)
    future: Future = Future()

    def run() -> None:
        try:
            report = prove_pins(default_catalog(), jobs=PROOF_JOBS, cache=SUITE_PROOF_CACHE)
        except BaseException as e:  # the tests that need it see the error
            if shared:
                _write_atomically(shared, pickle.dumps(f"the proof of the pins stopped: {e!r}"))
            future.set_exception(e)
            return
        if shared:
            _write_atomically(shared, pickle.dumps(report))
        future.set_result(report)

    # A daemon thread: a run that stops early (-x, Ctrl-C) does not wait for the proof; its uv children die
    # with this process (scaffold.locking).
    threading.Thread(target=run, name="proof-of-pins", daemon=True).start()
    config.stash[_PROOF_FUTURE] = future


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def _read_shared(path: Path, *, wait: float) -> ProofReport | None:
    """The report gw0 left at ``path`` (waiting up to ``wait`` seconds for it), or None."""
    deadline = time.monotonic() + wait
    while not path.exists():
        if time.monotonic() > deadline:
            return None
        time.sleep(1)
    value = pickle.loads(path.read_bytes())  # written by this run's gw0 only
    if isinstance(value, str):
        raise RuntimeError(value)
    return value


def pytest_sessionfinish(session: pytest.Session) -> None:
    """gw0 stays until its proof is made (another worker may still wait for it); the controller removes it."""
    future = session.config.stash.get(_PROOF_FUTURE, None)
    if future is not None and hasattr(session.config, "workerinput"):
        with contextlib.suppress(BaseException):
            future.result()


@pytest.fixture(scope="session")
def proof(request) -> ProofReport:
    """What ``scaffold catalog prove`` says of every claimed combination, made once per run (network)."""
    config = request.config
    future = config.stash.get(_PROOF_FUTURE, None)
    shared = _shared_report(config)
    if future is not None:
        report = future.result()
    elif shared is not None:
        report = _read_shared(shared, wait=3600)
        if report is None:
            pytest.fail(f"worker gw0 left no proof of the pins at {shared} within an hour")
    else:
        report = prove_pins(default_catalog(), jobs=PROOF_JOBS, cache=SUITE_PROOF_CACHE)
    config.stash[_PROOF] = report
    return report


@pytest.fixture
def cpu_machine() -> Machine:
    """A recorded Linux x86_64 machine without accelerators, so tests never depend on this one."""
    return Machine("linux-x86_64", "3.11", "cpu", "", {"cpu_cores": 2})


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its content, to prove that nothing changed."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Where the e2e tests' time went, step by step; then the proof of the pins, as ``scaffold catalog prove``
    prints it, when this run made it."""
    if not hasattr(config, "workerinput"):
        _e2e_steps(terminalreporter)
    report = config.stash.get(_PROOF, None)
    shared = _shared_report(config)
    if report is None and shared is not None and not hasattr(config, "workerinput"):
        report = _read_shared(shared, wait=0)
        shared.unlink(missing_ok=True)
    if report is None:
        return
    terminalreporter.write_sep("-", "proof of the pins: combinations the catalog claims, resolved with uv")
    terminalreporter.write_line(format_table(report.counts()))
    terminalreporter.write_line(f"{report.from_cache} distinct resolutions made from the proof's uv cache "
                                f"({SUITE_PROOF_CACHE}), the rest from the indexes")
    reasons: dict[str, int] = {}
    for c in report.combinations:
        if c.outcome == "unverified":
            reasons[c.detail] = reasons.get(c.detail, 0) + 1
    for reason, count in reasons.items():
        terminalreporter.write_line(f"unverified: {count} combinations: {reason}")


def _e2e_steps(terminalreporter) -> None:
    # The steps are recorded at teardown (tests/e2e/conftest.py), the duration in the call's report.
    reports = [r for kept in terminalreporter.stats.values() for r in kept if hasattr(r, "user_properties")]
    durations = {r.nodeid: r.duration for r in reports if getattr(r, "when", "") == "call"}
    lines = []
    for report in reports:
        for name, value in getattr(report, "user_properties", ()):
            if name == "e2e steps" and getattr(report, "when", "") == "teardown":
                framework, seconds = value
                duration = durations.get(report.nodeid, 0.0)
                steps = ", ".join(f"{step} {wall:.0f}/{cpu:.0f}" for step, (wall, cpu) in seconds.items())
                lines.append((duration, f"{duration:6.0f} s  {report.nodeid.split('::')[-1]} ({framework}): {steps}"))
    if lines:
        terminalreporter.write_sep("-", "e2e proofs: wall/CPU seconds per step")
        for _, line in sorted(lines, reverse=True):
            terminalreporter.write_line(line)
