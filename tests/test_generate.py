"""The generator: what it writes, what it refuses, and that a failure leaves nothing behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scaffold import DestinationError, GenerationError, generate
from scaffold.catalog import default_catalog
from scaffold.models import PYTHONS, SITUATION
from scaffold.targets import PLATFORMS

from .conftest import ROOT, snapshot
from .generated import check_project

SKLEARN_FILES = {
    ".github/workflows/ci.yml", ".github/zizmor.yml", ".gitignore", ".pre-commit-config.yaml", ".scaffold.json",
    ".scaffold/base.json.gz",
    "README.md", "config.toml", "data/README.md",
    "data/penguins.csv", "pyproject.toml", "requirements.txt",
    *(f"churn_model/{m}.py" for m in ("__init__", "__main__", "artifacts", "check", "cli", "config", "data", "evaluate",
                                      "gpu_check", "pipeline", "predict", "runtime", "train")),
    *(f"tests/{t}.py" for t in ("conftest", "test_commands", "test_config", "test_data", "test_environment_check",
                                "test_gpu_check", "test_model", "test_pipeline", "test_runtime")),
}


def test_sklearn_project_has_exactly_the_expected_files(tmp_path, cpu_machine):
    project = generate("Churn Model", framework="sklearn", target="cpu", output_dir=tmp_path, machine=cpu_machine)
    path = Path(project.path)
    assert path == tmp_path / "churn-model"
    assert {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} == SKLEARN_FILES
    assert set(project.files) == SKLEARN_FILES
    record = check_project(path)
    assert record["framework"] == "sklearn" and record["package"] == "churn_model"
    assert record["answers"]["name"] == "Churn Model"
    assert (path / "data/penguins.csv").read_bytes() == (
        ROOT / "templates/sklearn-pipeline/{{cookiecutter.project_slug}}/data/penguins.csv").read_bytes()


def _combinations():
    catalog = default_catalog()
    fw = catalog.get("sklearn")
    for release in fw.releases:
        for variant in release.variants:
            for platform in variant.platforms:
                for python in variant.python or release.python:
                    yield release.version, platform, python


@pytest.mark.parametrize(("version", "platform", "python"), list(_combinations()))
def test_every_claimed_combination_renders_clean(tmp_path, version, platform, python):
    project = generate("Demo", framework="sklearn", framework_version=version, target="cpu", platform=platform,
                       python=python, output_dir=tmp_path)
    record = check_project(Path(project.path))
    assert (record["framework_version"], record["platform"], record["python"]) == (version, platform, python)
    assert python in PYTHONS and platform in PLATFORMS


def test_gpu_target_for_sklearn_says_it_uses_the_cpu(tmp_path):
    project = generate("Demo", framework="sklearn", target="cuda", platform="linux-x86_64", python="3.12",
                       output_dir=tmp_path)
    assert project.pins.target.name == "cpu"
    assert "CPU only" in (Path(project.path) / "README.md").read_text()
    assert any("CPU only" in s for s in project.next_steps)


def test_without_framework_it_generates_the_top_recommendation(tmp_path):
    from scaffold.recommender import make_profile

    profile = make_profile(experience="beginner", task="tabular-classification", data_size="small")
    project = generate("Demo", profile=profile, target="cpu", output_dir=tmp_path)
    assert project.framework == "sklearn" and project.recommendation.best.framework == "sklearn"
    record = json.loads((Path(project.path) / ".scaffold.json").read_text())
    assert record["answers"]["situation"] == {"experience": "beginner", "task": "tabular-classification",
                                              "data_size": "small"}


@pytest.mark.parametrize(("name", "content", "force", "message"), [
    ("notes.txt", "mine", False, "exists and is not empty.*--force"),
    ("main.c", "int main(void) { return 0; }", True, "not a project scaffold-ml generated"),  # --force included
])
def test_a_users_folder_is_refused_and_untouched(tmp_path, name, content, force, message):
    dest = tmp_path / "demo"
    dest.mkdir()
    (dest / name).write_text(content)
    before = snapshot(tmp_path)
    with pytest.raises(DestinationError, match=message):
        generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path, force=force)
    assert snapshot(tmp_path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_force_replaces_a_generated_project(tmp_path):
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path)
    dest = tmp_path / "demo"
    (dest / "old.txt").write_text("old")
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path, force=True)
    assert not (dest / "old.txt").exists() and (dest / ".scaffold.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]  # no temporary folders left


def test_an_empty_destination_is_used(tmp_path):
    (tmp_path / "demo").mkdir()
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path)
    assert (tmp_path / "demo" / "README.md").exists()


def test_dry_run_writes_nothing(tmp_path):
    project = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "new" / "dir", dry_run=True)
    assert "README.md" in project.files and ".scaffold.json" in project.files
    assert list(tmp_path.iterdir()) == []


def test_output_dir_is_created(tmp_path):
    project = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "a" / "b")
    assert Path(project.path) == tmp_path / "a" / "b" / "demo"


@pytest.fixture
def fake_templates(tmp_path, monkeypatch):
    """Small inline templates (copier's build_file_tree habit) for generator behaviour."""
    root = tmp_path / "templates"
    for layer, files in {
        "_base": {"README.md": "# {{ cookiecutter.project_name }}\n{% include 'readme_about.md' %}"},
        "sklearn-pipeline": {"{{cookiecutter.package_name}}/__init__.py": "{{ cookiecutter.no_such_key }}"},
    }.items():
        for name, text in files.items():
            f = root / layer / "{{cookiecutter.project_slug}}" / name
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
    (root / "sklearn-pipeline" / "partials").mkdir()
    (root / "sklearn-pipeline" / "partials" / "readme_about.md").write_text("About.")
    (root / "sklearn-pipeline" / "cookiecutter.json").write_text("{}")
    monkeypatch.setattr("scaffold.generator.templates_dir", lambda: root)
    return root


def test_a_template_error_names_the_template_and_leaves_nothing(tmp_path, fake_templates):
    out = tmp_path / "out" / "deeper"
    with pytest.raises(GenerationError, match="sklearn-pipeline.*no_such_key"):
        generate("Demo", framework="sklearn", target="cpu", output_dir=out)
    assert not (tmp_path / "out").exists()


def test_template_syntax_in_a_name_is_refused_not_evaluated(tmp_path):
    from scaffold import UsageError

    for name in ("Demo {{7*7}}", "{% raw %}", "x{#c#}"):
        with pytest.raises(UsageError, match="is not allowed; use 1-64 letters"):
            generate(name, framework="sklearn", target="cpu", output_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_dir_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(DestinationError, match="not a writable directory"):
            generate("Demo", framework="sklearn", target="cpu", output_dir=locked)
    finally:
        locked.chmod(0o700)


def test_compiled_templates_are_reused_but_never_stale(tmp_path, fake_templates, monkeypatch):
    from scaffold.generator import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    init = fake_templates / "sklearn-pipeline" / "{{cookiecutter.project_slug}}" / "{{cookiecutter.package_name}}"
    (init / "__init__.py").write_text("NAME = {{ cookiecutter.project_name | tojson }}\n")
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "one")
    assert list((tmp_path / "cache").rglob("*.cache"))  # compiled once, kept where asked
    (init / "__init__.py").write_text("NAME = {{ cookiecutter.project_slug | tojson }}  # edited\n")
    project = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "two")
    assert (Path(project.path) / "demo" / "__init__.py").read_text() == 'NAME = "demo"  # edited\n'
    monkeypatch.delenv(CACHE_ENV)  # the process's own memory of the compiled file is checked the same way
    (init / "__init__.py").write_text("NAME = {{ cookiecutter.project_slug | tojson }}  # again\n")
    project = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "three")
    assert (Path(project.path) / "demo" / "__init__.py").read_text() == 'NAME = "demo"  # again\n'


