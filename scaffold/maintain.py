"""Maintainer operations on the catalog: prove every claimed pin resolves, and find newer releases.

``scaffold catalog prove`` resolves every (framework, release, target, platform, python) the catalog
claims with uv against the real indexes; an index that cannot be reached is counted as unverified,
never as passed. ``scaffold catalog check`` asks PyPI for releases newer than the catalog's newest, for
companions promised the newest that are not (per Python and platform), and for every other pin with a newer
release (reported only).
Imports the catalog, the pure resolver and target vocabulary (``pins``, ``targets``), ``locking``'s uv
runner and ``atomic`` (the kept answers); the network is reached only through uv and PyPI's JSON API.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .atomic import write_atomic
from .catalog import NewestClaim, newest_claims
from .errors import ScaffoldError, ToolError, UnreachableError, UsageError
from .locking import compile_lock, pin_lines, stop_children, uv_cache
from .models import Catalog, Framework, PinSet, Release, Variant
from .pins import resolve
from .targets import PLATFORMS, TargetSpec, marker_environment

PYPI_JSON = "https://pypi.org/pypi/{package}/json"
OUTCOMES = ("resolved", "unverified", "failed")
# A kept proof cache is trusted this long after it was started, then emptied and filled again from the indexes.
CACHE_HOURS = 24.0
CACHE_STAMP = "scaffold-proof-cache.json"
# Beside uv's cache in a kept folder: each resolved pin set's lock, by a digest of everything that decides it
# (its lines, platform, Python and uv's version), trusted for as long as the uv cache it came from.
ANSWERS = "answers"


# ---- proof of the pins ----

def claimed_combinations(catalog: Catalog, framework: str) -> Iterator[tuple[Release, Variant, str, str]]:
    """(release, variant, platform, python) for everything the catalog claims for ``framework``."""
    fw = catalog.get(framework)
    for release in fw.releases:
        for variant in release.variants:
            for platform in variant.platforms:
                for python in variant.python or release.python:
                    yield release, variant, platform, python


def pins_for(catalog: Catalog, framework: str, release: Release, variant: Variant, platform: str,
             python: str) -> PinSet:
    """The PinSet the resolver gives for one claimed combination."""
    return resolve(catalog, framework, target=TargetSpec(variant.accelerator, variant.version or None),
                   platform=platform, python=python, framework_version=release.version,
                   options=dict(variant.options))


def index_hosts(pins: PinSet) -> list[str]:
    return [urlparse(line.split()[-1]).hostname or "" for line in pins.index_lines]


def host_reachable(host: str, timeout: float = 5.0) -> bool:
    """Whether an index host answers HTTPS at all (any HTTP status counts as reachable)."""
    try:
        urllib.request.urlopen(urllib.request.Request(f"https://{host}/", method="HEAD"), timeout=timeout)
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Combination:
    framework: str
    release: str
    target: str
    platform: str
    python: str
    outcome: str  # resolved | unverified | failed
    detail: str = ""
    options: tuple[tuple[str, str], ...] = ()  # the variant's starter options (Keras' backend, ...)
    # what uv resolved the pins to, (name, version) in its order; empty unless resolved with a lock text
    resolved: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return (f"{self.framework}-{self.release}-{self.target}-{self.platform}-py{self.python}"
                + "".join(f"-{value}" for _, value in self.options))


@dataclass(frozen=True)
class ProofReport:
    combinations: tuple[Combination, ...]
    frameworks: tuple[str, ...] = field(default_factory=tuple)
    # distinct resolutions uv made from the proof's cache alone (the rest asked the indexes)
    from_cache: int = 0

    def counts(self) -> dict[str, dict[str, int]]:
        """framework -> {claimed, resolved, unverified, failed}."""
        return count_outcomes(self.frameworks, ((c.framework, c.outcome) for c in self.combinations))

    @property
    def failed(self) -> tuple[Combination, ...]:
        return tuple(c for c in self.combinations if c.outcome == "failed")

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts(), "from_cache": self.from_cache,
                "combinations": [{"framework": c.framework, "release": c.release, "target": c.target,
                                  "platform": c.platform, "python": c.python, "outcome": c.outcome,
                                  "detail": c.detail} for c in self.combinations]}


def count_outcomes(frameworks: Iterable[str], outcomes: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Tally (framework, outcome) pairs; every framework of ``frameworks`` gets a row, even with nothing claimed."""
    counts = {fid: {"claimed": 0, **dict.fromkeys(OUTCOMES, 0)} for fid in frameworks}
    for fid, outcome in outcomes:
        row = counts.setdefault(fid, {"claimed": 0, **dict.fromkeys(OUTCOMES, 0)})
        row["claimed"] += 1
        row[outcome] += 1
    return counts


