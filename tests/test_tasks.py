"""The task as a dimension of the project: asked on the command line, kept by update, listed for automation."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import scaffold
from scaffold.catalog import default_catalog
from scaffold.cli import app

runner = CliRunner()


def test_new_with_a_task_generates_it_and_refuses_one_the_starter_does_not_serve(tmp_path):
    made = runner.invoke(app, ["new", "Price Model", "-f", "sklearn", "-t", "cpu", "--task", "tabular-regression",
                               "--no-input", "-o", str(tmp_path), "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["task"] == "tabular-regression"
    refused = runner.invoke(app, ["new", "Text Model", "-f", "sklearn", "-t", "cpu", "--task", "images", "--no-input",
                                  "-o", str(tmp_path / "no")])
    assert refused.exit_code == 2 and not (tmp_path / "no").exists()
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "sklearn starter does not serve the task 'images'" in lines[0]
    assert "frameworks whose starter does: tensorflow" in lines[0]


def test_frameworks_json_lists_each_frameworks_tasks_default_first():
    listed = runner.invoke(app, ["frameworks", "--json"])
    assert listed.exit_code == 0
    tasks = {f["id"]: f["tasks"] for f in json.loads(listed.stdout)["frameworks"]}
    assert tasks == {fid: list(fw.tasks) for fid, fw in default_catalog().frameworks.items()}
    assert tasks["tensorflow"][0] == "images" and tasks["sklearn"][0] == "tabular-classification"


def test_update_keeps_the_projects_task(tmp_path):
    project = Path(scaffold.generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path,
                                     task="tabular-regression").path)
    report = scaffold.update(project, python="3.12", allow_dirty=True)
    assert report.applied
    record = json.loads((project / ".scaffold.json").read_text())
    assert (record["task"], record["python"]) == ("tabular-regression", "3.12")


def test_a_record_from_before_tasks_updates_as_its_frameworks_first_task(tmp_path):
    project = Path(scaffold.generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path).path)
    path = project / ".scaffold.json"
    record = json.loads(path.read_text())
    del record["task"], record["answers"]["task"]
    path.write_text(json.dumps(record))
    scaffold.update(project, allow_dirty=True)
    assert json.loads(path.read_text())["task"] == "tabular-classification"


def tasks_table() -> str:
    """README's frameworks x tasks table, as the catalog has it (default: the framework's first task)."""
    from scaffold.models import SITUATION

    frameworks = default_catalog().frameworks
    rows = ["| task | " + " | ".join(f"`{fid}`" for fid in frameworks) + " |", "| --- |" + " --- |" * len(frameworks)]
    for task in SITUATION["task"]:
        cells = ["default" if fw.tasks[0] == task else "yes" if task in fw.tasks else "-" for fw in frameworks.values()]
        rows.append(f"| `{task}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def test_readmes_table_of_tasks_is_the_catalogs():
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- tasks-table:", 1)[1].split("-->", 1)[1].split("<!-- /tasks-table -->", 1)[0].strip()
    assert shown == tasks_table(), f"README.md's tasks table should read:\n{tasks_table()}"