_CACHES = ("XDG_CACHE_HOME", "SCAFFOLD_ML_CACHE_DIR")


def _scaffold(*args: str, env: dict[str, str], cwd: Path | None = None):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "scaffold", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**{k: v for k, v in os.environ.items() if k not in _CACHES}, **env,
                                        "PYTHONDONTWRITEBYTECODE": "1"})


def test_dry_run_writes_nothing_anywhere(tmp_path):
    """No project, no parent folder, no compiled-template cache, no temporary folder, no $HOME."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    home = tmp_path / "home"  # missing: must not be created
    done = _scaffold("new", "Demo", "-f", "sklearn", "-t", "cpu", "--dry-run", "-o", str(tmp_path / "a" / "b"),
                     env={"HOME": str(home), "TMPDIR": str(tmp)})
    assert done.returncode == 0, done.stderr
    assert "Would write" in done.stdout and "  .scaffold.json" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"] and list(tmp.iterdir()) == []


@pytest.mark.parametrize("framework", ["sklearn", "pytorch", "keras", "tensorflow", "spark", "sagemaker"])
def test_dry_run_lists_exactly_what_a_real_run_writes(tmp_path, framework):
    kw = dict(framework=framework, target="cpu", platform="linux-x86_64", python="3.12", output_dir=tmp_path)
    dry = generate("Demo", dry_run=True, **kw)
    assert list(tmp_path.iterdir()) == []
    real = generate("Demo", **kw)
    assert set(dry.files) == set(real.files) == {p.relative_to(real.path).as_posix()
                                                   for p in Path(real.path).rglob("*") if p.is_file()}


def test_no_cache_outside_the_project_unless_one_is_asked_for(tmp_path):
    home, xdg, out = tmp_path / "home", tmp_path / "xdg", tmp_path / "out"
    home.mkdir()
    done = _scaffold("new", "One", "-f", "sklearn", "-t", "cpu", "-o", str(out),
                     env={"HOME": str(home), "XDG_CACHE_HOME": str(xdg)})
    assert done.returncode == 0, done.stderr
    assert list(home.iterdir()) == [] and not xdg.exists()  # neither the user's cache nor $HOME
    done = _scaffold("new", "Two", "-f", "sklearn", "-t", "cpu", "-o", str(out), cwd=tmp_path,
                     env={"HOME": str(home), "SCAFFOLD_ML_CACHE_DIR": "relative"})
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "relative").exists()  # a relative folder is not guessed at
    done = _scaffold("new", "Three", "-f", "sklearn", "-t", "cpu", "-o", str(out),
                     env={"HOME": str(home), "SCAFFOLD_ML_CACHE_DIR": str(tmp_path / "asked")})
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "asked").rglob("*.cache")) and list(home.iterdir()) == []
    assert {p.suffix for p in (tmp_path / "asked").rglob("*") if p.is_file()} == {".cache"}  # nothing half-written
    done = _scaffold("new", "Four", "-f", "sklearn", "-t", "cpu", "-o", str(out),
                     env={"HOME": str(home), "SCAFFOLD_ML_CACHE_DIR": "/proc/self/no"})
    assert done.returncode == 0, done.stderr  # a folder that cannot be made: no cache, silently
    assert sorted(p.name for p in out.iterdir()) == ["four", "one", "three", "two"]


def test_stale_bytecode_beside_the_templates_never_reaches_a_project(tmp_path, fake_templates):
    init = fake_templates / "sklearn-pipeline" / "{{cookiecutter.project_slug}}" / "{{cookiecutter.package_name}}"
    (init / "__init__.py").write_text("NAME = 1\n")
    for folder in (init / "__pycache__", fake_templates / "_base" / "{{cookiecutter.project_slug}}" / "__pycache__",
                   fake_templates / "sklearn-pipeline" / "partials" / "__pycache__"):
        folder.mkdir()
        (folder / "__init__.cpython-311.pyc").write_bytes(b"\x00stale")
    (init / "old.pyc").write_bytes(b"\x00stale")
    for dry_run in (True, False):
        project = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "out", dry_run=dry_run)
        assert not any("__pycache__" in f or f.endswith(".pyc") for f in project.files), project.files
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]


def _fake_tools(tmp_path: Path, nvidia_sleep: float = 0) -> tuple[Path, Path]:
    """nvidia-smi and java on PATH that note each call (and nvidia-smi may hang)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "calls.txt"
    for tool in ("nvidia-smi", "java"):
        script = bin_ / tool
        script.write_text(f"#!/bin/sh\necho {tool} >> {log}\nsleep {nvidia_sleep if tool == 'nvidia-smi' else 0}\n")
        script.chmod(0o755)
    return bin_, log