def format_table(counts: Mapping[str, Mapping[str, int]]) -> str:
    """The proof as a plain-text table: one row per framework and a total."""
    head = ("framework", "claimed", *OUTCOMES)
    rows = [(fid, *(str(c[k]) for k in head[1:])) for fid, c in counts.items()]
    rows.append(("total", *(str(sum(c[k] for c in counts.values())) for k in head[1:])))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(cells))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])])


@contextlib.contextmanager
def proof_cache(folder: Path | None = None, *, max_age_hours: float = CACHE_HOURS,
                now: Callable[[], float] = time.time) -> Iterator[Path]:
    """uv's cache for one proof, never the user's own.

    Without ``folder`` it is a temporary one, removed afterwards: whatever a resolution reuses from it
    was fetched from the indexes by this same proof. A ``folder`` is kept between proofs and trusted for
    ``max_age_hours`` after the proof that started it; an older one is emptied (``uv cache clean``) and
    filled again. A folder holding anything but a cache an earlier proof made is refused, and nothing in
    it is touched. Afterwards ``uv cache prune`` drops what uv superseded: an sdist served without cache
    headers (pyspark, ~400 MB) is downloaded again by every resolution that asks the index.
    """
    if folder is None:
        tmp = Path(tempfile.mkdtemp(prefix="scaffold-proof-"))
        try:
            yield tmp
        finally:
            stop_children()  # an interrupted proof: no uv may still write into the folder being removed
            for _ in range(20):
                shutil.rmtree(tmp, ignore_errors=True)
                if not tmp.exists():
                    break
                time.sleep(0.1)
        return
    folder = Path(folder).absolute()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--cache {folder}: it is a file; give a new or empty folder")
    stamp = folder / CACHE_STAMP
    try:
        started = float(json.loads(stamp.read_text(encoding="utf-8"))["started"])
    except FileNotFoundError:
        started = None
        if folder.exists() and any(folder.iterdir()):
            raise UsageError(f"--cache {folder}: it holds files no proof made; give a new or empty folder, "
                             "or one an earlier `scaffold catalog prove --cache` made") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"--cache {folder}: {CACHE_STAMP} is unreadable ({e}); give another folder") from e
    uv = folder / "uv"  # uv's own cache; the stamp beside it, where uv's clean and prune leave it alone
    try:
        if started is not None and not 0 <= now() - started <= max_age_hours * 3600:
            uv_cache("clean", uv)
            shutil.rmtree(folder / ANSWERS, ignore_errors=True)
            started = None
        if started is None:
            uv.mkdir(parents=True, exist_ok=True)
            stamp.write_text(json.dumps({"started": now(), "made_by": "scaffold catalog prove"}) + "\n",
                             encoding="utf-8")
    except OSError as e:
        raise UsageError(f"--cache {folder}: cannot write there ({e.strerror or e})") from e
    yield uv
    with contextlib.suppress(ToolError):  # a cache that could not be pruned is larger, not wrong
        uv_cache("prune", uv)


# The proof's cache is pruned whenever the disk has lost this much since the last prune: each resolution that
# asks the index for an sdist served without cache headers keeps another copy of it (pyspark: ~450 MB).
PRUNE_AFTER_BYTES = 1 << 30


