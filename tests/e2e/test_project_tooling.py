"""A fresh scikit-learn project with the tools its own files name: ``uv sync``, its main job, its pinned ruff, pre-commit.

Everything a tool caches stays in the test's temporary folder (STYLE.md habit 13): uv's cache, pre-commit's
hook environments, git's settings. uv never downloads a Python: the project is made for this interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

import scaffold

# One worker for the module (xdist_group): its tests share one `uv sync` (the module fixture), which every worker
# that ran one of them would otherwise repeat.
pytestmark = [pytest.mark.e2e, pytest.mark.network, pytest.mark.xdist_group("tooling")]

PYPI_PROBE = "https://pypi.org/simple/ruff/"


def _unreachable(url: str) -> str | None:
    """Why ``url`` cannot be read from here, or None when it can."""
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            response.read(1)
    except (urllib.error.URLError, OSError) as e:
        return f"{url}: {getattr(e, 'reason', e)}"
    return None


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    # check=False: the caller reads the exit status with the output beside it.
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _ok(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """The project after `uv sync`: (project path, package, env, the venv's bin folder)."""
    reason = _unreachable(PYPI_PROBE)
    if reason:
        pytest.skip(f"PyPI is unreachable, so uv cannot sync the project: {reason}")
    tmp = tmp_path_factory.mktemp("tooling")
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    project = scaffold.generate("Tooling Demo", framework="sklearn", target="cpu", python=python, output_dir=tmp)
    path = Path(project.path)
    home = tmp / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update({
        "UV_CACHE_DIR": str(tmp / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",  # the project's pyproject.toml alone says where packages come from
        "PRE_COMMIT_HOME": str(tmp / "pre-commit"),
        "HOME": str(home),  # git and pip read and write no settings of the machine's user
        "GIT_CONFIG_NOSYSTEM": "1",
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    })
    _ok(_run([sys.executable, "-m", "uv", "sync", "--python", sys.executable], path, env), "uv sync")
    bindir = path / ".venv" / ("Scripts" if os.name == "nt" else "bin")
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(path / ".venv")
    return path, project.package, env, bindir


def test_uv_sync_installs_the_pins_and_the_main_job_runs(synced):
    path, package, env, bindir = synced
    python = str(bindir / "python")
    # What the job writes is the starter's own e2e test's business; here: it runs in what uv installed.
    _ok(_run([python, "-m", package, "train"], path, env), f"python -m {package} train")
    assert any((path / "artifacts").iterdir()), "train wrote nothing under artifacts/"
    # `check` compares every pin, the dev group's included, with what uv installed.
    pins = _ok(_run([python, "-m", package, "check"], path, env), f"python -m {package} check")
    assert "pinned distributions installed at their pins" in pins.stdout, pins.stdout
    for tool in ("pytest", "ruff", "pre-commit"):
        assert (bindir / tool).exists() or (bindir / f"{tool}.exe").exists(), f"{tool} is not in the synced venv"


def test_the_project_is_clean_under_its_own_pinned_ruff(synced):
    path, _, env, bindir = synced
    ruff = str(bindir / "ruff")
    for argv in ([ruff, "check", "--no-cache", "."], [ruff, "check", "--no-cache", "--isolated", "."],
                 [ruff, "format", "--no-cache", "--check", "."]):
        _ok(_run(argv, path, env), " ".join(argv[1:]))


def test_pre_commit_run_all_files_passes(synced):
    path, _, env, bindir = synced
    config = yaml.safe_load((path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    for repo in config["repos"]:
        # What pre-commit itself does first: ask the hook's repository for the rev.
        found = _run(["git", "ls-remote", "--tags", repo["repo"], repo["rev"]], path, env, timeout=60)
        if found.returncode != 0:
            pytest.skip(f"pre-commit cannot fetch its hooks: git ls-remote {repo['repo']}: "
                        f"{(found.stderr.strip().splitlines() or ['failed'])[-1]}")
        assert f"refs/tags/{repo['rev']}" in found.stdout, f"{repo['repo']} has no tag {repo['rev']}"
    _ok(_run(["git", "init", "-q"], path, env), "git init")
    _ok(_run(["git", "add", "-A"], path, env), "git add")
    pre_commit = str(bindir / "pre-commit")
    _ok(_run([pre_commit, "install-hooks"], path, env), "pre-commit install-hooks")
    _ok(_run([pre_commit, "run", "--all-files", "--show-diff-on-failure"], path, env), "pre-commit run --all-files")
