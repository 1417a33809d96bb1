"""Resolve a PinSet for its platform and Python with uv (metadata only; nothing is installed)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from scaffold.maintain import claimed_combinations
from scaffold.models import Catalog, PinSet
from scaffold.targets import UV_MACOS_DEPLOYMENT_TARGET, UV_PLATFORMS

REACHABLE_HOSTS = {"pypi.org"}  # this machine and CI reach PyPI only

_SESSION_CACHE: list[str] = []


def session_uv_cache() -> str:
    """uv's cache for this test session only, removed at its end: the suite never reads, fills or prunes the
    user's own cache (STYLE.md habit 13), and never waits on the lock of a uv running elsewhere."""
    if not _SESSION_CACHE:
        path = tempfile.mkdtemp(prefix="scaffold-tests-uv-cache-")
        atexit.register(shutil.rmtree, path, True)
        _SESSION_CACHE.append(path)
    return _SESSION_CACHE[0]


def every_combination(catalog: Catalog, framework: str):
    """(release, variant, platform, python) for everything the catalog claims for ``framework``."""
    return claimed_combinations(catalog, framework)


def unreachable_indexes(pins: PinSet) -> list[str]:
    hosts = [urlparse(line.split()[-1]).hostname for line in pins.index_lines]
    return [h for h in hosts if h not in REACHABLE_HOSTS]


def uv_compile(pins: PinSet, workdir: Path) -> subprocess.CompletedProcess:
    req = workdir / "requirements.in"
    req.write_text("\n".join([*pins.index_lines, *pins.requirements, *pins.dev_requirements]) + "\n")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "MACOSX_DEPLOYMENT_TARGET": UV_MACOS_DEPLOYMENT_TARGET,
           "UV_CACHE_DIR": session_uv_cache()}
    result = subprocess.run(
        [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--no-header", "--python-version",
         pins.target.python, "--python-platform", UV_PLATFORMS[pins.target.platform], "--index-strategy",
         "unsafe-best-match", str(req)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    # uv unpacks an sdist-only package (pyspark: ~480 MB of jars) afresh for every Python and platform
    # it resolves for; pruning the session's own cache after each run keeps it at one copy instead of tens of GB.
    subprocess.run([sys.executable, "-m", "uv", "cache", "prune", "--quiet"], env=env, capture_output=True,
                   timeout=600, check=False)
    return result
