"""Shared fixtures: the project's config writing into a temporary folder, and a way to run the commands."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.config import (
    Config,
    load_config,
)

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The project's own config.toml, with output redirected to tmp_path and fewer folds for speed."""
    return replace(load_config(PROJECT / "config.toml"), output_dir=tmp_path / "artifacts", cv_folds=3)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the config (3 folds, for speed) and the data, so the commands write only into tmp_path."""
    text = (PROJECT / "config.toml").read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(text.replace("cv_folds = 5", "cv_folds = 3"), encoding="utf-8")
    shutil.copytree(PROJECT / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def cli_run(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run a command in this process, as ``python -m`` does, with the workdir's config; (status, stderr)."""

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        handlers, level = logging.root.handlers[:], logging.root.level
        try:
            status = cli.main([args[0], "--config", str(workdir / "config.toml"), *args[1:]])
        finally:
            # main() sets up logging for a process; give pytest's own capture its handlers back.
            logging.root.handlers[:], logging.root.level = handlers, level
            logging.captureWarnings(False)
        return status, capsys.readouterr().err

    return run


@pytest.fixture
def fails(cli_run: Callable[..., tuple[int, str]]) -> Callable[..., str]:
    """Run a command that must fail on bad input: exit status 2 and one ``error:`` line; returns that line."""

    def run(*args: str) -> str:
        status, err = cli_run(*args)
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert status == 2, err
        assert len(errors) == 1, err
        assert "Traceback" not in err, err
        return errors[0]

    return run


@pytest.fixture(autouse=True, scope="session")
def _one_openmp_thread():
    """The test tables are tiny: one thread is faster and keeps a busy CI machine responsive."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
