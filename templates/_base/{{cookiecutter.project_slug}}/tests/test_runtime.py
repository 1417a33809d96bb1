"""The conventions every command shares (``runtime.py``)."""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package_name }} import runtime


def test_data_error_is_one_line_and_exit_2(capsys):
    def bad() -> None:
        raise runtime.DataError("data.csv: column 'label' not found")

    assert runtime.run(bad) == 2
    err = capsys.readouterr().err
    assert err == "error: data.csv: column 'label' not found\n"


def test_environment_problem_and_os_error_exit_1(capsys, tmp_path):
    def env() -> None:
        raise runtime.EnvironmentProblem("no GPU")

    def disk() -> None:
        (tmp_path / "missing" / "x").read_text()

    assert runtime.run(env) == 1
    assert runtime.run(disk) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("error:") for line in lines)


def test_metrics_are_flat_finite_numbers(tmp_path):
    path = runtime.write_metrics(tmp_path / "artifacts" / "metrics.json", {"accuracy": 0.9, "rows": 10})
    assert json.loads(path.read_text()) == {"accuracy": 0.9, "rows": 10.0}
    with pytest.raises(runtime.DataError, match="nan"):
        runtime.write_metrics(path, {"accuracy": float("nan")})


def test_never_overwrites_its_input(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    with pytest.raises(runtime.DataError, match="refusing to overwrite"):
        runtime.refuse_overwrite(tmp_path / "." / "data.csv", data)
    assert runtime.refuse_overwrite(tmp_path / "out.csv", data).name == "out.csv"


def test_bad_settings_are_data_errors(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("seed = = 1\n")
    with pytest.raises(runtime.DataError, match="not valid TOML"):
        runtime.read_toml(bad)
    with pytest.raises(runtime.DataError, match="not found"):
        runtime.read_toml(tmp_path / "missing.toml")
