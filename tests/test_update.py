"""scaffold update: two real template versions, projects edited the way users edit them, exact outcomes per file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scaffold
from scaffold import _paths, updater
from scaffold.catalog import default_catalog
from scaffold.errors import UsageError

from .conftest import ROOT, snapshot
from .processes import wait_for_handlers

SLUG = "{{cookiecutter.project_slug}}"
PKG = "{{cookiecutter.package_name}}"
TEN = "".join(f"line {i}\n" for i in range(1, 11))


def _version(tmp: Path, name: str, change) -> Path:
    """A copy of the bundled templates and catalog, changed by ``change(starter_root, frameworks)``."""
    root = tmp / name
    shutil.copytree(ROOT / "templates", root / "templates", ignore=shutil.ignore_patterns("__pycache__", ".*cache"))
    shutil.copytree(ROOT / "frameworks", root / "frameworks")
    starter = root / "templates" / "sklearn-pipeline" / SLUG
    change(starter, root / "frameworks")
    return root


def _v1(starter: Path, frameworks: Path) -> None:
    (starter / PKG / "fixture.py").write_text(f'"""A module the template changes."""\n{TEN}')
    (starter / PKG / "both.py").write_text(f'"""A module the template and the user change alike."""\n{TEN}')
    (starter / "docs").mkdir()
    (starter / "docs" / "OLD.md").write_text("old doc\n")
    (starter / "docs" / "OLD_EDITED.md").write_text("old doc the user edits\n")
    (starter / "docs" / "GUIDE.md").write_text("guide v1\n")


def _v2(starter: Path, frameworks: Path) -> None:
    _v1(starter, frameworks)
    (starter / PKG / "fixture.py").write_text(f'"""A module the template changes."""\n{TEN.replace("line 2", "LINE TWO")}')
    (starter / PKG / "both.py").write_text(f'"""A module the template and the user change alike."""\n'
                                           f'{TEN.replace("line 5", "template line 5")}')
    (starter / "docs" / "OLD.md").unlink()
    (starter / "docs" / "OLD_EDITED.md").unlink()
    (starter / "docs" / "GUIDE.md").write_text("guide v2\n")
    (starter / "docs" / "ADDED.md").write_text("new in v2\n")
    tooling = frameworks / "_tooling.toml"
    text = tooling.read_text()
    bumped = re.sub(r'"pytest==(\d+)\.(\d+)\.(\d+)"', lambda m: f'"pytest=={m[1]}.{m[2]}.{int(m[3]) + 1}"', text)
    assert bumped != text
    tooling.write_text(bumped)


@pytest.fixture
def versions(tmp_path, monkeypatch):
    roots = {"v1": _version(tmp_path, "v1", _v1), "v2": _version(tmp_path, "v2", _v2), "bundled": _paths.data_root()}

    def use(name: str) -> None:
        monkeypatch.setattr(_paths, "data_root", lambda: roots[name])
        default_catalog.cache_clear()

    yield use
    default_catalog.cache_clear()


def _generate(tmp_path: Path) -> Path:
    project = scaffold.generate("Upd Demo", framework="sklearn", target="cpu", platform="linux-x86_64",
                                python="3.12", output_dir=tmp_path / "out")
    return Path(project.path)


def _edit_like_a_user(project: Path) -> None:
    pkg = project / "upd_demo"
    (pkg / "fixture.py").write_text((pkg / "fixture.py").read_text().replace("line 9", "my line 9"))
    (pkg / "both.py").write_text((pkg / "both.py").read_text().replace("line 5", "my line 5"))
    (project / "docs" / "OLD_EDITED.md").write_text("old doc the user edits\nwith my notes\n")
    (project / "docs" / "GUIDE.md").unlink()
    (project / "requirements.txt").unlink()  # needed by the project: comes back
    (project / "NOTES.md").write_text("my own file\n")
    with (project / "pyproject.toml").open("a") as f:
        f.write("\n[tool.mytool]\nsetting = 1\n")


@pytest.mark.parametrize("merger", ["git", "merge3"])
def test_update_to_a_new_template_version_keeps_every_edit(tmp_path, versions, monkeypatch, merger):
    if merger == "merge3":  # a machine without git: the merge3 package does the merge
        real = shutil.which
        monkeypatch.setattr(updater.shutil, "which", lambda name: None if name == "git" else real(name))
    versions("v1")
    project = _generate(tmp_path)
    _edit_like_a_user(project)
    versions("v2")
    report = scaffold.update(project)
    actions = {c.path: c.action for c in report.changes if c.action != "unchanged"}
    assert actions == {
        "upd_demo/fixture.py": "merged",      # template line 2, user line 9
        "upd_demo/both.py": "conflict",       # both changed line 5
        "docs/OLD.md": "removed",             # gone from the template, untouched
        "docs/OLD_EDITED.md": "kept",         # gone from the template, but the user's now
        "docs/GUIDE.md": "deleted",           # the user deleted it: stays deleted
        "docs/ADDED.md": "added",
        "requirements.txt": "restored",       # deleted, but the project needs it
        "pyproject.toml": "merged",           # the pin bump and the user's table
    }
    assert report.conflicts == ("upd_demo/both.py",)
    pkg = project / "upd_demo"
    assert "LINE TWO" in (pkg / "fixture.py").read_text() and "my line 9" in (pkg / "fixture.py").read_text()
    both = (pkg / "both.py").read_text()
    assert "<<<<<<< yours" in both and "my line 5" in both and "template line 5" in both and ">>>>>>> new template" in both
    assert not (project / "docs" / "OLD.md").exists()
    assert "with my notes" in (project / "docs" / "OLD_EDITED.md").read_text()
    assert not (project / "docs" / "GUIDE.md").exists()
    assert (project / "docs" / "ADDED.md").read_text() == "new in v2\n"
    assert (project / "NOTES.md").read_text() == "my own file\n"
    pyproject = (project / "pyproject.toml").read_text()
    bumped = re.search(r'"pytest==([\d.]+)"', (ROOT / "frameworks" / "_tooling.toml").read_text())[1].split(".")
    new_pin = f"pytest=={bumped[0]}.{bumped[1]}.{int(bumped[2]) + 1}"
    assert "[tool.mytool]" in pyproject and new_pin in pyproject
    assert new_pin in (project / "requirements.txt").read_text()
    record = json.loads((project / ".scaffold.json").read_text())
    assert record["pins"]["pytest"] == new_pin.split("==")[1]
    assert not (project / updater.WORK).exists()
    # The next update starts from v2: the merged files are the user's now, OLD_EDITED.md a file of their own.
    again = scaffold.update(project, dry_run=True)
    assert {c.path: c.action for c in again.changes if c.action not in ("unchanged", "deleted")} == {
        "pyproject.toml": "kept", "upd_demo/fixture.py": "kept", "upd_demo/both.py": "kept"}


def test_dry_run_and_check_write_nothing_and_say_what_is_behind(tmp_path, versions):
    versions("v1")
    project = _generate(tmp_path)
    _edit_like_a_user(project)
    before = snapshot(project)
    versions("v2")
    plan = scaffold.update(project, dry_run=True)
    assert not plan.applied and snapshot(project) == before
    merged = next(c for c in plan.changes if c.path == "upd_demo/fixture.py")
    assert "-line 2" in merged.diff and "+LINE TWO" in merged.diff
    check = scaffold.update(project, check=True)
    assert snapshot(project) == before
    assert any(b.startswith("pins:") for b in check.behind) and any(b.startswith("template:") for b in check.behind)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    versions("bundled")  # the templates the subprocess's scaffold-ml has
    fresh = _generate(tmp_path / "fresh")
    code = "import sys; from scaffold.cli import main; sys.argv = ['scaffold', 'update', '--check', '--project', sys.argv[1]]; main()"
    assert subprocess.run([sys.executable, "-c", code, str(fresh)], env=env, capture_output=True,
                          timeout=120).returncode == 0  # generated by this scaffold-ml: up to date


def test_retarget_cpu_to_cuda_and_back_keeps_the_users_model(tmp_path):
    project = Path(scaffold.generate("Retarget", framework="pytorch", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path).path)
    model = project / "retarget" / "model.py"
    model.write_text(model.read_text() + "\n# my change to the model\n")
    report = scaffold.update(project, target="cuda-13.0", platform="linux-x86_64")
    assert report.applied and not report.conflicts
    record = json.loads((project / ".scaffold.json").read_text())
    assert (record["target"], record["accelerator"]) == ("cuda-13.0", "cuda")
    assert record["facts"]["min_driver_linux"] == "580"
    assert "cu130" in (project / "requirements.txt").read_text() + (project / "pyproject.toml").read_text()
    assert "# my change to the model" in model.read_text()
    back = scaffold.update(project, target="cpu")
    assert back.applied and json.loads((project / ".scaffold.json").read_text())["target"] == "cpu"
    assert "# my change to the model" in model.read_text()
    assert "+cpu" in (project / "requirements.txt").read_text()


def _stop_at_write(monkeypatch, n: int | str, stop: BaseException | type[BaseException]):
    """Make the update's ``n``-th write of a project file (or, for ``"journal"``, its journal's) raise ``stop``;
    return the real writer."""
    real = updater._write_atomic
    calls = {"n": 0}

    def stopping(tree, rel, data, mode=None):
        if n == "journal" and rel.endswith(updater.JOURNAL):
            raise stop
        if not rel.startswith(updater.WORK + "/"):
            calls["n"] += 1
            if calls["n"] == n:
                raise stop
        real(tree, rel, data, mode)

    monkeypatch.setattr(updater, "_write_atomic", stopping)
    return real


def _killed(monkeypatch, project: Path, n: int, **kw) -> None:
    """What SIGKILL at the update's ``n``-th file write leaves behind: the journal, the backups, the files written
    so far (no rollback runs: it never gets the chance)."""
    with monkeypatch.context() as m:
        _stop_at_write(m, n, SystemExit(137))
        m.setattr(updater, "_restore", lambda *a: None)
        m.setattr(updater._Tree, "remove_work", lambda self: None)
        with pytest.raises(SystemExit):
            scaffold.update(project, **kw)
    assert (project / updater.WORK / updater.JOURNAL).is_file()


@pytest.mark.parametrize("write", ["journal", 3], ids=["at-the-journal", "mid-apply"])
def test_an_error_while_applying_leaves_the_project_exactly_as_it_was(tmp_path, versions, monkeypatch, write):
    versions("v1")
    project = _generate(tmp_path)
    _edit_like_a_user(project)
    before = snapshot(project)
    versions("v2")
    real = _stop_at_write(monkeypatch, write, KeyboardInterrupt)  # Ctrl-C at that moment of applying
    with pytest.raises(KeyboardInterrupt):
        scaffold.update(project)
    monkeypatch.setattr(updater, "_write_atomic", real)
    assert snapshot(project) == before and not (project / updater.WORK).exists()


def test_an_update_killed_outright_is_rolled_back_by_the_next_one(tmp_path, versions, monkeypatch):
    versions("v1")
    project = _generate(tmp_path)
    before = snapshot(project)
    versions("v2")
    _killed(monkeypatch, project, 4)
    assert snapshot(project) != before
    versions("v1")
    assert updater.rollback(project)
    assert snapshot(project) == before


def test_a_project_without_a_base_is_never_overwritten_silently(tmp_path, versions):
    versions("v1")
    project = _generate(tmp_path)
    (project / ".scaffold" / "base.json.gz").unlink()  # as generated by an earlier scaffold-ml
    pkg = project / "upd_demo"
    (pkg / "fixture.py").write_text((pkg / "fixture.py").read_text().replace("line 9", "my line 9"))
    versions("v2")
    report = scaffold.update(project)
    assert any("no record of what was generated" in n for n in report.notes)
    text = (pkg / "fixture.py").read_text()
    assert "my line 9" in text and "LINE TWO" in text  # both kept; a conflict says where to choose
    assert report.conflicts


def test_a_dirty_git_work_tree_is_refused_unless_allowed(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = Path(scaffold.generate("Git Demo", framework="sklearn", target="cpu", output_dir=tmp_path).path)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "generated"], check=True)
    (project / "NOTES.md").write_text("uncommitted\n")
    with pytest.raises(UsageError, match="uncommitted changes"):
        scaffold.update(project, target="cpu")
    assert scaffold.update(project, target="cpu", allow_dirty=True).applied


@pytest.mark.parametrize("record", ["", "[]", '{"framework": 1}', "{" * 10])
def test_a_bad_record_is_one_usage_error(tmp_path, record):
    (tmp_path / ".scaffold.json").write_text(record)
    with pytest.raises(UsageError):
        scaffold.update(tmp_path)


def test_the_base_record_costs_little(tmp_path):
    sizes = {}
    for fid in ("sklearn", "pytorch", "keras", "tensorflow", "spark", "sagemaker"):
        path = Path(scaffold.generate("Size", framework=fid, target="cpu", platform="linux-x86_64", python="3.12",
                                      output_dir=tmp_path / fid).path)
        sizes[fid] = (path / ".scaffold" / "base.json.gz").stat().st_size
    print(f"\nbase record bytes per starter: {sizes}")
    assert all(size < 100_000 for size in sizes.values()), sizes


def test_signals_during_update_leave_the_project_before_or_after(tmp_path):
    """SIGINT, SIGTERM and SIGHUP at random moments of a real `scaffold update` process."""
    import random
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seed = Path(scaffold.generate("Sig Demo", framework="sklearn", target="cpu", platform="linux-x86_64",
                                  python="3.12", output_dir=tmp_path / "seed").path)
    (seed / "sig_demo" / "__init__.py").write_text('"""Mine."""\n')
    before = snapshot(seed)
    done = tmp_path / "done"
    shutil.copytree(seed, done)
    scaffold.update(done, python="3.11")
    after = snapshot(done)
    assert after != before
    rng = random.Random(7)
    outcomes = {"before": 0, "after": 0}
    for trial in range(10):
        project = tmp_path / f"t{trial}"
        shutil.copytree(seed, project)
        proc = subprocess.Popen([sys.executable, "-m", "scaffold", "update", "--project", str(project), "--python",
                                 "3.11"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
        if sig == signal.SIGINT:
            wait_for_handlers(proc)  # before them, a SIGINT is Python's own start-up trace, not scaffold's
        time.sleep(rng.uniform(0.05, 2.5))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        # -sig: the signal came before Python had set up any handler (start-up), so it ended the process as the
        # operating system does; the project was not touched yet then.
        assert proc.returncode in (0, 128 + sig, -sig), (proc.returncode, err)
        assert not (project / updater.WORK).exists()
        state = snapshot(project)
        assert state in (before, after), f"trial {trial}: half-updated"
        outcomes["before" if state == before else "after"] += 1
    print(f"\nsignal trials: {outcomes}")