class _Gate:
    """Many uv resolutions at once, or one ``uv cache prune`` alone (it must not remove what a resolution reads)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sharing = 0
        self._alone = False

    @contextlib.contextmanager
    def sharing(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._alone)
            self._sharing += 1
        try:
            yield
        finally:
            with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._alone)
            self._alone = True
            self._changed.wait_for(lambda: self._sharing == 0)
        try:
            yield
        finally:
            with self._changed:
                self._alone = False
                self._changed.notify_all()


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _prune_when_grown(folder: Path, gate: _Gate, free: list[int]) -> None:
    """``uv cache prune`` once the disk has lost PRUNE_AFTER_BYTES since the last one (``free`` holds that figure)."""
    now = _free_bytes(folder)
    if now > free[0]:
        free[0] = now  # something else freed space: count from here
    if free[0] - now < PRUNE_AFTER_BYTES:
        return
    with gate.alone():
        if free[0] - _free_bytes(folder) < PRUNE_AFTER_BYTES:
            return  # another thread pruned while this one waited
        with contextlib.suppress(ToolError):  # a cache that could not be pruned is larger, not wrong
            uv_cache("prune", folder)
        free[0] = _free_bytes(folder)


def _answer_path(answers: Path | None, pins: PinSet) -> Path | None:
    if answers is None:
        return None
    decided_by = [list(pin_lines(pins)), pins.target.platform, pins.target.python, _uv_version()]
    return answers / f"{hashlib.sha256(json.dumps(decided_by).encode()).hexdigest()}.txt"


@functools.cache
def _uv_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("uv")
    except PackageNotFoundError:
        return "unknown"


def _keep_answer(path: Path | None, text: str) -> None:
    """Keep a resolution's lock for the next proof; one that cannot be written is only not kept."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, text)