def test_auto_probes_only_what_the_framework_needs_and_briefly(tmp_path):
    import os
    import time

    bin_, log = _fake_tools(tmp_path, nvidia_sleep=30)
    env = {"PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = _scaffold("new", "Tab", "-f", "sklearn", "-t", "auto", "--dry-run", "-o", str(tmp_path), env=env)
    assert done.returncode == 0, done.stderr
    assert not log.exists()  # scikit-learn computes on the CPU: no GPU probe, and no pin depends on Java
    started = time.monotonic()
    done = _scaffold("new", "Net", "-f", "pytorch", "-t", "auto", "--dry-run", "-o", str(tmp_path), env=env)
    assert done.returncode == 0, done.stderr
    assert log.read_text().split() == ["nvidia-smi"]
    assert time.monotonic() - started < 20  # the hung nvidia-smi was given up on after a few seconds


@pytest.mark.network
def test_the_wheel_holds_no_bytecode(tmp_path):
    import subprocess
    import sys
    import zipfile

    stray = ROOT / "templates" / "_base" / "{{cookiecutter.project_slug}}" / "tests" / "__pycache__"
    made = not stray.exists()
    stray.mkdir(exist_ok=True)
    (stray / "stray.cpython-311.pyc").write_bytes(b"\x00")
    try:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                       check=True, capture_output=True, timeout=600)
    finally:
        (stray / "stray.cpython-311.pyc").unlink()
        if made:
            stray.rmdir()
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("scaffold/_data/templates/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]


@pytest.fixture(params=["renameat2", "portable"])
def rename_kind(request, monkeypatch):
    """Both ways of moving a project into place: Linux's renameat2, and the mkdir claim used elsewhere."""
    if request.param == "portable":
        monkeypatch.setattr("scaffold.generator._libc_renameat2", lambda: None)
    return request.param


def test_placing_works_either_way(tmp_path, rename_kind):
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path)
    (tmp_path / "demo" / "old.txt").write_text("old")
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path, force=True)
    assert not (tmp_path / "demo" / "old.txt").exists()
    (tmp_path / "empty").mkdir()
    generate("Empty", framework="sklearn", target="cpu", output_dir=tmp_path)
    assert (tmp_path / "empty" / ".scaffold.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "empty"]


def test_what_appears_at_the_destination_meanwhile_is_never_touched(tmp_path, monkeypatch, rename_kind):
    import scaffold.generator as gen

    real = gen._render_into
    where: list[Path] = []

    def and_meanwhile(*args, **kw):
        out = real(*args, **kw)
        where[0].mkdir(parents=True, exist_ok=True)
        (where[0] / "mine.txt").write_text("user data")  # another program, after the check
        return out

    monkeypatch.setattr(gen, "_render_into", and_meanwhile)
    for out in (tmp_path / "a" / "b", tmp_path):  # with parents to create, and without
        where[:] = [out / "demo"]
        with pytest.raises(DestinationError, match="appeared while generating"):
            generate("Demo", framework="sklearn", target="cpu", output_dir=out)
        assert [p.name for p in (out / "demo").iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "demo"]  # no temporary folder
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["demo"]


def test_a_project_moved_aside_that_cannot_go_back_is_kept(tmp_path, monkeypatch):
    import scaffold.generator as gen

    monkeypatch.setattr(gen, "_libc_renameat2", lambda: None)
    generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path)
    (tmp_path / "demo" / "precious.txt").write_text("keep")
    real = gen._rename

    def then_someone_writes(src, dest):
        real(src, dest)
        (tmp_path / "demo").mkdir()
        (tmp_path / "demo" / "theirs.txt").write_text("theirs")

    monkeypatch.setattr(gen, "_rename", then_someone_writes)
    with pytest.raises(GenerationError, match="it is safe at") as e:
        generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path, force=True)
    kept = Path(str(e.value).split("it is safe at ")[1].split(":")[0])
    assert (kept / "precious.txt").read_text() == "keep" and (tmp_path / "demo" / "theirs.txt").exists()


