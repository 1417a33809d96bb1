"""TensorFlow's pins and starter rendering: the hardware rules the catalog encodes (tensorflow-cpu only where it exists,
tensorflow[and-cuda] on Linux x86_64, CPU-only macOS with a note, Windows GPU refused with the
WSL2 hint), each release's Python range, and a clean render for every claimed combination.

That every claimed (release, target, platform, python) resolves on PyPI for its platform is
proven for all frameworks by tests/test_pins_resolve.py (``-m network``); TensorFlow's pins come
from PyPI only, so none of its combinations is left unverified there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scaffold import generate
from scaffold.catalog import default_catalog
from scaffold.errors import ScaffoldError
from scaffold.pins import resolve
from scaffold.targets import TargetSpec

from .generated import check_project

FRAMEWORK = "tensorflow"


def _pins(version: str, target: str, platform: str, python: str):
    accelerator, _, accelerator_version = target.partition("-")
    return resolve(default_catalog(), FRAMEWORK, target=TargetSpec(accelerator, accelerator_version or None),
                   platform=platform, python=python, framework_version=version)


def _framework_requirement(pins) -> Requirement:
    names = {"tensorflow", "tensorflow-cpu"}
    return next(r for r in map(Requirement, pins.requirements) if r.name in names)


def test_every_variant_pins_its_own_release_once() -> None:
    for release in default_catalog().get(FRAMEWORK).releases:
        for variant in release.variants:
            for platform in variant.platforms:
                pins = _pins(release.version, variant.target, platform, (variant.python or release.python)[0])
                names = [Requirement(line).name for line in pins.requirements]
                assert len(names) == len(set(names)), f"a package is pinned twice: {names}"
                assert str(_framework_requirement(pins).specifier) == f"=={release.version}"


def test_the_catalog_claims_all_three_releases_and_their_pythons() -> None:
    pythons = {r.version: r.python for r in default_catalog().get(FRAMEWORK).releases}
    assert pythons == {
        "2.21.0": ("3.10", "3.11", "3.12", "3.13"),
        "2.20.0": ("3.10", "3.11", "3.12", "3.13"),
        "2.19.1": ("3.10", "3.11", "3.12"),
    }


@pytest.mark.parametrize("platform", ["linux-x86_64", "windows-x86_64"])
def test_cpu_uses_tensorflow_cpu_where_it_exists(platform: str) -> None:
    requirement = _framework_requirement(_pins("2.21.0", "cpu", platform, "3.11"))
    assert requirement.name == "tensorflow-cpu" and not requirement.extras


@pytest.mark.parametrize("platform", ["linux-aarch64", "macos-arm64"])
def test_cpu_uses_plain_tensorflow_where_there_is_no_tensorflow_cpu(platform: str) -> None:
    pins = _pins("2.21.0", "cpu", platform, "3.11")
    requirement = _framework_requirement(pins)
    assert requirement.name == "tensorflow" and not requirement.extras
    assert pins.notes, "the README must say why this is a CPU build"


def test_macos_note_says_there_is_no_gpu() -> None:
    notes = " ".join(_pins("2.21.0", "cpu", "macos-arm64", "3.12").notes)
    assert "no official GPU support on macOS" in notes


def test_linux_cuda_is_tensorflow_and_cuda_with_cuda_12_wheels() -> None:
    pins = _pins("2.21.0", "cuda", "linux-x86_64", "3.11")
    requirement = _framework_requirement(pins)
    assert requirement.name == "tensorflow" and requirement.extras == {"and-cuda"}
    assert pins.target.accelerator == "cuda" and pins.target.accelerator_version == "12.9"
    runtime = next(r for r in map(Requirement, pins.requirements) if r.name == "nvidia-cuda-runtime-cu12")
    assert str(runtime.specifier).startswith("==12.9.")


def test_windows_gpu_is_an_error_that_points_to_wsl2_and_lists_cpu() -> None:
    with pytest.raises(ScaffoldError) as error:
        _pins("2.21.0", "cuda", "windows-x86_64", "3.11")
    message = str(error.value)
    assert "WSL2" in message and "cpu" in message


@pytest.mark.parametrize(("version", "python"), [("2.21.0", "3.14"), ("2.19.1", "3.13")])
def test_unsupported_python_is_an_error_listing_the_supported_ones(version: str, python: str) -> None:
    with pytest.raises(ScaffoldError) as error:
        _pins(version, "cpu", "linux-x86_64", python)
    assert "3.10" in str(error.value) and "3.12" in str(error.value)


def test_mps_on_macos_is_an_error_that_offers_cpu() -> None:
    with pytest.raises(ScaffoldError) as error:
        _pins("2.21.0", "mps", "macos-arm64", "3.12")
    assert "cpu" in str(error.value)


# ---- the starter renders clean for every claimed build (habit 7 of STYLE.md) ----

STARTER_FILES = {
    ".github/workflows/ci.yml", ".gitignore", ".scaffold.json", "README.md", "pyproject.toml", "requirements.txt",
    ".github/zizmor.yml", ".pre-commit-config.yaml",  # the base layer's lint and CI settings
    ".scaffold/base.json.gz",  # what scaffold update merges against
    "config.toml", "tests/conftest.py", "tests/test_commands.py", "tests/test_data.py", "tests/test_distribute.py",
    "tests/test_training.py",
    "tests/test_environment_check.py", "demo/check.py",  # the base layer's environment check
    "tests/test_runtime.py", "demo/runtime.py", "demo/__main__.py",  # and its shared runtime and entry point
    "tests/test_gpu_check.py", "demo/gpu_check.py",  # and its GPU probe
    "demo/__init__.py", "demo/cli.py", "demo/config.py", "demo/data.py", "demo/distribute.py", "demo/runs.py", "demo/evaluate.py",
    "demo/export.py", "demo/model.py", "demo/predict.py", "demo/train.py",
}


def _every_build() -> list[tuple[str, str, str, str]]:
    """Each claimed (release, target, platform) at its newest and oldest Python: the Python changes only the
    pins, which tests/test_pins_resolve.py holds for every one, and ``requires-python``."""
    fw = default_catalog().get(FRAMEWORK)
    return [(release.version, variant.target, platform, python)
            for release in fw.releases for variant in release.variants for platform in variant.platforms
            for python in dict.fromkeys(((variant.python or release.python)[0], (variant.python or release.python)[-1]))]


@pytest.mark.parametrize(("version", "target", "platform", "python"), _every_build())
def test_every_build_renders_clean(tmp_path: Path, version: str, target: str, platform: str,
                                                  python: str) -> None:
    project = generate("Demo", framework=FRAMEWORK, framework_version=version, target=target, platform=platform,
                       python=python, output_dir=tmp_path)
    path = Path(project.path)

    record = check_project(path)

    assert (record["framework_version"], record["target"], record["platform"], record["python"]) == (
        version, target, platform, python)
    assert {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()} == STARTER_FILES
    readme = (path / "README.md").read_text()
    assert all(note in readme for note in project.pins.notes)
    requirements = (path / "requirements.txt").read_text()
    assert all(line in requirements.splitlines() for line in project.pins.requirements)