def prove_pins(
    catalog: Catalog,
    frameworks: Iterable[str] | None = None,
    *,
    jobs: int = 4,
    reachable: Callable[[str], bool] = host_reachable,
    compile_pins: Callable[[PinSet], str | None] | None = None,
    cache: Path | None = None,
    max_age_hours: float = CACHE_HOURS,
) -> ProofReport:
    """Resolve every claimed combination for its platform and Python with uv.

    ``reachable(host)`` decides which indexes count (an unreachable one makes its combinations
    unverified); ``compile_pins`` raises :class:`ScaffoldError` when a PinSet does not resolve and may
    return the lock's text, whose pins each resolved :class:`Combination` then carries. Claims whose
    pins are the same lines for the same platform and Python are resolved once and share the outcome.

    By default each resolution is ``uv pip compile`` (:func:`scaffold.locking.compile_lock`) in the
    proof's own uv cache (:func:`proof_cache`: ``cache``, kept and trusted for ``max_age_hours``, or a
    temporary one): first from that cache alone, and from the indexes where the cache lacks anything
    or the offline answer is a failure, so only a resolution the indexes gave is ever counted as failed.
    A kept ``cache`` also keeps each resolved pin set's lock (``answers/``, beside uv's cache and trusted
    with it): a later proof within the day runs no uv for a pin set an earlier one resolved.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs {jobs!r} is not allowed; give a whole number of at least 1")
    fids = _framework_ids(catalog, frameworks)
    if compile_pins is not None:
        return _prove(catalog, fids, jobs=jobs, reachable=reachable, compile_one=compile_pins)
    with proof_cache(cache, max_age_hours=max_age_hours) as folder:
        env = {**os.environ, "UV_CACHE_DIR": str(folder)}
        offline = [0]
        counting = threading.Lock()
        gate = _Gate()
        free = [_free_bytes(folder)]

        stopping = threading.Event()

        answers = folder.parent / ANSWERS if cache is not None else None

        def cached_first(pins: PinSet) -> str:
            where = dict(platform=pins.target.platform, python=pins.target.python, env=env, hashes=False)
            known = _answer_path(answers, pins)
            if known is not None and known.is_file():
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    text = known.read_text(encoding="utf-8")
                    with counting:
                        offline[0] += 1
                    return text
            try:
                with gate.sharing():
                    text = compile_lock(pin_lines(pins), offline=True, **where)
            except ScaffoldError:
                if stopping.is_set():  # the proof was interrupted: its killed uv is no reason to ask the index
                    raise
                try:
                    with gate.sharing():
                        text = compile_lock(pin_lines(pins), **where)
                finally:
                    _prune_when_grown(folder, gate, free)
            else:
                with counting:
                    offline[0] += 1
            _keep_answer(known, text)
            return text

        try:
            report = _prove(catalog, fids, jobs=jobs, reachable=reachable, compile_one=cached_first)
        except BaseException:
            stopping.set()
            raise
        return ProofReport(report.combinations, report.frameworks, from_cache=offline[0])


def _prove(catalog: Catalog, fids: tuple[str, ...], *, jobs: int, reachable: Callable[[str], bool],
           compile_one: Callable[[PinSet], str | None]) -> ProofReport:
    work = [(fid, *combo) for fid in fids for combo in claimed_combinations(catalog, fid)]
    hosts = {host: reachable(host)  # once per host, before the threads start
             for host in {h for fid, r, v, p, py in work for h in _hosts_of(catalog, fid, v)}}

    decided: list[Combination | None] = []
    bases: list[dict[str, Any]] = []
    keys: list[tuple[Any, ...]] = []
    to_compile: dict[tuple[Any, ...], PinSet] = {}
    for fid, release, variant, platform, python in work:
        base = dict(framework=fid, release=release.version, target=variant.target, platform=platform,
                    python=python, options=tuple(variant.options.items()))
        bases.append(base)
        try:
            pins = pins_for(catalog, fid, release, variant, platform, python)
        except ScaffoldError as e:
            decided.append(Combination(**base, outcome="failed", detail=f"the resolver refuses its own claim: {e}"))
            keys.append(())
            continue
        dead = [h for h in index_hosts(pins) if not (hosts[h] if h in hosts else reachable(h))]
        if dead:
            decided.append(Combination(**base, outcome="unverified",
                                       detail=f"index {', '.join(dead)} is not reachable"))
            keys.append(())
            continue
        key = (tuple(pin_lines(pins)), platform, python)
        to_compile.setdefault(key, pins)
        decided.append(None)
        keys.append(key)

    unreachable: dict[tuple[str, ...], str] = {}  # index lines -> why they could not be reached

    def one(pins: PinSet) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """(outcome, detail, resolved pins) for one distinct resolution."""
        indexes = tuple(pins.index_lines)
        if indexes in unreachable:  # these indexes already did not answer: asking again proves nothing
            return "unverified", unreachable[indexes], ()
        try:
            text = compile_one(pins)
        except UnreachableError as e:  # the index or a proxy did not answer: nothing was proven either way
            detail = re.sub(r"^cannot lock for [^:]+: ", "", str(e))
            unreachable.setdefault(indexes, detail)
            return "unverified", detail, ()
        except ScaffoldError as e:
            return "failed", str(e), ()
        return "resolved", "", _resolved_pins(text or "")

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        outcomes = dict(zip(to_compile, pool.map(one, to_compile.values()), strict=True))
    except BaseException:
        # A signal or an error in the main thread: the running uv processes go too, or the
        # pool would wait for each to finish.
        pool.shutdown(wait=False, cancel_futures=True)
        stop_children()
        raise
    pool.shutdown()
    results = []
    for combination, base, key in zip(decided, bases, keys, strict=True):
        if combination is None:
            outcome, detail, resolved = outcomes[key]
            combination = Combination(**base, outcome=outcome, detail=detail, resolved=resolved)
        results.append(combination)
    return ProofReport(tuple(results), fids)


_PIN_LINE = re.compile(r"^([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _resolved_pins(lock_text: str) -> tuple[tuple[str, str], ...]:
    """(name, version) for every ``name==version`` line of a uv lock."""
    return tuple((canonicalize_name(m[1]), m[2]) for m in map(_PIN_LINE.match, lock_text.splitlines()) if m)


def _framework_ids(catalog: Catalog, frameworks: Iterable[str] | None) -> tuple[str, ...]:
    if frameworks is not None and (isinstance(frameworks, str | bytes) or not isinstance(frameworks, Iterable)):
        raise UsageError(f"frameworks must be a list of framework ids, not {type(frameworks).__name__}")
    fids = tuple(f.lower() if isinstance(f, str) else f for f in (frameworks or catalog.frameworks))
    for fid in fids:
        catalog.framework(fid)
    return fids


def _hosts_of(catalog: Catalog, fid: str, variant: Variant) -> list[str]:
    fw = catalog.get(fid)
    urls = [fw.indexes[variant.index].url, catalog.pypi_url] if variant.index else []
    return [urlparse(u).hostname or "" for u in urls]


# ---- newer releases on PyPI ----

@dataclass(frozen=True)
class Staleness:
    framework: str
    package: str
    newest_pinned: str | None
    newer: tuple[tuple[str, str], ...]  # (version, upload date) newest first

    def as_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "package": self.package, "newest_pinned": self.newest_pinned,
                "newer": [{"version": v, "released": d} for v, d in self.newer]}


def newer_releases(fw: Framework, pypi_json: Mapping[str, Any]) -> Staleness:
    """Final, non-yanked releases in a PyPI JSON document (``/pypi/<package>/json``) newer than the
    catalog's newest pinned release of ``fw``. Pure: the document is a parameter."""
    pinned = max((Version(r.version) for r in fw.releases), default=None)
    newer = []
    for text, files in (pypi_json.get("releases") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease or not files or all(f.get("yanked") for f in files):
            continue
        if pinned is None or version > pinned:
            dates = sorted(str(f.get("upload_time_iso_8601") or f.get("upload_time") or "")[:10] for f in files)
            newer.append((version, text, dates[0] if dates else ""))
    newer.sort(reverse=True)
    return Staleness(fw.id, fw.package, str(pinned) if pinned else None, tuple((t, d) for _, t, d in newer))


def fetch_pypi_json(package: str, *, timeout: float = 20.0) -> dict[str, Any]:
    """PyPI's JSON document for ``package``; :class:`ToolError` with one line when it cannot be had."""
    url = PYPI_JSON.format(package=package)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise ToolError(f"PyPI answered {e.code} for {url}; is {package!r} the right package name?") from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ToolError(f"cannot reach PyPI ({url}: {reason}); check the network or proxy, then run it again") from e
    except ValueError as e:
        raise ToolError(f"PyPI's answer for {url} is not JSON: {e}") from e


def catalog_check(catalog: Catalog, frameworks: Iterable[str] | None = None, *,
                  fetch: Callable[[str], Mapping[str, Any]] = fetch_pypi_json) -> tuple[Staleness, ...]:
    """For each framework, the releases on PyPI newer than the catalog's newest pin."""
    fids = _framework_ids(catalog, frameworks)
    return tuple(newer_releases(catalog.get(fid), fetch(catalog.get(fid).package)) for fid in fids)


# ---- companion pins older than the newest release that covers their Pythons ----

@dataclass(frozen=True)
class StaleCompanion:
    framework: str
    release: str
    package: str
    pinned: str
    newest: str  # the newest final release whose files cover every Python of the pin
    pythons: tuple[str, ...]
    where: str

    def as_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "release": self.release, "package": self.package,
                "pinned": self.pinned, "newest": self.newest, "pythons": list(self.pythons), "where": self.where}


