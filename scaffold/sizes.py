"""``scaffold catalog sizes`` (maintainers; needs the network): how much each target's pins download.

For every release, variant and platform the catalog claims, the pins are resolved with uv for one Python
(the same resolution as ``scaffold lock``) and each resolved package's file for that platform and Python is
looked up in the index's JSON API (PEP 691: every file with its size). The sum goes to
``frameworks/_sizes.toml`` with the date and a digest of the pins it measured (a size whose pins changed is
stale: not shown, and reported by ``scaffold catalog check``), so ``scaffold new`` and ``scaffold detect`` can say "cuda-13.2: ~3.4 GB;
cpu: ~0.3 GB" before anything is downloaded. Combinations whose index cannot be reached are left out, never
guessed.

May import: ``errors``, ``models``, ``locking`` (the resolution) and ``maintain`` (which pins the catalog claims,
which hosts answer) of ours, ``packaging``, and the standard library (``urllib`` for the JSON API). Only the CLI's
``catalog sizes`` imports it. It writes nothing: :func:`write_sizes` returns the file's text and the CLI writes it.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from packaging import tags
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from .errors import ScaffoldError
from .locking import compile_lock, pin_lines
from .maintain import host_reachable, index_hosts, pins_for
from .models import Catalog, Download, download_key
from .pins import size_fingerprint

# The wheel platform tags each platform accepts, best first (uv resolves Linux for manylinux_2_28, macOS for 14.0).
_PLATFORM_TAGS = {
    "linux-x86_64": [*(f"manylinux_2_{i}_x86_64" for i in range(28, 4, -1)), "manylinux2014_x86_64",
                     "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"],
    "linux-aarch64": [*(f"manylinux_2_{i}_aarch64" for i in range(28, 16, -1)), "manylinux2014_aarch64",
                      "linux_aarch64"],
    "macos-arm64": [f"macosx_{v}_0_{a}" for v in range(14, 10, -1) for a in ("arm64", "universal2")],
    "windows-x86_64": ["win_amd64"],
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass(frozen=True)
class Measured:
    key: str
    download: Download | None
    detail: str = ""


def target_tags(platform: str, python: str) -> list[tags.Tag]:
    """Every wheel tag a CPython ``python`` on ``platform`` installs, best first."""
    version = tuple(int(p) for p in python.split("."))
    plats = _PLATFORM_TAGS[platform]
    return [*tags.cpython_tags(version, platforms=plats), *tags.compatible_tags(version, platforms=plats)]


def pick_file(files: Iterable[Mapping[str, Any]], name: str, version: str, wanted: list[tags.Tag]) -> int | None:
    """The size of the file pip would install for ``name==version`` (best wheel, else the sdist)."""
    rank = {t: i for i, t in enumerate(wanted)}
    best: tuple[int, int] | None = None
    sdist: int | None = None
    for f in files:
        filename, size = f.get("filename", ""), f.get("size")
        if not isinstance(size, int):
            continue
        try:
            if filename.endswith(".whl"):
                fname, fversion, _, ftags = parse_wheel_filename(filename)
                if canonicalize_name(fname) != canonicalize_name(name) or str(fversion) != version:
                    continue
                score = min((rank[t] for t in ftags if t in rank), default=None)
                if score is not None and (best is None or score < best[0]):
                    best = (score, size)
            elif filename.endswith((".tar.gz", ".zip")):
                sname, sversion = parse_sdist_filename(filename)
                if canonicalize_name(sname) == canonicalize_name(name) and str(sversion) == version:
                    sdist = size
        except ValueError:
            continue
    return best[1] if best else sdist


def simple_json(index: str, name: str, *, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The files of ``name`` on a PEP 691 index (``https://pypi.org/simple``)."""
    request = urllib.request.Request(f"{index.rstrip('/')}/{canonicalize_name(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return list(json.load(response).get("files", []))


def measure(catalog: Catalog, frameworks: Iterable[str], *, today: str,
            files: Callable[[str, str], list[dict[str, Any]]] = simple_json,
            reachable: Callable[[str], bool] = host_reachable,
            resolve_lines: Callable[[list[str], str, str], str] | None = None, jobs: int = 4) -> list[Measured]:
    """Measure every (release, variant, platform) of ``frameworks``; unreachable indexes are left out."""
    work = []
    for fid in frameworks:
        for release in catalog.framework(fid).releases:
            for variant in release.variants:
                pythons = variant.python or release.python
                python = "3.12" if "3.12" in pythons else pythons[-1]
                for platform in variant.platforms:
                    key = download_key(fid, release.version, variant.target, platform, variant.options)
                    work.append((catalog, fid, release, variant, platform, python, key, today, files, reachable,
                                 resolve_lines))
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # network-bound: uv and the index answer in parallel
        return list(pool.map(lambda args: _measure_one(*args), work))


def _measure_one(catalog, fid, release, variant, platform, python, key, today, files, reachable,
                 resolve_lines) -> Measured:
    pins = pins_for(catalog, fid, release, variant, platform, python)
    dead = [h for h in index_hosts(pins) if h and urllib.parse.urlparse(catalog.pypi_url).hostname != h
            and not reachable(h)]
    if dead:
        return Measured(key, None, f"index {', '.join(dead)} is not reachable")
    try:
        text = (resolve_lines or (lambda ls, p, py: compile_lock(ls, platform=p, python=py, hashes=False)))(
            pin_lines(pins), platform, python)
    except ScaffoldError as e:
        return Measured(key, None, str(e))
    wanted = target_tags(platform, python)
    total, count = 0, 0
    for line in text.splitlines():
        m = _PIN.match(line.strip())
        if not m:
            continue
        name, version = m[1], m[2]
        try:
            size = pick_file(files(catalog.pypi_url, name), name, version, wanted)
        except (OSError, ValueError, urllib.error.URLError) as e:
            return Measured(key, None, f"cannot read the files of {name}: {e}")
        if size is None:
            return Measured(key, None, f"no file of {name}=={version} for {platform}, Python {python} on the index")
        total, count = total + size, count + 1
    pins_digest = size_fingerprint(catalog, catalog.framework(fid), release, variant, platform)
    return Measured(key, Download(total, python, count, today, pins_digest))


def claimed_sizes(catalog: Catalog) -> dict[str, str]:
    """Every target the catalog claims, by its ``_sizes.toml`` key, with the digest of the pins it has now."""
    out = {}
    for fid, fw in catalog.frameworks.items():
        for release in fw.releases:
            for variant in release.variants:
                for platform in variant.platforms:
                    key = download_key(fid, release.version, variant.target, platform, variant.options)
                    out[key] = size_fingerprint(catalog, fw, release, variant, platform)
    return out


@dataclass(frozen=True)
class SizeFinding:
    """A recorded size that no longer tells the truth: ``stale`` (its pins changed since it was measured) or
    ``orphan`` (the catalog claims no such target any more)."""

    key: str
    state: str
    measured: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "state": self.state, "measured": self.measured}


