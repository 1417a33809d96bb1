"""TensorFlow's pins: every (release, target, platform, python) the catalog claims resolves to
requirements that parse, the hardware rules of the catalog hold, and (marked ``network``) each
set resolves for its platform on PyPI with ``uv pip compile``.

TensorFlow's indexes are all PyPI, so nothing here is left unverified when the network is up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scaffold.catalog import default_catalog
from scaffold.errors import ScaffoldError
from scaffold.hardware import TargetSpec
from scaffold.pins import resolve

FRAMEWORK = "tensorflow"
# uv's names for our platforms; manylinux_2_28 covers TensorFlow's manylinux_2_27 wheels.
UV_PLATFORMS = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "macos-arm64": "aarch64-apple-darwin",
    "windows-x86_64": "x86_64-pc-windows-msvc",
}


def _claims() -> list[tuple[str, str, str, str]]:
    """(release, target, platform, python) for every combination the catalog claims."""
    fw = default_catalog().get(FRAMEWORK)
    combos = []
    for release in fw.releases:
        for variant in release.variants:
            for platform in variant.platforms:
                for python in variant.python or release.python:
                    combos.append((release.version, variant.target, platform, python))
    return combos


CLAIMS = _claims()


def _pins(version: str, target: str, platform: str, python: str):
    accelerator, _, accelerator_version = target.partition("-")
    return resolve(default_catalog(), FRAMEWORK, target=TargetSpec(accelerator, accelerator_version or None),
                   platform=platform, python=python, framework_version=version)


def _framework_requirement(pins) -> Requirement:
    names = {"tensorflow", "tensorflow-cpu"}
    return next(r for r in map(Requirement, pins.requirements) if r.name in names)


@pytest.mark.parametrize(("version", "target", "platform", "python"), CLAIMS)
def test_every_claimed_combination_resolves_to_parseable_pins(version: str, target: str, platform: str,
                                                               python: str) -> None:
    pins = _pins(version, target, platform, python)

    assert pins.framework_version == version
    requirements = [Requirement(line) for line in pins.requirements]
    names = [r.name for r in requirements]
    assert len(names) == len(set(names)), f"a package is pinned twice: {names}"
    assert all(str(r.specifier).startswith("==") for r in requirements), pins.requirements
    assert str(_framework_requirement(pins).specifier) == f"=={version}"


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


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: cannot check resolution for other platforms")
    return uv


@pytest.mark.network
@pytest.mark.parametrize(("version", "target", "platform", "python"), CLAIMS)
def test_pins_resolve_on_pypi_for_their_platform(version: str, target: str, platform: str, python: str,
                                                 tmp_path: Path) -> None:
    pins = _pins(version, target, platform, python)
    assert not pins.index_lines, "TensorFlow's pins come from PyPI only"
    requirements = tmp_path / "requirements.in"
    requirements.write_text("\n".join(pins.requirements) + "\n")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run = subprocess.run(
        [_uv(), "pip", "compile", "--quiet", "--no-header", "--index-url", "https://pypi.org/simple",
         "--python-version", python, "--python-platform", UV_PLATFORMS[platform], str(requirements)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    resolved = {}
    for line in run.stdout.splitlines():
        if line.strip() and not line.startswith((" ", "#")):
            requirement = Requirement(line)
            resolved[canonicalize_name(requirement.name)] = str(requirement.specifier)
    for line in pins.requirements:  # every exact pin comes out of the resolver as it went in
        requirement = Requirement(line)
        assert resolved.get(canonicalize_name(requirement.name)) == str(requirement.specifier), line