def claim_pythons(claim: NewestClaim) -> tuple[str, ...]:
    """The Pythons a claimed pin applies to: its release's, narrowed by its marker on any platform."""
    marker = Requirement(claim.requirement).marker
    if marker is None:
        return claim.pythons
    return tuple(py for py in claim.pythons if any(marker.evaluate(marker_environment(p, py)) for p in PLATFORMS))


def claim_targets(claim: NewestClaim) -> tuple[tuple[str, str], ...]:
    """(python, platform) pairs a claimed pin must install on: the release's (or variant's), narrowed by its marker."""
    marker = Requirement(claim.requirement).marker
    return tuple((py, p) for py in claim.pythons for p in (claim.platforms or PLATFORMS)
                 if marker is None or marker.evaluate(marker_environment(p, py)))


def platform_of(tag: str) -> str | None:
    """The catalog platform a wheel's platform tag installs on (``any`` for every one); None for the others
    (musllinux, Intel macOS, 32-bit, Windows on Arm)."""
    if tag == "any":
        return "any"
    if tag.startswith("musllinux"):
        return None
    if "linux" in tag and tag.endswith("x86_64"):
        return "linux-x86_64"
    if "linux" in tag and tag.endswith("aarch64"):
        return "linux-aarch64"
    if tag.startswith("macosx") and tag.endswith(("arm64", "universal2")):
        return "macos-arm64"
    if tag == "win_amd64":
        return "windows-x86_64"
    return None