def size_findings(catalog: Catalog) -> tuple[SizeFinding, ...]:
    """The recorded sizes that ``scaffold catalog sizes`` must measure again or drop. Pure: no network."""
    claimed = claimed_sizes(catalog)
    found = []
    for key, d in sorted(catalog.downloads.items()):
        if key not in claimed:
            found.append(SizeFinding(key, "orphan", d.measured))
        elif d.pins != claimed[key]:
            found.append(SizeFinding(key, "stale", d.measured))
    return tuple(found)


def write_sizes(measured: Iterable[Measured], old: Mapping[str, Download], claimed: Mapping[str, str]) -> str:
    """The whole text of ``frameworks/_sizes.toml``: this run's measurements, and the old ones of targets it did not
    measure (an index it could not reach, a framework left out) where they were measured for today's pins
    (``claimed``: key -> digest, :func:`claimed_sizes`). Stale and orphaned sizes are dropped, never kept."""
    table = {k: d for k, d in old.items() if claimed.get(k) == d.pins}
    table.update({m.key: m.download for m in measured if m.download is not None and m.key in claimed})
    lines = [
        "# What each target's pins download: every file of the resolved tree for that platform, summed.",
        "# Written by `scaffold catalog sizes` (uv pip compile for one Python, then each file's size from the",
        "# index's JSON API, PEP 691); combinations whose index could not be reached are not listed. Do not edit:",
        "# `pins` is a digest of the catalog's pins each size measured, and `scaffold catalog check` reports a size",
        "# whose pins changed since.",
        "",
    ]
    for key in sorted(table):
        d = table[key]
        lines += [f'[downloads."{key}"]', f"bytes = {d.bytes}", f"packages = {d.packages}",
                  f'python = "{d.python}"', f'measured = "{d.measured}"', f'pins = "{d.pins}"', ""]
    return "\n".join(lines)
