"""The environment check (``python -m {{ cookiecutter.package_name }} check``) reads this project's record and runs."""

import json
import subprocess
import sys
from pathlib import Path

from {{ cookiecutter.package_name }} import check

PROJECT = Path(__file__).resolve().parents[1]


def test_a_machine_exactly_like_the_target_has_no_problems():
    record = json.loads((PROJECT / ".scaffold.json").read_text(encoding="utf-8"))
    facts = record.get("facts") or {}
    driver_key = "min_driver_windows" if record["platform"].startswith("windows") else "min_driver_linux"
    ideal = check.Machine(
        platform=record["platform"],
        python=record["python"] + ".0",
        installed=record["pins"],
        nvidia_driver=str(facts.get(driver_key, "999")) if record["accelerator"] == "cuda" else None,
        nvidia_source="recorded",
        rocm=record["accelerator_version"] or None,
        java=(facts.get("java") or [None])[0],
        aws={"credentials": "env", "region": "eu-west-1"},
    )
    report = check.compare(record, ideal)
    assert not report.problems, report.problems


def test_check_runs_here_and_reports_every_check():
    # check=False: exit status 1 (problems found on this machine) is an answer here, not a failure.
    result = subprocess.run(
        [sys.executable, "-m", check.__name__, "--json"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    names = {c["name"] for c in json.loads(result.stdout)["checks"]}
    assert {"platform", "python"} <= names