def _file_covers(file: Mapping[str, Any], python: str, platform: str | None = None) -> bool:
    """Whether one uploaded file installs on CPython ``python`` (by requires_python and, for a wheel, its tags),
    and on ``platform`` when one is given (an sdist and a pure wheel install everywhere)."""
    if file.get("yanked"):
        return False
    try:
        if file.get("requires_python") and f"{python}.0" not in SpecifierSet(str(file["requires_python"])):
            return False
    except InvalidSpecifier:
        return False
    name = str(file.get("filename", ""))
    if not name.endswith(".whl"):
        return True
    parts = name[:-4].split("-")
    if len(parts) < 5:
        return False
    if platform is not None and not {"any", platform} & {platform_of(t) for t in parts[-1].split(".")}:
        return False
    pytags, abi = parts[-3].split("."), parts[-2]
    nodot = python.replace(".", "")
    for tag in pytags:
        if tag.startswith("py3") or (tag == f"cp{nodot}" and not abi.endswith("t")):
            return True
        if abi == "abi3" and tag.startswith("cp3") and tag[2:].isdigit() and int(tag[3:]) <= int(nodot[1:]):
            return True
    return False


def newest_covering(pypi_json: Mapping[str, Any], pythons: Iterable[str],
                    platforms: Iterable[str] | None = None) -> str | None:
    """The newest final release in a PyPI JSON document with a file for each of ``pythons`` (on each of
    ``platforms`` when given: a version without a Windows wheel is not the newest for a Windows claim). Pure."""
    pythons = tuple(pythons)
    return _newest_for(pypi_json, [(py, p) for py in pythons for p in (platforms if platforms is not None else [None])])


