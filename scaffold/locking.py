"""Hash-pinned lock files: the full dependency tree of a project, resolved for its target with uv.

uv resolves for another platform and Python from package metadata alone (``--python-platform``,
``--python-version``), so a Linux CUDA lock can be made on a Mac. uv is a Python dependency of
scaffold-ml and runs as ``python -m uv``: nothing to install by hand. This module only computes the
lock's text; :mod:`scaffold.generator` writes it. Imports ``errors``, ``models`` and the platform table of
``targets``; runs nothing but uv.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .errors import ToolError, UnreachableError
from .models import PinSet
from .targets import PLATFORM_TABLE, UV_PLATFORMS

LOCK_FILE = "requirements.lock"
INSTALL_FROM_LOCK = ("pip install --require-hashes -r requirements.lock", "pip install --no-deps -e .")

# What uv prints when the index cannot be reached (as opposed to pins that do not resolve).
_NETWORK = re.compile(r"Failed to fetch|error sending request|dns error|Connection refused|timed out|"
                      r"Network connectivity is disabled|Could not connect|connection reset|tcp connect error",
                      re.IGNORECASE)


def pin_lines(pins: PinSet) -> list[str]:
    """The lock's input for a PinSet: index options, runtime pins, then the shared tooling pins."""
    return [*pins.index_lines, *pins.requirements, *pins.dev_requirements]


def requirements_lines(text: str) -> list[str]:
    """The lock's input from a project's requirements.txt: everything but comments and ``-e .``.

    The project itself cannot carry a hash (it is the source tree), so the lock holds its
    dependencies and the project is installed after it with ``pip install --no-deps -e .``.
    """
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#") or line.startswith(("-e ", "--editable")):
            continue
        lines.append(line)
    return lines


def count_packages(lock_text: str) -> int:
    return sum(1 for line in lock_text.splitlines() if re.match(r"^[A-Za-z0-9][\w.-]*(\[[^\]]*\])?==", line))


def compile_lock(lines: list[str], *, platform: str, python: str, env: dict[str, str] | None = None,
                 timeout: float = 900, hashes: bool = True, offline: bool = False) -> str:
    """Resolve ``lines`` for ``platform`` and ``python`` with hashes; return the lock file's text.

    Raises :class:`ToolError` with one line when uv is missing, the index cannot be reached, or the
    pins do not resolve. Writes nothing outside a temporary folder. ``hashes=False`` only proves
    that the pins resolve (``scaffold catalog prove``); ``offline=True`` resolves from uv's cache alone
    (``uv --offline``), failing where the cache lacks a page or a wheel's metadata.
    """
    if platform not in UV_PLATFORMS:
        raise ToolError(f"cannot lock for platform {platform!r}; lockable: {', '.join(UV_PLATFORMS)}")
    base_env = os.environ if env is None else env
    run_env = {**base_env, "UV_PYTHON_DOWNLOADS": "never"}
    # uv picks macOS wheels by the target's macOS version (PyTorch tags its arm64 wheels for macOS 14+ only).
    deployment = PLATFORM_TABLE[platform].macos_deployment_target
    if deployment:
        run_env.setdefault("MACOSX_DEPLOYMENT_TARGET", deployment)
    with tempfile.TemporaryDirectory(prefix="scaffold-lock-") as tmp:
        work = Path(tmp)
        (work / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        argv = [sys.executable, "-m", "uv", "pip", "compile", "--quiet", *(["--generate-hashes"] if hashes else []),
                *(["--offline"] if offline else []), "--emit-index-url",
                "--python-platform", UV_PLATFORMS[platform], "--python-version", python,
                # Like pip with --extra-index-url: the best match across the indexes, not the first index only.
                "--index-strategy", "unsafe-best-match",
                "--custom-compile-command", "scaffold lock",
                "--output-file", "out.lock", "requirements.txt"]
        # uv's own temporary files go into this folder too, so they leave with it whatever stops uv.
        run_env = {**run_env, "TMPDIR": str(work), "TEMP": str(work), "TMP": str(work)}
        returncode, stderr = _run_uv(argv, cwd=work, env=run_env, timeout=timeout, platform=platform, python=python)
        if returncode != 0:
            message = explain_failure(stderr, platform=platform, python=python)
            raise (UnreachableError if _NETWORK.search(stderr) else ToolError)(message)
        return (work / "out.lock").read_text(encoding="utf-8")


def uv_cache(command: str, cache_dir: Path, *, timeout: float = 600) -> None:
    """``uv cache clean`` or ``uv cache prune`` on the cache at ``cache_dir`` (and no other); ToolError on failure."""
    if command not in ("clean", "prune"):
        raise ValueError(command)
    argv = [sys.executable, "-m", "uv", "cache", command, "--quiet"]
    env = {**os.environ, "UV_CACHE_DIR": str(cache_dir)}
    returncode, stderr = _run_uv(argv, cwd=cache_dir.parent, env=env, timeout=timeout, platform="", python="",
                                 doing=f"uv cache {command}")
    if returncode != 0:
        last = stderr.strip().splitlines()[-1:] or ["no message"]
        raise ToolError(f"uv cache {command} failed for {cache_dir}: {last[0]}")


_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


def _run_uv(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, platform: str,
            python: str, doing: str = "") -> tuple[int, str]:
    """Run uv; it never outlives this process: killed on any exception or signal here, and (Linux) when
    the process that started it dies, even by SIGKILL."""
    try:
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace",
                                 preexec_fn=_die_with_parent())
    except OSError as e:
        raise ToolError(f"cannot run uv ({e.strerror or e}); install it with `pip install uv`") from e
    with _children_lock:
        _children.add(child)
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as e:
        what = doing or f"locking for {platform}, Python {python}"
        raise ToolError(f"uv did not finish {what} within {timeout:.0f} s; check the network and run it again") from e
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        with _children_lock:
            _children.discard(child)
    return child.returncode, stderr


def stop_children() -> None:
    """Kill every uv this process started and that still runs (an interrupted ``catalog prove``)."""
    with _children_lock:
        running = list(_children)
    for child in running:
        with contextlib.suppress(OSError):
            child.kill()


def _die_with_parent():
    """A preexec function asking Linux to SIGTERM the child when its parent dies; None elsewhere.

    Only from the main thread: Linux ties the death signal to the thread that forked, and a
    worker thread of ``catalog prove`` ends before the process does.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)

    return preexec


def explain_failure(stderr: str, *, platform: str, python: str) -> str:
    """One line from uv's error output: unreachable index, or what did not resolve."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if any("No module named uv" in line for line in lines):
        return "uv is not installed in scaffold-ml's environment; install it with `pip install uv`"
    causes = [re.sub(r"^(error|cause|Caused by):\s*", "", line) for line in lines]
    if _NETWORK.search(stderr):
        fetched = next((c for c in causes if c.startswith("Failed to fetch")), causes[0] if causes else "")
        return (f"cannot lock for {platform}, Python {python}: the package index cannot be reached "
                f"({fetched}; {causes[-1] if causes else 'no detail'}); check the network or proxy, then lock again")
    detail = "; ".join(c for c in causes[:3]) or "uv failed without a message"
    return f"cannot lock for {platform}, Python {python}: uv could not resolve the pins: {detail}"