def test_a_stale_temporary_folder_is_swept_and_a_live_one_is_not(tmp_path):
    import fcntl
    import json as _json
    import os

    dead = tmp_path / ".scaffold-tmp-dead0000"
    (dead / "out").mkdir(parents=True)
    (dead / ".scaffold-owner").write_text(_json.dumps({"destination": str(tmp_path / "gone")}))
    (dead / "replaced").mkdir()  # a --force run killed between moving the old project aside and the new one in
    (dead / "replaced" / "precious.txt").write_text("keep")
    live = tmp_path / ".scaffold-tmp-live0000"
    live.mkdir()
    (live / ".scaffold-owner").write_text("{}")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held as a running scaffold holds it (another open file: flock conflicts)
    user = tmp_path / ".scaffold-tmp-mine"  # not made by scaffold (no owner note): left alone
    user.mkdir()
    try:
        generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path)
        names = sorted(p.name for p in tmp_path.iterdir())
        assert names == [".scaffold-tmp-live0000", ".scaffold-tmp-mine", "demo", "gone"]
        assert (tmp_path / "gone" / "precious.txt").read_text() == "keep"
    finally:
        os.close(fd)


def test_the_base_templates_decide_from_data_never_from_a_framework_name():
    """What `_base` says and checks comes from the record and context (remote_accelerator, facts), not `framework`."""
    import re

    compares = re.compile(r"""framework\b["')\]]*\s*(==|!=|\bin\b)""")
    base = ROOT / "templates" / "_base"
    found = [f"{p.relative_to(base)}: {line.strip()}" for p in base.rglob("*") if p.is_file()
             for line in p.read_text(encoding="utf-8").splitlines() if compares.search(line)]
    assert found == []


