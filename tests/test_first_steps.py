"""The person's first steps: the printed next steps work from where `new` ran, `--version`, JSON failures."""

from __future__ import annotations

import json


def test_version_and_json_errors():
    import subprocess
    import sys

    from scaffold import __version__

    shown = subprocess.run([sys.executable, "-m", "scaffold", "--version"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and shown.stdout == f"scaffold-ml {__version__}\n"
    for argv in (["recommend", "--task", "nope", "--json"], ["new", "Bad!!", "-f", "sklearn", "--json", "--no-input"],
                 ["frameworks", "--json", "--nope"]):
        failed = subprocess.run([sys.executable, "-m", "scaffold", *argv], capture_output=True, text=True, timeout=60)
        error = json.loads(failed.stderr)
        assert failed.returncode == error["exit_code"] == 2 and error["error"] and failed.stdout == "", argv


def test_the_printed_cd_works_from_where_new_ran(tmp_path):
    """README's first command writes into --output-dir: the next steps it prints must work from the same folder."""
    import subprocess
    import sys
    from pathlib import Path

    here = tmp_path / "here"
    here.mkdir()
    for out in ("sub/dir", str(tmp_path / "abs dir"), "."):
        made = subprocess.run([sys.executable, "-m", "scaffold", "new", "Churn Model", "-f", "sklearn", "-t", "cpu",
                               "-o", out, "--no-input", "--json"], cwd=here, capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        cd = json.loads(made.stdout)["next_steps"][0]
        assert cd.startswith("cd ")
        shown = subprocess.run(f"{cd} && pwd", shell=True, cwd=here, capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0 and Path(shown.stdout.strip()) == Path(json.loads(made.stdout)["path"]), cd
        readme = (Path(json.loads(made.stdout)["path"]) / "README.md").read_text()
        assert "\ncd churn-model\n" in readme  # the README's quick start starts beside the project, wherever new ran
