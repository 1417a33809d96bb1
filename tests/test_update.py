"""scaffold update: two real template versions, projects edited the way users edit them, exact outcomes per file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import scaffold
from scaffold import _paths, base_record, updater
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


# ---- issue 23: update never acts outside the project or on stale state ----

def _listing(path: Path) -> dict[str, tuple]:
    """Every entry under ``path`` (folders and links included) with its kind, mode, size and mtime: proof that
    nothing under it was created, changed or touched."""
    out = {}
    for p in sorted([path, *path.rglob("*")]):
        st = p.lstat()
        out[p.relative_to(path).as_posix()] = (st.st_mode, st.st_size, st.st_mtime_ns,
                                               os.readlink(p) if p.is_symlink() else None)
    return out


def _journal(project: Path, entries: list[dict], root: int | None = None) -> None:
    work = project / updater.WORK
    (work / "backup").mkdir(parents=True, exist_ok=True)
    doc = {"version": 2, "root": project.stat().st_ino if root is None else root, "entries": entries}
    (work / updater.JOURNAL).write_text(json.dumps(doc))


@pytest.mark.parametrize("case", ["dotdot", "absolute", "backup-name", "git-hook", "another-folder", "old-format"])
def test_a_journal_that_names_paths_outside_the_project_is_refused(tmp_path, case):
    project = Path(scaffold.generate("Jrnl", framework="sklearn", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path / "p").path)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("not the project's\n")
    (project / updater.WORK / "backup").mkdir(parents=True)
    (project / updater.WORK / "backup" / "0").write_text("planted\n")
    digest = base_record.digest(victim.read_bytes())
    entry = {"path": "../outside/victim.txt", "backup": None, "mode": None, "wrote": digest}
    if case == "absolute":
        entry["path"] = str(victim)
    elif case == "backup-name":
        entry = {"path": "README.md", "backup": "../../../outside/victim.txt", "mode": None, "wrote": None}
    elif case == "git-hook":
        entry = {"path": ".git/hooks/post-checkout", "backup": "0", "mode": 0o755, "wrote": None}
    if case == "old-format":  # what an earlier scaffold-ml wrote: a list of {path, backup}
        (project / updater.WORK / updater.JOURNAL).write_text(json.dumps([{"path": "../outside/victim.txt",
                                                                            "backup": None}]))
    else:
        _journal(project, [entry], root=1 if case == "another-folder" else None)
        if case == "another-folder":  # a journal that came with a clone names the folder it was written in
            (project / updater.WORK / updater.JOURNAL).write_text(json.dumps(
                {"version": 2, "root": 1, "entries": [{"path": "README.md", "backup": "0", "mode": None,
                                                       "wrote": base_record.digest((project / "README.md")
                                                                                   .read_bytes())}]}))
    before, outside_before = _listing(project), _listing(outside)
    for call in (lambda: scaffold.update(project), lambda: scaffold.update(project, dry_run=True),
                 lambda: updater.rollback(project)):
        with pytest.raises(UsageError, match="not a journal this scaffold-ml wrote"):
            call()
    assert victim.read_text() == "not the project's\n"
    assert _listing(outside) == outside_before and _listing(project) == before


def test_dry_run_and_check_never_touch_a_killed_updates_journal(tmp_path, versions, monkeypatch):
    versions("v1")
    project = _generate(tmp_path)
    clean = tmp_path / "clean"
    shutil.copytree(project, clean, symlinks=True)
    versions("v2")
    _killed(monkeypatch, project, 3)
    half = _listing(project)
    plan = scaffold.update(project, dry_run=True)
    check = scaffold.update(project, check=True)
    assert _listing(project) == half  # the journal, the backups and the half-applied files: all as they were
    assert any("interrupted update" in n for n in plan.notes)
    # The plan is made as if rolled back: the half-applied files are the template's to replace, not "yours".
    expected = {c.path: c.action for c in scaffold.update(clean, dry_run=True).changes}
    assert {c.path: c.action for c in plan.changes} == expected
    assert check.behind
    done = scaffold.update(project)
    assert done.applied and not (project / updater.WORK).exists()
    scaffold.update(clean)
    assert snapshot(project) == snapshot(clean)


def test_a_stale_rollback_never_overwrites_work_done_after_the_kill(tmp_path, versions, monkeypatch):
    versions("v1")
    project = _generate(tmp_path)
    versions("v2")
    _killed(monkeypatch, project, 3)
    journal = json.loads((project / updater.WORK / updater.JOURNAL).read_text())
    written = [e["path"] for e in journal["entries"]
               if e["wrote"] and e["backup"] and (project / e["path"]).is_file()
               and base_record.digest((project / e["path"]).read_bytes()) == e["wrote"]]
    not_reached = [e["path"] for e in journal["entries"] if e["path"] not in written and e["backup"]
                   and e["path"].endswith(".py")]
    assert written and not_reached
    edited = {written[0]: "the user's work after the kill, on a file the update wrote\n",
              not_reached[0]: "the user's work after the kill, on a file the update never reached\n"}
    for rel, text in edited.items():
        (project / rel).write_text(text)
    report = scaffold.update(project)
    assert report.applied
    for rel, text in edited.items():  # kept, or merged with the template (a conflict shows both): never replaced
        assert text in (project / rel).read_text(), rel
    assert any("changed since" in n and written[0] in n for n in report.notes)


def test_a_rollback_runs_after_the_uncommitted_changes_guard(tmp_path, versions, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    versions("v1")
    project = _generate(tmp_path)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "generated"], check=True)
    versions("v2")
    _killed(monkeypatch, project, 3)
    journal = json.loads((project / updater.WORK / updater.JOURNAL).read_text())
    untouched = next(e["path"] for e in journal["entries"] if e["backup"] and e["path"].endswith(".py")
                     and base_record.digest((project / e["path"]).read_bytes()) != e["wrote"])
    (project / untouched).write_text("uncommitted work\n")  # a file the killed run never wrote

    def listing() -> dict:  # git status refreshes its own index: .git is git's, not the update's
        return {k: v for k, v in _listing(project).items() if not (k + "/").startswith(".git/")}

    before = listing()
    with pytest.raises(UsageError, match="uncommitted changes"):
        scaffold.update(project)
    assert listing() == before
    # Without the user's edit the killed run's own writes are not "uncommitted changes": rolled back, updated.
    subprocess.run([*git, "checkout", "-q", "--", untouched], check=True)
    assert scaffold.update(project).applied
    assert subprocess.run([*git, "status", "--porcelain", "--", updater.WORK], capture_output=True,
                          text=True).stdout == ""


@pytest.mark.parametrize("where", ["package-folder", "requirements", "dot-scaffold", "work-folder", "record", "store",
                                   "docs-folder", "inside-link"])
def test_symlinks_are_never_written_through(tmp_path, versions, where):
    versions("v1")
    project = _generate(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    pkg = project / "upd_demo"
    if where == "package-folder":  # the user keeps the package elsewhere and links it in
        shutil.move(pkg, outside / "upd_demo")
        pkg.symlink_to(outside / "upd_demo")
    elif where == "requirements":
        (outside / "requirements.txt").write_text("my shared requirements\n")
        (project / "requirements.txt").unlink()
        (project / "requirements.txt").symlink_to(outside / "requirements.txt")
    elif where == "dot-scaffold":
        shutil.move(project / ".scaffold", outside / "store")
        (project / ".scaffold").symlink_to(outside / "store")
    elif where == "work-folder":
        (project / updater.WORK).symlink_to(outside)
    elif where == "record":
        shutil.move(project / ".scaffold.json", outside / "record.json")
        (project / ".scaffold.json").symlink_to(outside / "record.json")
    elif where == "store":
        shutil.move(project / base_record.STORE, outside / "base.json.gz")
        (project / base_record.STORE).symlink_to(outside / "base.json.gz")
    elif where == "docs-folder":
        shutil.move(project / "docs", outside / "docs")
        (project / "docs").symlink_to(outside / "docs")
    else:  # a generated file linked to another file of the project
        (pkg / "fixture.py").unlink()
        (pkg / "fixture.py").symlink_to("both.py")
    outside_before = _listing(outside)
    versions("v2")
    if where in ("dot-scaffold", "work-folder", "record", "store"):
        before = _listing(project)
        with pytest.raises(UsageError, match="symbolic link"):
            scaffold.update(project)
        assert _listing(project) == before
    else:
        report = scaffold.update(project)
        kept = {c.path: c.why for c in report.changes if "symbolic link" in c.why}
        assert kept and all(c.action == "kept" for c in report.changes if c.path in kept)
        assert any("left alone" in n for n in report.notes)
    assert _listing(outside) == outside_before
    assert not (project / updater.WORK).exists() or where == "work-folder"


def test_two_updates_at_once_leave_one_complete_update(tmp_path, versions):
    """Real processes, started together, twice over: each run ends 0 and the project is the one a single
    update makes (the second run waits for the first, then finds it done)."""
    versions("v1")
    seed = _generate(tmp_path)
    _edit_like_a_user(seed)
    alone = tmp_path / "alone"
    shutil.copytree(seed, alone)
    versions("v2")
    scaffold.update(alone)
    expected = snapshot(alone)
    root = tmp_path / "v2"
    code = ("import sys; from pathlib import Path; from scaffold import _paths; "
            "_paths.data_root = lambda: Path(sys.argv[2]); import scaffold; scaffold.update(sys.argv[1])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for trial in range(2):
        project = tmp_path / f"t{trial}"
        shutil.copytree(seed, project)
        procs = [subprocess.Popen([sys.executable, "-c", code, str(project), str(root)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        assert all(code == 0 for code, _ in results), results
        assert snapshot(project) == expected, f"trial {trial}: mixed"
        assert not (project / updater.WORK).exists()


def test_two_threads_updating_one_project_take_turns(tmp_path, versions):
    import threading

    versions("v1")
    project = _generate(tmp_path)
    _edit_like_a_user(project)
    alone = tmp_path / "alone"
    shutil.copytree(project, alone)
    versions("v2")
    scaffold.update(alone)
    seed = tmp_path / "seed"
    shutil.copytree(project, seed)
    for trial in range(3):
        here = tmp_path / f"t{trial}"
        shutil.copytree(seed, here)
        start = threading.Barrier(3)
        errors: list[BaseException] = []

        def run(where: Path = here, start: threading.Barrier = start, errors: list = errors) -> None:
            start.wait()
            try:
                scaffold.update(where)
            except BaseException as e:  # noqa: BLE001 - asserted below
                errors.append(e)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == [] and snapshot(here) == snapshot(alone), f"trial {trial}"


_NOTE = "MY NOTE \u00e9 \u2014 caf\u00e9\n"


def _merge_with_a_note(project: Path) -> Path:
    fixture = project / "upd_demo" / "fixture.py"
    fixture.write_bytes(fixture.read_bytes().replace(b"line 9\n", ("line 9\n" + _NOTE).encode()))
    return fixture


@pytest.mark.parametrize("lang", ["C", "latin-1"])
def test_a_merge_keeps_utf8_under_any_locale(tmp_path, versions, lang):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUTF8": "0", "LC_ALL": "C", "LANG": "C"}
    if lang == "latin-1":
        found = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
        latin = [n for n in found if n.lower().endswith(("iso88591", "iso-8859-1"))]
        if not latin:
            pytest.skip("no ISO-8859-1 locale installed")
        env.update(LC_ALL=latin[0], LANG=latin[0])
    versions("v1")
    project = _generate(tmp_path)
    fixture = _merge_with_a_note(project)
    code = ("import sys; from pathlib import Path; from scaffold import _paths; "
            "root = Path(sys.argv[2]); _paths.data_root = lambda: root; from scaffold.cli import main; "
            "sys.argv = ['scaffold', 'update', '--project', sys.argv[1]]; main()")
    done = subprocess.run([sys.executable, "-c", code, str(project), str(tmp_path / "v2")], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    text = fixture.read_bytes().decode("utf-8")
    assert _NOTE in text and "LINE TWO" in text


def test_a_crlf_file_merges_line_by_line_and_keeps_its_line_endings(tmp_path, versions):
    versions("v1")
    project = _generate(tmp_path)
    fixture = _merge_with_a_note(project)
    fixture.write_bytes(fixture.read_bytes().replace(b"\n", b"\r\n"))  # saved by a Windows editor
    versions("v2")
    report = scaffold.update(project)
    assert {c.path: c.action for c in report.changes}["upd_demo/fixture.py"] == "merged"
    data = fixture.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") and b"LINE TWO\r\n" in data and _NOTE.encode()[:-1] + b"\r\n" in data


def test_a_nul_byte_makes_one_file_binary_not_the_update_fail(tmp_path, versions):
    versions("v1")
    project = _generate(tmp_path)
    fixture = project / "upd_demo" / "fixture.py"
    fixture.write_bytes(fixture.read_bytes() + b"\0")
    versions("v2")
    report = scaffold.update(project)
    assert report.applied
    change = next(c for c in report.changes if c.path == "upd_demo/fixture.py")
    assert change.action == "kept" and "not a text file" in change.why
    assert fixture.read_bytes().endswith(b"\0")
    assert (project / "docs" / "ADDED.md").is_file()  # the rest of the update happened


def test_update_reads_only_the_files_it_generated(tmp_path, versions, monkeypatch):
    versions("v1")
    project = _generate(tmp_path)
    venv = project / ".venv" / "lib"
    venv.mkdir(parents=True)
    (venv / "site.py").write_text("# a virtual environment's file\n")
    os.mkfifo(project / "data" / "stream")  # the user's FIFO: reading it would hang
    big = project / "README.md"
    big.write_bytes(b"x" * 5000)  # a generated file grown past the bound
    monkeypatch.setattr(updater, "MAX_FILE_BYTES", 4096, raising=False)
    import io

    opened: list[str] = []

    def spying(real):
        def spy(path, *args, **kw):
            if isinstance(path, str | os.PathLike):
                opened.append(os.fspath(path))
            return real(path, *args, **kw)
        return spy

    versions("v2")
    monkeypatch.setattr(os, "open", spying(os.open))
    monkeypatch.setattr(io, "open", spying(io.open))
    report = scaffold.update(project)
    assert report.applied
    assert not [p for p in opened if ".venv" in p or p.endswith("stream")], opened
    readme = next(c for c in report.changes if c.path == "README.md")
    assert readme.action == "kept" and "larger than 4096 bytes" in readme.why
    assert big.read_bytes() == b"x" * 5000


def _bomb(size: int) -> bytes:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    chunk = b"\0" * (1 << 20)
    return b"".join(c.compress(chunk) for _ in range(size >> 20)) + c.flush()


@pytest.mark.parametrize("damage", ["bomb", "corrupt-deflate", "truncated", "deep-json", "not-json", "wrong-shape",
                                    "outside-path"])
def test_a_damaged_base_store_is_one_usage_error(tmp_path, damage, monkeypatch):
    import gzip

    monkeypatch.setattr(base_record, "STORE_TEXT_BYTES", 4 << 20)  # the bound, smaller: the bomb is built faster

    project = Path(scaffold.generate("Store", framework="sklearn", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path).path)
    store = project / base_record.STORE
    good = store.read_bytes()
    data = {"bomb": lambda: _bomb(base_record.STORE_TEXT_BYTES + (2 << 20)),
            "corrupt-deflate": lambda: good[:20] + bytes(b ^ 0x5A for b in good[20:60]) + good[60:],
            "truncated": lambda: good[: len(good) // 2],
            "deep-json": lambda: gzip.compress(b"[" * 100_000 + b"]" * 100_000),
            "not-json": lambda: gzip.compress(b"\xff\xfe not json"),
            "wrong-shape": lambda: gzip.compress(json.dumps({"version": 1, "files": {"a": 1}}).encode()),
            "outside-path": lambda: gzip.compress(json.dumps({"version": 1, "files": {
                "../outside.txt": {"sha256": "0" * 64, "text": None}}}).encode()),
            }[damage]()
    store.write_bytes(data)
    before = _listing(project)
    for kw in ({}, {"check": True}):
        with pytest.raises(UsageError) as e:
            scaffold.update(project, **kw)
        assert "\n" not in str(e.value)
    assert _listing(project) == before


@pytest.mark.parametrize("record", ['{"framework": "sklearn", "answers": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                    "[" * 100_000 + "]" * 100_000], ids=["deep-answers", "deep-list"])
def test_a_deeply_nested_record_is_one_usage_error(tmp_path, record):
    (tmp_path / ".scaffold.json").write_text(record)
    with pytest.raises(UsageError):
        scaffold.update(tmp_path)


@pytest.mark.parametrize("answers", [
    {"situation": {"task": "../../etc"}},
    {"situation": {"experience": 5}},
    {"situation": {"need": 5}},
    {"situation": {"shoe_size": "44"}},
    {"situation": "beginner"},
    {"framework_version": 2.13},
])
def test_a_wrongly_typed_or_unknown_answer_is_one_usage_error(tmp_path, answers):
    project = Path(scaffold.generate("Ans", framework="sklearn", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path).path)
    path = project / ".scaffold.json"
    record = json.loads(path.read_text())
    record["answers"].update(answers)
    path.write_text(json.dumps(record))
    before = _listing(project)
    with pytest.raises(UsageError):
        scaffold.update(project)
    assert _listing(project) == before


def test_a_bad_store_is_exit_2_and_one_line_from_the_command(tmp_path):
    project = Path(scaffold.generate("Cli", framework="sklearn", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path).path)
    (project / base_record.STORE).write_bytes(b"\x1f\x8b\x08\x00garbage")
    done = subprocess.run([sys.executable, "-m", "scaffold", "update", "--project", str(project)],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr


def test_check_on_a_read_only_checkout_writes_nothing_anywhere(tmp_path, versions, monkeypatch):
    versions("v1")
    project = _generate(tmp_path)
    versions("v2")
    temp = tmp_path / "system-tmp"  # this test's own: other runs use the real one at the same time
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    leftovers: set[str] = set()
    subprocess.run(["chmod", "-R", "a-w", str(project)], check=True)
    try:
        before = _listing(project)
        check = scaffold.update(project, check=True)
        plan = scaffold.update(project, dry_run=True)
        # root may write anyway: the proof is that nothing under the project was created or touched
        assert _listing(project) == before
        assert check.behind and not plan.applied
        assert {p.name for p in temp.glob("scaffold-update-*")} == leftovers
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(project)], check=True)
    versions("bundled")  # the templates the subprocess's scaffold-ml has
    fresh = Path(scaffold.generate("Fresh", framework="sklearn", target="cpu", output_dir=tmp_path / "f").path)
    subprocess.run(["chmod", "-R", "a-w", str(fresh)], check=True)
    try:
        before = _listing(fresh)
        done = subprocess.run([sys.executable, "-m", "scaffold", "update", "--check", "--project", str(fresh)],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr  # up to date: CI must not read "behind"
        assert _listing(fresh) == before
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(fresh)], check=True)


def test_flags_are_type_checked_and_the_report_is_immutable(tmp_path):
    project = Path(scaffold.generate("Flags", framework="sklearn", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path).path)
    before = _listing(project)
    for kw in ({"dry_run": ""}, {"dry_run": "yes"}, {"check": 1}, {"allow_dirty": None}):
        with pytest.raises(UsageError, match="must be True or False"):
            scaffold.update(project, **kw)
    assert _listing(project) == before
    report = scaffold.update(project, dry_run=True)
    with pytest.raises(TypeError):
        report.answers["target"] = "cuda"  # type: ignore[index]
    assert report.as_dict()["answers"]["target"] == "cpu"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_a_record_that_is_not_a_regular_file_is_named_as_such(tmp_path, kind):
    record = tmp_path / ".scaffold.json"
    if kind == "fifo":
        os.mkfifo(record)
    elif kind == "dev-zero":
        record.symlink_to("/dev/zero")
    else:
        record.mkdir()
    with pytest.raises(UsageError) as e:
        scaffold.update(tmp_path)
    assert "no .scaffold.json" not in str(e.value) and ".scaffold.json" in str(e.value)


def test_the_generated_gitignore_keeps_the_journal_out_of_git(tmp_path):
    for fid in ("sklearn", "spark"):  # the line is the shared base's; each starter adds its own after it
        project = Path(scaffold.generate("Ign", framework=fid, target="cpu", platform="linux-x86_64", python="3.12",
                                         output_dir=tmp_path / fid).path)
        assert ".scaffold/update/" in (project / ".gitignore").read_text().splitlines(), fid


def test_a_killed_updates_render_folder_is_swept_and_a_live_ones_is_not(tmp_path, monkeypatch):
    """SIGKILL mid-render leaves its folder in the system's temporary folder: the next update removes it."""
    temp = tmp_path / "system-tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = temp / f"{updater.RENDER_PREFIX}{gone.stdout.strip()}-abcd"
    (dead / "out").mkdir(parents=True)
    (dead / "out" / "README.md").write_text("half a render\n")
    live = temp / f"{updater.RENDER_PREFIX}{os.getpid()}-efgh"  # this process: alive
    live.mkdir()
    project = Path(scaffold.generate("Sweep", framework="sklearn", target="cpu", platform="linux-x86_64",
                                     python="3.12", output_dir=tmp_path / "p").path)
    scaffold.update(project, check=True)
    assert sorted(p.name for p in temp.iterdir()) == [live.name]