@pytest.mark.parametrize(("framework", "remote"), [("sagemaker", True), ("sklearn", False)])
def test_the_aws_checks_follow_the_catalogs_remote_accelerator(tmp_path, framework, remote):
    project = generate("Demo", framework=framework, target="cpu", platform="linux-x86_64", python="3.12",
                       output_dir=tmp_path)
    path = Path(project.path)
    record = json.loads((path / ".scaffold.json").read_text())
    assert record["remote_accelerator"] is remote is default_catalog().get(framework).remote_accelerator
    assert ("AWS credentials" in (path / "README.md").read_text()) is remote


def test_the_record_is_built_from_the_pins_and_the_answers(tmp_path):
    """`.scaffold.json` is build_record's result for the caller's PinSet, plus the hashes render adds."""
    from scaffold import resolve_pins
    from scaffold.generator import build_record

    project = generate("Demo", framework="keras", target="cpu", platform="linux-x86_64", python="3.12",
                       options={"backend": "jax"}, output_dir=tmp_path)
    written = json.loads((Path(project.path) / ".scaffold.json").read_text())
    pins = resolve_pins("keras", target="cpu", platform="linux-x86_64", python="3.12", options={"backend": "jax"})
    expected = build_record(fw=default_catalog().get("keras"), pins=pins, name="Demo", package="demo",
                            task="tabular-classification", answers=written["answers"])
    assert {k: v for k, v in written.items() if k != "base"} == json.loads(json.dumps(expected))
    assert set(written["base"]) == {"store", "sha256"} and written["options"] == {"backend": "jax"}
    assert written["pins"]["jax"] and written["answers"]["framework"] == "keras"


