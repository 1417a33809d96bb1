"""``scaffold new --setup``: from a generated project to a trained model in one command.

Three steps, each a child process in the project folder: create ``.venv`` inside the project, install
``requirements.txt`` into it (uv when it is installed, else pip; ``SCAFFOLD_INSTALLER=pip`` or ``uv`` chooses),
run the main job (``python -m <package> train``). A failing step raises :class:`SetupError` naming the step;
the project is kept, so the person can fix the cause and run the step's command by hand.

May import: ``errors`` of ours, ``rich`` (only for the live line, inside :func:`run_with_progress`), and the
standard library. It runs commands inside the project only; the CLI imports it only for ``--setup``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ScaffoldError

INSTALLER_ENV = "SCAFFOLD_INSTALLER"


class SetupError(ScaffoldError):
    """Raised when: a step of ``--setup`` (venv, install, train) fails; the message names the step. The project
    is kept."""


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class SetupResult:
    installer: str
    python: str  # the project venv's interpreter
    metrics: Mapping[str, float]  # empty when the main job wrote no artifacts/metrics.json
    seconds: Mapping[str, float]
    next_commands: tuple[str, ...]
    train_output: tuple[str, ...] = ()  # the main job's last lines, as it printed them


def choose_installer(env: Mapping[str, str] | None = None) -> str:
    """``uv`` when the uv package is importable, else ``pip``; ``SCAFFOLD_INSTALLER`` overrides."""
    import importlib.util

    wanted = (env if env is not None else os.environ).get(INSTALLER_ENV, "").strip().lower()
    if wanted in ("uv", "pip"):
        return wanted
    if wanted:
        raise SetupError(f"{INSTALLER_ENV}={wanted!r} is not allowed; choose one of: uv, pip")
    return "uv" if importlib.util.find_spec("uv") is not None else "pip"


def venv_python(project: Path) -> Path:
    return project / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def plan(project: Path, package: str, python: str, installer: str) -> tuple[Step, ...]:
    """The commands ``--setup`` runs, in order (pure, so it is shown and tested without running them)."""
    venv_py = str(venv_python(project))
    create: tuple[str, ...]
    install: tuple[str, ...]
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if installer == "uv":
        # uv makes the venv for the project's Python even when it is not this interpreter's (it finds or
        # fetches one); pip has no such means, so it needs this interpreter to be the project's Python.
        interpreter = sys.executable if python == here else python
        create = (sys.executable, "-m", "uv", "venv", "--quiet", "--python", interpreter, ".venv")
        # No --compile-bytecode: compiling every installed module costs more (32 s against 3 s here for the
        # scikit-learn starter) than the first run saves by importing only what it uses (~7 s).
        install = (sys.executable, "-m", "uv", "pip", "install", "--python", venv_py, "-r", "requirements.txt")
    else:
        create = (sys.executable, "-m", "venv", ".venv")
        install = (venv_py, "-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt")
    return (
        Step("create the virtual environment (.venv)", create),
        Step(f"install the pins with {installer}", install),
        Step(f"train (python -m {package} train)", (venv_py, "-m", package, "train")),
    )


def _child_env(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    bindir = venv_python(project).parent
    return {**env, "VIRTUAL_ENV": str(project / ".venv"), "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}"}


def _run(step: Step, number: int, total: int, project: Path, show: Callable[[str], None],
         live: Callable[[str], None] | None) -> tuple[float, tuple[str, ...]]:
    started = time.perf_counter()
    show(f"[{number}/{total}] {step.title} ...")
    tail: deque[str] = deque(maxlen=15)
    try:
        child = subprocess.Popen(list(step.argv), cwd=project, env=_child_env(project), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace")
    except OSError as e:
        raise SetupError(f"setup step {number}/{total} ({step.title}) could not start: {e.strerror or e}; "
                         f"the project is kept at {project}") from e
    assert child.stdout is not None
    try:
        for line in child.stdout:
            line = line.rstrip()
            if line:
                tail.append(line)
                if live is not None:
                    live(line)
        code = child.wait()
    except BaseException:
        child.kill()  # Ctrl-C: the installer or the training run must not outlive us
        child.wait()
        raise
    seconds = time.perf_counter() - started
    if code != 0:
        raise SetupError(f"setup step {number}/{total} ({step.title}) failed with exit status {code}; the project is "
                         f"kept at {project}; run it again with: {' '.join(step.argv)}\n" + "\n".join(tail))
    show(f"[{number}/{total}] {step.title}: done in {seconds:.1f} s")
    return seconds, tuple(tail)


def read_metrics(project: Path) -> dict[str, float]:
    """``artifacts/metrics.json`` as name -> number (empty when there is none); a nested object
    (``{"metrics": {...}}``) is flattened."""
    path = project / "artifacts" / "metrics.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SetupError(f"the training run wrote an unreadable {path} ({e}); the project is kept at {project}") from e
    out: dict[str, float] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            out[prefix] = value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix and prefix != "metrics" else str(k), v)

    walk("", data)
    return out


def _shown_path(project: Path) -> str:
    """The project as a person would type it from here: relative when it is below the current folder."""
    try:
        return str(project.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(project)


def setup_project(project_dir: str | Path, package: str, python: str, *, show: Callable[[str], None],
                  live: Callable[[str], None] | None = None, installer: str | None = None) -> SetupResult:
    """Create the venv, install the pins, train; ``show`` gets each step's start and end, ``live`` every line
    its command prints (for a progress display). Raises :class:`SetupError` naming the failing step."""
    project = Path(project_dir)
    installer = installer or choose_installer()
    steps = plan(project, package, python, installer)
    seconds: dict[str, float] = {}
    output: tuple[str, ...] = ()
    for number, step in enumerate(steps, 1):
        took, output = _run(step, number, len(steps), project, show, live)
        seconds[step.title] = round(took, 1)
    activate = r".venv\Scripts\activate" if os.name == "nt" else ". .venv/bin/activate"
    return SetupResult(
        installer=installer,
        python=str(venv_python(project)),
        metrics=read_metrics(project),
        seconds=seconds,
        next_commands=(f"cd {_shown_path(project)}", activate, f"python -m {package} evaluate",
                       f"python -m {package} predict --data PATH --output predictions.csv", "python -m pytest",
                       f"python -m {package} check"),
        train_output=output,
    )


def run_with_progress(project_dir: str | Path, package: str, python: str, *, echo: Callable[[str], None],
                      err: bool = False) -> SetupResult:
    """:func:`setup_project` with a one-line live display at a terminal (the command's latest line under a
    spinner), plain step lines elsewhere; then the metrics and the next commands."""
    from rich.console import Console

    console = Console(stderr=err, highlight=False)
    status = None
    if console.is_terminal:
        status = console.status("")
        status.start()

    def live(line: str) -> None:
        if status is not None:
            status.update(line[: max(console.width - 4, 20)])

    try:
        result = setup_project(project_dir, package, python, show=echo, live=live)
    finally:
        if status is not None:
            status.stop()
    total = sum(result.seconds.values())
    parts = ", ".join(f"{title.split(' (')[0]}: {s:.1f} s" for title, s in result.seconds.items())
    echo(f"Set up in {total:.1f} s ({parts})")
    if result.metrics:
        echo("Metrics (artifacts/metrics.json):")
        for name, value in result.metrics.items():
            echo(f"  {name}: {value:.4g}" if isinstance(value, float) else f"  {name}: {value}")
    else:  # a starter whose train reports only on its output: show what it printed
        echo("Training reported (its run wrote no artifacts/metrics.json):")
        for line in result.train_output:
            echo(f"  {line}")
    echo("Next:")
    for command in result.next_commands:
        echo(f"  {command}")
    return result


__all__: Sequence[str] = ("SetupError", "SetupResult", "choose_installer", "plan", "read_metrics", "run_with_progress",
                          "setup_project")