def _newest_for(pypi_json: Mapping[str, Any], targets: Iterable[tuple[str, str | None]]) -> str | None:
    """:func:`newest_covering` for (python, platform) pairs (platform None: any)."""
    targets = tuple(targets)
    best: tuple[Version, str] | None = None
    for text, files in (pypi_json.get("releases") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease or not files:
            continue
        wheels = [f for f in files if str(f.get("filename", "")).endswith(".whl")] or files
        # a release with wheels is judged by them; an sdist then only helps a Python no wheel serves when
        # there is no wheel at all (pure sdist projects)
        if all(any(_file_covers(f, py, p) for f in wheels) for py, p in targets) and (best is None or version > best[0]):
            best = (version, text)
    return best[1] if best else None


def companion_check(catalog: Catalog, frameworks: Iterable[str] | None = None, *,
                    claims: Iterable[NewestClaim] | None = None,
                    fetch: Callable[[str], Mapping[str, Any]] = fetch_pypi_json) -> tuple[StaleCompanion, ...]:
    """Pins the catalog calls the newest (``catalog.newest_claims``) that PyPI has a newer covering release of.

    ``fetch`` is asked once per distribution; ``claims`` defaults to the bundled catalog's.
    """
    fids = _framework_ids(catalog, frameworks)
    docs: dict[str, Mapping[str, Any]] = {}
    stale = []
    for claim in (newest_claims() if claims is None else claims):
        if claim.framework not in fids:
            continue
        req = Requirement(claim.requirement)
        pinned = next((s.version for s in req.specifier if s.operator == "=="), None)
        pythons = claim_pythons(claim)
        targets = claim_targets(claim)
        if pinned is None or not pythons:
            continue
        if req.name not in docs:
            docs[req.name] = fetch(req.name)
        newest = _newest_for(docs[req.name], targets)
        if newest is not None and Version(newest) > Version(pinned):
            stale.append(StaleCompanion(claim.framework, claim.release, req.name, pinned, newest, pythons, claim.where))
    return tuple(stale)


# ---- every other pin: a newer release that installs where the pin does (reported, never failed) ----

@dataclass(frozen=True)
class NewerPin:
    package: str
    pinned: str
    newest: str  # the newest final release with files for every (Python, platform) the pin serves
    used_by: tuple[str, ...]  # "framework release target" for each claimed target that pins it

    def as_dict(self) -> dict[str, Any]:
        return {"package": self.package, "pinned": self.pinned, "newest": self.newest, "used_by": list(self.used_by)}


def pinned_uses(catalog: Catalog, frameworks: Iterable[str] | None = None, *,
                claims: Iterable[NewestClaim] | None = None,
                ) -> dict[tuple[str, str], tuple[set[tuple[str, str]], list[str]]]:
    """(distribution, pinned version) -> ((python, platform) it serves, who pins it) for every ``==`` pin a
    claimed target installs: companions, CUDA wheels, tooling. Leaves out each framework's own package (the
    newer-releases check) and what the catalog promises is the newest (the companion check). Pure."""
    fids = _framework_ids(catalog, frameworks)
    promised = {(Requirement(c.requirement).name.lower(), c.framework)
                for c in (newest_claims() if claims is None else claims)}
    uses: dict[tuple[str, str], tuple[set[tuple[str, str]], list[str]]] = {}
    for fid in fids:
        fw = catalog.get(fid)
        for release, variant, platform, python in claimed_combinations(catalog, fid):
            env = marker_environment(platform, python)
            lines = [*variant.requirements, *release.requires, *release.dev_requires, *catalog.tooling.values(),
                     *catalog.build_requires]
            for text in lines:
                req = Requirement(text)
                name = canonicalize_name(req.name)
                if name == canonicalize_name(fw.package) or (req.name.lower(), fid) in promised:
                    continue
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
                pinned = next((s.version for s in req.specifier if s.operator == "=="), None)
                if pinned is None or (pinned == release.version and name.startswith(canonicalize_name(fw.package))):
                    continue  # the release's own build under another name (tensorflow-cpu for TensorFlow)
                targets, who = uses.setdefault((name, pinned.split("+")[0]), (set(), []))
                targets.add((python, platform))
                label = f"{fid} {release.version} {variant.target}"
                if label not in who:
                    who.append(label)
    return uses


def pin_check(catalog: Catalog, frameworks: Iterable[str] | None = None, *,
              claims: Iterable[NewestClaim] | None = None,
              fetch: Callable[[str], Mapping[str, Any]] = fetch_pypi_json) -> tuple[NewerPin, ...]:
    """Every pinned distribution (:func:`pinned_uses`) that PyPI has a newer release of with files for every
    Python and platform the pin serves: reported for a maintainer to weigh, never a failure (a newer boto3 or
    NVIDIA wheel may still be wrong for the framework that pins it). ``fetch`` is asked once per distribution."""
    docs: dict[str, Mapping[str, Any]] = {}
    out = []
    for (name, pinned), (targets, who) in sorted(pinned_uses(catalog, frameworks, claims=claims).items()):
        if name not in docs:
            docs[name] = fetch(name)
        newest = _newest_for(docs[name], sorted(targets))
        if newest is not None and Version(newest) > Version(pinned):
            out.append(NewerPin(name, pinned, newest, tuple(who)))
    return tuple(out)