def test_a_task_lays_its_family_and_its_own_files_over_the_starter(tmp_path, monkeypatch):
    """_base, the starter, tasks/<family>/, tasks/<task>/: a later layer wins file by file, in a real render and in
    the dry run alike; a task without a layer of its own gets the starter's files."""
    root = tmp_path / "templates"
    slug = "{{cookiecutter.project_slug}}"
    for layer, files in {
        "_base": {"README.md": "{% include 'readme_about.md' %} {{ cookiecutter.task }}/{{ cookiecutter.task_family }}",
                  "shared.txt": "base"},
        "sklearn-pipeline": {"model.txt": "starter", "data.txt": "starter"},
        "sklearn-pipeline/tasks/tabular": {"model.txt": "tabular", "family.txt": "family"},
        "sklearn-pipeline/tasks/tabular-regression": {"data.txt": "regression"},
    }.items():
        for name, text in files.items():
            f = root / layer / slug / name
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
    for layer, about in (("sklearn-pipeline", "starter"), ("sklearn-pipeline/tasks/tabular-regression", "regression")):
        (root / layer / "partials").mkdir(parents=True)
        (root / layer / "partials" / "readme_about.md").write_text(about)
    (root / "sklearn-pipeline" / "cookiecutter.json").write_text("{}")
    monkeypatch.setattr("scaffold.generator.templates_dir", lambda: root)

    def files(task, where):
        project = Path(generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / where, task=task).path)
        return {p.name: p.read_text() for p in project.iterdir() if p.is_file() and p.suffix in (".txt", ".md")}

    assert files("tabular-regression", "r") == {"README.md": "regression tabular-regression/tabular", "shared.txt": "base",
                                                "model.txt": "tabular", "family.txt": "family", "data.txt": "regression"}
    assert files("tabular-classification", "c") == {
        "README.md": "starter tabular-classification/tabular", "shared.txt": "base", "model.txt": "tabular",
        "family.txt": "family", "data.txt": "starter"}
    listed = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "d", task="tabular-regression",
                      dry_run=True).files
    assert {"family.txt", "data.txt", "model.txt", "shared.txt", "README.md"} <= set(listed)
    assert not (tmp_path / "d").exists()


def test_the_task_is_recorded_and_a_task_the_starter_does_not_serve_is_refused(tmp_path):
    from scaffold import UsageError, frameworks

    project = generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path, task="Tabular-Regression")
    record = json.loads((Path(project.path) / ".scaffold.json").read_text())
    assert project.task == record["task"] == record["answers"]["task"] == "tabular-regression"
    served = {f.id: f.tasks for f in frameworks()}
    assert served == {fid: fw.tasks for fid, fw in default_catalog().frameworks.items()}
    for fid, tasks in served.items():
        assert generate("Demo", framework=fid, target="cpu", output_dir=tmp_path / fid, dry_run=True).task == tasks[0]
        for task in SITUATION["task"]:
            if task in tasks:
                continue
            able = [f for f, ts in served.items() if task in ts]
            expected = (f"frameworks whose starter does: {', '.join(able)}" if able else
                        f"no starter serves the task '{task}' yet")
            with pytest.raises(UsageError, match=re.escape(expected)):
                generate("Demo", framework=fid, target="cpu", output_dir=tmp_path / "refused", task=task)
    with pytest.raises(UsageError, match="--task 'nope' is not one of: tabular-classification"):
        generate("Demo", framework="sklearn", target="cpu", output_dir=tmp_path / "refused", task="nope")
    assert not (tmp_path / "refused").exists()
    # Without a framework the recommendation is for the task, and the project does it.
    chosen = generate("Demo", target="cpu", output_dir=tmp_path / "picked", task="images", dry_run=True)
    assert chosen.task == "images" and "images" in served[chosen.framework]
    assert chosen.recommendation.profile.task == "images"
