"""Every (release, platform, python) the Spark catalog claims resolves to parseable pins, and (network)
to an installable set: `uv pip compile` for that platform and Python, with numpy from wheels only."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from packaging.requirements import Requirement

from scaffold.catalog import default_catalog
from scaffold.hardware import TargetSpec
from scaffold.pins import resolve

UV_PLATFORM = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "macos-arm64": "aarch64-apple-darwin",
    "windows-x86_64": "x86_64-pc-windows-msvc",
}


def _claims():
    fw = default_catalog().get("spark")
    for release in fw.releases:
        for variant in release.variants:
            for python in variant.python or release.python:
                for platform in variant.platforms:
                    yield pytest.param(release.version, platform, python, id=f"{release.version}-{platform}-py{python}")


CLAIMS = list(_claims())


@pytest.mark.parametrize(("version", "platform", "python"), CLAIMS)
def test_claim_resolves_to_exact_pins(version, platform, python):
    pins = resolve(default_catalog(), "spark", target=TargetSpec("cpu"), platform=platform, python=python,
                   framework_version=version)
    reqs = {Requirement(r).name: Requirement(r) for r in pins.requirements}
    assert str(reqs["pyspark"].specifier) == f"=={version}"
    assert str(reqs["numpy"].specifier).startswith("==")
    assert pins.index_lines == ()  # everything from PyPI
    for key in ("java", "scala", "numpy_min", "pandas_min", "pyarrow_min"):
        assert pins.facts[key], key


def test_every_line_from_3_5_to_4_3_is_claimed():
    versions = {r.version for r in default_catalog().get("spark").releases}
    assert {v.rsplit(".", 1)[0] for v in versions} == {"3.5", "4.0", "4.1", "4.2", "4.3"}


def test_gpu_target_resolves_to_cpu_with_a_note():
    pins = resolve(default_catalog(), "spark", target=TargetSpec("cuda"), platform="linux-x86_64", python="3.11")
    assert pins.target.accelerator == "cpu"
    assert any("CPU" in note for note in pins.notes)


def test_unsupported_python_lists_the_valid_ones():
    with pytest.raises(Exception, match=r"3\.10, 3\.11"):
        resolve(default_catalog(), "spark", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.12",
                framework_version="3.5")


@pytest.mark.network
@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
@pytest.mark.parametrize(("version", "platform", "python"), CLAIMS)
def test_claim_compiles_with_uv(version, platform, python, tmp_path):
    pins = resolve(default_catalog(), "spark", target=TargetSpec("cpu"), platform=platform, python=python,
                   framework_version=version)
    requirements = tmp_path / "requirements.in"
    requirements.write_text("\n".join(pins.requirements) + "\n")
    result = subprocess.run(
        ["uv", "pip", "compile", str(requirements), "--python-version", python,
         "--python-platform", UV_PLATFORM[platform], "--only-binary", "numpy", "--no-header", "--quiet"],
        capture_output=True, text=True, env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"}, timeout=600)
    assert result.returncode == 0, result.stderr
    for requirement in pins.requirements:
        assert requirement in result.stdout
