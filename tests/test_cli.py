"""The command line: thin, fast, one-line errors with exit status 2, JSON for machines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.catalog import default_catalog
from scaffold.cli import app

from .conftest import snapshot

runner = CliRunner()


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scaffold", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("recommend", "new", "frameworks", "detect", "lock", "catalog"):
        assert command in result.stdout


@pytest.mark.parametrize("argv", [["--help"], ["recommend", "--task", "images"], ["recommend", "--json"],
                                  ["lock", "--help"], ["catalog", "--help"], ["detect", "--json"]])
def test_fast_paths_do_not_import_cookiecutter_or_jinja2(argv):
    code = (f"import sys\nfrom scaffold.cli import app\ntry:\n    app({argv!r})\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('cookiecutter', 'jinja2', 'requests', 'uv'))\n"
            "print('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out, out


def test_recommend_json_is_the_contract_shape():
    result = runner.invoke(app, ["recommend", "--experience", "beginner", "--task", "tabular-classification",
                                 "--data-size", "small", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ranking"][0]["framework"] == "sklearn"
    assert data["profile"] == {"experience": "beginner", "task": "tabular-classification", "data_size": "small"}


def test_recommend_shows_the_top_pick_first_then_one_entry_per_framework():
    result = runner.invoke(app, ["recommend", "--need", "custom-layers"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Use PyTorch (pytorch)\n")
    assert "custom layers" in result.stdout and "##" in result.stdout
    assert result.stdout.count("\n2. ") == 1 and "\n6. " in result.stdout


def test_new_json_and_files(tmp_path):
    result = runner.invoke(app, ["new", "Churn Model", "--framework", "sklearn", "--target", "cpu", "--output-dir",
                                 str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"path", "framework", "starter", "task", "target", "platform", "python", "pins", "next_steps"}
    assert data["task"] == "tabular-classification"  # the framework's first task
    assert data["path"] == str(tmp_path / "churn-model") and data["starter"] == "sklearn-pipeline"
    assert "pip install -r requirements.txt" in data["next_steps"]


def test_new_without_framework_says_why(tmp_path):
    result = runner.invoke(app, ["new", "Demo", "--no-input", "--target", "cpu", "--output-dir", str(tmp_path),
                                 "--task", "tabular-classification", "--experience", "beginner"])
    assert result.exit_code == 0, result.output
    assert "Recommended scikit-learn" in result.stdout and (tmp_path / "demo" / ".scaffold.json").exists()


BAD = [
    (["new", "", "--framework", "sklearn"], "project name is empty"),
    (["new", "../evil", "--framework", "sklearn"], "looks like a path"),
    (["new", "/abs/path", "--framework", "sklearn"], "looks like a path"),
    (["new", "9lives", "--framework", "sklearn"], "is not allowed"),
    (["new", "class", "--framework", "sklearn"], "keyword"),
    (["new", "json", "--framework", "sklearn"], "shadows"),
    (["new", "Demo", "--framework", "theano"], "choose one of: sklearn, pytorch, keras, tensorflow, spark, sagemaker"),
    (["new", "Demo", "--framework", "sklearn", "--target", "tpu"], "allowed: cpu, cuda, cuda-X.Y"),
    (["new", "Demo", "--framework", "sklearn", "--platform", "beos"], "choose one of: linux-x86_64"),
    (["new", "Demo", "--framework", "sklearn", "--python", "3.9"], "choose one of: 3.10"),
    (["new", "Demo", "--framework", "sklearn", "--target", "mps", "--platform", "linux-x86_64"], "macos-arm64"),
    (["new", "Demo", "--framework", "sklearn", "--target", "cuda", "--platform", "macos-arm64"], "not available on macOS"),
    (["new", "Demo", "--framework", "sklearn", "--python", "3.10", "--framework-version", "1.9"], "supported: 3.11"),
    (["new", "Demo", "--framework", "sklearn", "--framework-version", "0.1"], "available: 1.9.1"),
    (["new", "Demo", "--framework", "sklearn", "--backend", "jax"], "does not apply to scikit-learn"),
    (["new", "Demo", "--task", "poetry"], "choose one of: tabular-classification"),
    (["recommend", "--need", "magic"], "choose from: custom-layers"),
    (["recommend", "--data-size", "huge"], "choose one of: small, large, big-data"),
    # usage errors of the parser itself: one line too, also with --json
    (["new", "Demo", "--framework", "sklearn", "--nope"], "No such option: --nope"),
    (["new", "Demo", "--json", "--nope"], "No such option: --nope"),
    (["new"], "missing the project NAME"),
    (["catalog", "prove", "--jobs", "0"], "0 is not in the range"),
    (["catalog", "prove", "--jobs", "many"], "'many' is not a valid"),
    # a single-valued option given twice with different values
    (["new", "Demo", "-f", "sklearn", "-t", "cpu", "--target", "cuda"], "given twice with different values"),
    (["new", "Demo", "-f", "sklearn", "--framework=pytorch"], "given twice with different values"),
    (["new", "Demo", "-f", "sklearn", "--python", "3.12", "--python", "3.13"], "given twice"),
    # framework versions: only what the catalog can match
    (["new", "Demo", "--framework", "sklearn", "--framework-version", "1.9rc1"], "is not a release number"),
    (["new", "Demo", "--framework", "sklearn", "--framework-version", "v1.9"], "is not a release number"),
    (["new", "Demo", "--framework", "sklearn", "--framework-version", " 1.9 "], "surrounding spaces"),
    # empty values are errors, not the default
    (["new", "Demo", "--framework", "sklearn", "--python", ""], "--python is empty"),
    (["new", "Demo", "--framework", "sklearn", "--platform", ""], "--platform is empty"),
    (["new", "Demo", "--framework", "sklearn", "--target", ""], "--target is empty"),
    (["new", "Demo", "--framework", ""], "--framework is empty"),
    (["new", "Demo", "--framework", "keras", "--backend", ""], "--backend is empty"),
    (["recommend", "--task", ""], "--task is empty"),
    # names that would break their own project
    (["new", "numpy", "--framework", "sklearn"], "a package the project installs"),
    (["new", "Data", "--framework", "sklearn"], "top-level folder 'data'"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, argv, message):
    (tmp_path / "keep.txt").write_text("user file")
    before = snapshot(tmp_path)
    result = run(*argv, *(["--output-dir", str(tmp_path)] if argv[0] == "new" and len(argv) > 1 else []), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    if "--json" in argv:  # asked for JSON, the failure is JSON too
        assert len(lines) == 1 and json.loads(lines[0])["exit_code"] == 2, result.stderr
        lines = ["error: " + json.loads(lines[0])["error"]]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(tmp_path) == before


def test_existing_project_is_refused_then_replaced_with_force(tmp_path):
    args = ["new", "Demo", "--framework", "sklearn", "--target", "cpu", "--output-dir", str(tmp_path)]
    assert run(*args).returncode == 0
    (tmp_path / "demo" / "mine.txt").write_text("keep me")
    refused = run(*args)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (tmp_path / "demo" / "mine.txt").read_text() == "keep me"
    assert run(*args, "--force").returncode == 0
    assert not (tmp_path / "demo" / "mine.txt").exists()


def test_unwritable_output_dir(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = run("new", "Demo", "--framework", "sklearn", "--output-dir", str(target / "sub"))
    assert result.returncode == 2 and "is not a directory" in result.stderr


def test_frameworks_and_detect_json():
    data = json.loads(runner.invoke(app, ["frameworks", "--json"]).stdout)
    ids = [f["id"] for f in data["frameworks"]]
    assert ids == ["sklearn", "pytorch", "keras", "tensorflow", "spark", "sagemaker"]
    sk = data["frameworks"][0]
    assert sk["starter"] == "sklearn-pipeline" and "1.9.1" in sk["versions"]
    machine = json.loads(runner.invoke(app, ["detect", "--json"]).stdout)
    assert {"platform", "python", "accelerator", "accelerator_version"} <= set(machine)
    # The download sizes the text shows, for each framework that runs on a local GPU (the catalog says which).
    local = [fid for fid, fw in default_catalog().frameworks.items() if not (fw.cpu_only or fw.remote_accelerator)]
    assert list(machine["downloads"]) == local and all(b["target"] for s in machine["downloads"].values() for b in s)
    text = runner.invoke(app, ["detect"]).stdout
    assert "accelerator_version:" not in text or machine["accelerator_version"]  # no empty line for a missing fact
    assert all(f"download ({fid}): " in text for fid in local)


def test_stdin_not_a_terminal_never_prompts(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scaffold", "new", "Demo", "--target", "cpu", "--data-size", "small", "--output-dir",
                             str(tmp_path)], input="", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo").is_dir()


def test_an_empty_output_dir_is_an_error(tmp_path):
    result = run("new", "Demo", "-f", "sklearn", "-t", "cpu", "-o", "", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: --output-dir is empty")
    assert list(tmp_path.iterdir()) == []


def test_identifiers_are_matched_whatever_their_case(tmp_path):
    """The rule (README): framework, target, platform, starter options and situation values ignore case."""
    result = run("new", "Demo", "-f", "PyTorch", "-t", "CPU", "--platform", "Linux-x86_64", "--python", "3.12",
                 "--task", "Tabular-Classification", "--json", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["framework"], data["target"], data["platform"]) == ("pytorch", "cpu", "linux-x86_64")
    record = json.loads((tmp_path / "demo" / ".scaffold.json").read_text())
    assert record["framework"] == "pytorch" and record["answers"]["situation"] == {"task": "tabular-classification"}
    assert record["task"] == "tabular-classification"


def test_a_short_framework_version_says_what_it_matched(tmp_path):
    result = run("new", "Demo", "-f", "sklearn", "-t", "cpu", "--framework-version", "1.9", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "note: --framework-version 1.9 matched scikit-learn 1.9." in result.stdout


def test_the_same_value_twice_is_fine(tmp_path):
    result = run("new", "Demo", "-f", "sklearn", "--framework", "sklearn", "-t", "cpu", "--dry-run", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr


# The framework question (a number or a name, asked again on a bad answer) is one of the guided path's now:
# tests/test_guided.py drives it in a real pseudo-terminal.


def test_a_starter_option_comes_from_the_catalog_alone(tmp_path, monkeypatch):
    """A new `[options.x]` in a framework file is `--x` of `new` and `update`, with its help, values and checks."""
    import shutil

    import scaffold.api
    import scaffold.catalog
    from scaffold.completion import candidates

    folder = tmp_path / "frameworks"
    shutil.copytree(scaffold.catalog.frameworks_dir(), folder)
    with (folder / "sklearn.toml").open("a", encoding="utf-8") as f:
        f.write('\n[options.float_width]\nchoices = ["float64", "float32"]\ndefault = "float64"\n'
                'help = "the dtype the features are cast to"\n')
    catalog = scaffold.catalog.load_catalog(folder)
    for module in (scaffold.catalog, scaffold.api):
        monkeypatch.setattr(module, "default_catalog", lambda: catalog)

    for command in ("new", "update"):
        shown = runner.invoke(app, [command, "--help"])
        assert shown.exit_code == 0 and "--float-width" in shown.stdout, shown.output
        assert "float64 | float32 (default: float64). the dtype the features are cast to" in " ".join(
            shown.stdout.split())
    out = tmp_path / "out"
    made = runner.invoke(app, ["new", "Demo", "-f", "sklearn", "-t", "cpu", "--float-width", "float32", "--json",
                               "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["pins"]["options"] == {"float_width": "float32"}
    assert json.loads((out / "demo" / ".scaffold.json").read_text())["answers"]["float_width"] == "float32"
    refused = runner.invoke(app, ["new", "Demo", "-f", "sklearn", "-t", "cpu", "--float-width", "int8",
                                  "-o", str(tmp_path / "none")])
    assert refused.exit_code == 2 and "choose one of: float64, float32" in refused.output
    assert not (tmp_path / "none").exists()
    assert candidates("float_width", "f") == ["float64", "float32"]


def test_the_help_holds_no_vocabulary_of_its_own():
    """Every value `new --help` lists comes from scaffold.models or the catalog (none copied into cli.py)."""
    from scaffold.catalog import default_catalog
    from scaffold.models import SITUATION

    text = runner.invoke(app, ["new", "--help"], terminal_width=1000, max_content_width=1000).stdout
    for option, values in SITUATION.items():
        assert " | ".join(values) in text, option
    for fw in default_catalog().frameworks.values():
        for name, opt in fw.options.items():
            assert f"--{name.replace('_', '-')}" in text and f"{fw.name}: {' | '.join(opt.choices)}" in text
    source = (Path(__file__).parents[1] / "scaffold" / "cli.py").read_text()
    for literal in ("tensorflow | jax", "local | standalone", "sklearn | pytorch", "laptop | gpu", "big-data",
                    "--backend", "--cluster", "--algorithm-framework"):
        assert literal not in source, literal


def test_a_starter_option_that_would_shadow_a_flag_is_a_catalog_error(tmp_path, monkeypatch, capsys):
    import shutil

    import scaffold.catalog
    from scaffold.cli import run as run_cli

    folder = tmp_path / "frameworks"
    shutil.copytree(scaffold.catalog.frameworks_dir(), folder)
    with (folder / "sklearn.toml").open("a", encoding="utf-8") as f:
        f.write('\n[options.target]\nchoices = ["a", "b"]\ndefault = "a"\nhelp = "a clash"\n')
    catalog = scaffold.catalog.load_catalog(folder)
    monkeypatch.setattr(scaffold.catalog, "default_catalog", lambda: catalog)
    assert run_cli(["new", "Demo", "-f", "sklearn", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "[options.target]" in err[0] and "`scaffold new` option" in err[0]
    assert not (tmp_path / "out").exists()
