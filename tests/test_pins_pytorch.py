"""Every (release, target, platform, python) the PyTorch catalog claims resolves to pins that parse,
and - where all their indexes are reachable - install on that platform.

Offline tests check the resolver's choices and the shape of the pins. ``network`` tests hand the
pins to ``uv pip compile --python-platform ... --python-version ...`` (metadata only, no wheel
downloads). Pins that need the PyTorch wheel index are resolved against it when it answers and
otherwise reported as skipped-unverified, never passed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tomllib
import urllib.request
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import scaffold
from scaffold.catalog import default_catalog
from scaffold.errors import TargetError
from scaffold.pins import resolve
from scaffold.targets import parse_target

from .generated import check_project

FW = default_catalog().get("pytorch")
UV_PLATFORM = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "windows-x86_64": "x86_64-pc-windows-msvc",
    "macos-arm64": "aarch64-apple-darwin",
}


def _target(variant) -> str:
    return f"{variant.accelerator}-{variant.version}" if variant.version else variant.accelerator


CLAIMS = [
    pytest.param(release, variant, platform, python,
                 id=f"{release.version}-{_target(variant)}-{platform}-py{python}")
    for release in FW.releases
    for variant in release.variants
    for platform in variant.platforms
    for python in (variant.python or release.python)
]


def _pins(release, variant, platform, python):
    return resolve(default_catalog(), "pytorch", target=parse_target(_target(variant)), platform=platform,
                   python=python, framework_version=release.version)


def _torch_pin(pins) -> Requirement:
    (torch,) = [r for r in map(Requirement, pins.requirements) if r.name == "torch"]
    return torch


@pytest.mark.parametrize("release, variant, platform, python", CLAIMS)
def test_every_claim_resolves_to_that_build(release, variant, platform, python):
    pins = _pins(release, variant, platform, python)
    assert pins.framework_version == release.version
    assert (pins.target.accelerator, pins.target.accelerator_version) == (variant.accelerator, variant.version)
    for text in (*pins.requirements, *pins.dev_requirements):
        Requirement(text)  # raises on anything pip would refuse
    (spec,) = _torch_pin(pins).specifier
    assert spec.operator == "==" and Version(spec.version).public == release.version
    if variant.index:
        url = FW.indexes[variant.index].url
        assert pins.index_lines[0] == f"--index-url {url}"
        assert pins.uv_sources["torch"] == ({"index": variant.index},)
        assert {"name": variant.index, "url": url, "explicit": True} in [dict(i) for i in pins.uv_indexes]
        # The build label pins the exact build: PyPI has no such version to fall back to.
        assert Version(spec.version).local == url.rsplit("/", 1)[1]
    else:
        assert pins.index_lines == () and not pins.uv_sources


@pytest.mark.parametrize("release", FW.releases, ids=lambda r: r.version)
@pytest.mark.parametrize("platform", ["linux-x86_64", "linux-aarch64"])
def test_linux_cpu_never_takes_pypis_cuda_wheel(release, platform):
    pins = _pins(release, next(v for v in release.variants if v.accelerator == "cpu"), platform, release.python[-1])
    assert str(_torch_pin(pins).specifier) == f"=={release.version}+cpu"
    assert pins.index_lines[0] == "--index-url https://download.pytorch.org/whl/cpu"


@pytest.mark.parametrize("version, platform, expected", [
    ("2.13", "linux-x86_64", "13.2"),   # experimental in 2.13, still the newest it offers
    ("2.14", "windows-x86_64", "13.2"),
    ("2.15", "linux-aarch64", "13.2"),
])
def test_bare_cuda_takes_the_newest_cuda_build(version, platform, expected):
    pins = resolve(default_catalog(), "pytorch", target=parse_target("cuda"), platform=platform, python="3.12",
                   framework_version=version)
    assert pins.target.accelerator_version == expected


def test_a_cuda_version_the_release_lacks_lists_the_ones_it_has():
    with pytest.raises(TargetError) as e:
        resolve(default_catalog(), "pytorch", target=parse_target("cuda-12.6"), platform="linux-x86_64",
                python="3.12", framework_version="2.15")
    message = str(e.value)
    assert "cuda-12.6" in message
    for valid in ("cpu", "cuda-13.0", "cuda-13.2"):
        assert valid in message


def test_without_a_version_the_newest_release_with_that_build_wins():
    default = resolve(default_catalog(), "pytorch", target=parse_target("cuda-12.6"), platform="linux-x86_64",
                      python="3.12")
    assert default.framework_version == "2.14.1"  # 2.15 dropped CUDA 12.6
    rocm = resolve(default_catalog(), "pytorch", target=parse_target("rocm"), platform="linux-x86_64", python="3.12")
    assert (rocm.framework_version, rocm.target.accelerator_version) == ("2.14.1", "7.14")
    newest = resolve(default_catalog(), "pytorch", target=parse_target("cpu"), platform="linux-x86_64", python="3.12")
    assert newest.framework_version == "2.15.0"


@pytest.mark.parametrize("release, variant, platform, python",
                         [c for c in CLAIMS if c.values[1].accelerator == "cuda"])
def test_cuda_pins_carry_the_minimum_driver(release, variant, platform, python):
    pins = _pins(release, variant, platform, python)
    linux, windows = ("525.60.13", "528.33") if variant.version.startswith("12.") else ("580", "580")
    assert (pins.facts["min_driver_linux"], pins.facts["min_driver_windows"]) == (linux, windows)
    driver = windows if platform.startswith("windows") else linux
    assert any(driver in note for note in pins.notes)


@pytest.mark.parametrize("release, variant, platform, python", [
    c for c in CLAIMS if c.values[3] == (c.values[1].python or c.values[0].python)[-1]  # newest Python each
])
def test_every_build_generates_a_project_pinned_to_it(release, variant, platform, python, tmp_path):
    project = scaffold.generate("Pin Check", framework="pytorch", framework_version=release.version,
                                target=_target(variant), platform=platform, python=python, output_dir=tmp_path)
    path = Path(project.path)
    check_project(path)
    pyproject = tomllib.loads((path / "pyproject.toml").read_text())
    assert [r for r in pyproject["project"]["dependencies"] if r.startswith("torch")] == list(variant.requirements)
    requirements = (path / "requirements.txt").read_text()
    readme = (path / "README.md").read_text()
    for note in variant.notes:  # e.g. the minimum NVIDIA driver
        assert note in readme and any(note in step for step in project.next_steps)
    if variant.index:
        url = FW.indexes[variant.index].url
        assert requirements.count(f"--index-url {url}\n") == 1
        assert pyproject["tool"]["uv"]["index"] == [{"name": variant.index, "url": url, "explicit": True}]
        assert pyproject["tool"]["uv"]["sources"] == {"torch": [{"index": variant.index}]}
    else:
        assert "--index-url" not in requirements and "uv" not in pyproject.get("tool", {})
    pinned = (path / "pin_check" / "pinned.py").read_text()
    assert f'ACCELERATOR = "{variant.accelerator}"' in pinned and f'TORCH_VERSION = "{release.version}"' in pinned


# ---- resolution against the real indexes (metadata only) ----

@cache
def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url + "/torch/", method="HEAD"), timeout=5):
            return True
    except OSError:
        return False


def _uv_compile(pins, platform: str, python: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv") or pytest.skip("uv is not installed")
    req = tmp_path / "requirements.in"
    req.write_text("\n".join((*pins.index_lines, *pins.requirements)) + "\n")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "MACOSX_DEPLOYMENT_TARGET": "14.0"}
    # uv reads --index-url lines from the file; keep its own resolution strategy pip-like for indexes.
    return subprocess.run([uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate",
                           "--index-strategy", "unsafe-best-match", "--python-version", python,
                           "--python-platform", UV_PLATFORM[platform], str(req)],
                          check=False, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.network
@pytest.mark.parametrize("release, variant, platform, python", CLAIMS)
def test_pins_resolve_for_their_platform(release, variant, platform, python, tmp_path):
    pins = _pins(release, variant, platform, python)
    if variant.index and not _reachable(FW.indexes[variant.index].url):
        pytest.skip(f"unverified: {FW.indexes[variant.index].url} is unreachable from here")
    result = _uv_compile(pins, platform, python, tmp_path)
    assert result.returncode == 0, result.stderr
    resolved = dict(line.split("==", 1) for line in result.stdout.splitlines() if "==" in line)
    assert Version(resolved["torch"]).public == release.version
    toolkit = resolved.get("cuda-toolkit")
    if variant.accelerator == "cuda" and not variant.index:
        # PyPI's own Linux wheel: its CUDA dependencies must be the CUDA version the catalog claims.
        assert toolkit is not None and Version(toolkit).release[:2] == Version(variant.version).release[:2]
    if variant.accelerator in ("cpu", "mps"):
        assert toolkit is None and not any(name.startswith("nvidia-") for name in resolved)


@pytest.mark.network
@pytest.mark.parametrize("release", FW.releases, ids=lambda r: r.version)
def test_pypi_alone_cannot_satisfy_a_linux_cpu_pin(release, tmp_path):
    """If the CPU index is down, installation fails instead of quietly pulling PyPI's CUDA wheel."""
    pins = _pins(release, next(v for v in release.variants if v.accelerator == "cpu"), "linux-x86_64",
                 release.python[-1])
    result = _uv_compile(dataclasses.replace(pins, index_lines=()), "linux-x86_64", release.python[-1], tmp_path)
    assert result.returncode != 0
    assert f"torch=={release.version}+cpu" in result.stderr
