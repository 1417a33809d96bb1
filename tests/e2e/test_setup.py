"""`scaffold new --setup`: from nothing to a trained model in one command, as a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaffold.setup_run import choose_installer, plan, read_metrics


def _scaffold(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 900) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # uv gets a cache of its own: the suite never writes the user's (it is warm after the first run anyway).
    full = {**base, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "scaffold", "new", *args], cwd=tmp_path, env=full,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _python_here() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _prove(tmp_path: Path, installer: str) -> None:
    started = time.perf_counter()
    result = _scaffold(tmp_path, "Setup Demo", "--framework", "sklearn", "--target", "cpu", "--python", _python_here(),
                       "--no-input", "--setup", env={"SCAFFOLD_INSTALLER": installer})
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    project = tmp_path / "setup-demo"
    out = result.stdout
    for step in ("[1/3] create the virtual environment (.venv): done",
                 f"[2/3] install the pins with {installer}: done", "[3/3] train (python -m setup_demo train): done"):
        assert step in out, out
    assert (project / ".venv").is_dir() and (project / "artifacts" / "model.joblib").is_file()
    # What the main job measured is shown: its metrics.json, or (a starter that only prints them) its own lines.
    metrics = read_metrics(project)
    if metrics:
        assert "Metrics (artifacts/metrics.json):" in out and any(f"  {k}: " in out for k in metrics)
    else:
        assert "test accuracy: 0.9" in out, out
    assert "Next:\n  cd setup-demo\n  . .venv/bin/activate\n  python -m setup_demo evaluate" in out
    # The venv is the project's own and works for the next commands.
    tests = subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "setup_demo", "evaluate"], cwd=project,
                           capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    print(f"\nnothing to trained model, sklearn, {installer}: {seconds:.1f} s; "
          + out.split("Set up in ", 1)[1].split("\n", 1)[0])


@pytest.mark.e2e
def test_setup_with_pip_from_nothing_to_a_trained_model(tmp_path: Path) -> None:
    # pip: reaches the wheels this environment's pip configuration points at (offline where those are local).
    _prove(tmp_path, "pip")


@pytest.mark.e2e
@pytest.mark.network
def test_setup_with_uv_from_nothing_to_a_trained_model(tmp_path: Path) -> None:
    _prove(tmp_path, "uv")


def test_a_failing_step_names_the_step_keeps_the_project_and_exits_1(tmp_path: Path) -> None:
    # uv offline with an empty cache cannot install anything: step 2 fails, fast, without the network.
    result = _scaffold(tmp_path, "Broken Setup", "--framework", "sklearn", "--target", "cpu", "--python",
                       _python_here(), "--no-input", "--setup", env={"SCAFFOLD_INSTALLER": "uv", "UV_OFFLINE": "1"},
                       timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("failed: setup step 2/3 (install the pins with uv) failed with exit status ")
    assert "the project is kept at" in first and "Traceback" not in result.stderr
    assert (tmp_path / "broken-setup" / ".scaffold.json").is_file()
    assert (tmp_path / "broken-setup" / ".venv").is_dir()
    assert "[3/3]" not in result.stdout


def test_installer_choice_and_plan(tmp_path: Path) -> None:
    assert choose_installer({"SCAFFOLD_INSTALLER": "PIP"}) == "pip"
    assert choose_installer({}) == "uv"  # uv is a dependency of scaffold-ml
    with pytest.raises(Exception, match="SCAFFOLD_INSTALLER='conda' is not allowed; choose one of: uv, pip"):
        choose_installer({"SCAFFOLD_INSTALLER": "conda"})
    steps = plan(tmp_path, "demo", _python_here(), "uv")
    assert [s.argv[1:4] for s in steps[:2]] == [("-m", "uv", "venv"), ("-m", "uv", "pip")]
    assert steps[1].argv[-2:] == ("-r", "requirements.txt") and str(tmp_path / ".venv") in steps[1].argv[-3]
    assert steps[2].argv[1:] == ("-m", "demo", "train")
    other = "3.10" if _python_here() != "3.10" else "3.12"
    assert plan(tmp_path, "demo", other, "uv")[0].argv[-3:] == ("--python", other, ".venv")
