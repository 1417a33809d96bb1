"""What is particular to PyTorch's pins: one build per variant from its own wheel index (or PyPI's own
wheel), the newest CUDA build for a bare ``cuda``, the minimum driver, and a project pinned to each build.

That every claimed combination resolves to its own variant and resolves with uv is
tests/test_pins_resolve.py's proof for all frameworks; here the same session's proof is read for what
torch's resolution must contain (the CUDA toolkit of PyPI's wheels).
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import scaffold
from scaffold.catalog import default_catalog
from scaffold.errors import TargetError, ToolError
from scaffold.locking import compile_lock, pin_lines
from scaffold.pins import resolve
from scaffold.targets import parse_target

from .generated import check_project

FW = default_catalog().get("pytorch")


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


def test_every_build_comes_from_its_own_index(claims):
    wrong = []
    for fid, release, variant, platform, python, pins in claims:
        if fid != "pytorch":
            continue
        where = f"{release.version} {variant.target} {platform} py{python}"
        (spec,) = _torch_pin(pins).specifier
        if spec.operator != "==" or Version(spec.version).public != release.version:
            wrong.append(f"{where}: torch{spec}")
        if not variant.index:
            if pins.index_lines or pins.uv_sources:
                wrong.append(f"{where}: an index for PyPI's own wheel: {pins.index_lines}")
            continue
        url = FW.indexes[variant.index].url
        if pins.index_lines[:1] != (f"--index-url {url}",):
            wrong.append(f"{where}: index lines {pins.index_lines}")
        if pins.uv_sources.get("torch") != ({"index": variant.index},):
            wrong.append(f"{where}: uv sources {pins.uv_sources}")
        if {"name": variant.index, "url": url, "explicit": True} not in [dict(i) for i in pins.uv_indexes]:
            wrong.append(f"{where}: uv indexes {pins.uv_indexes}")
        # The build label pins the exact build: PyPI has no such version to fall back to.
        if Version(spec.version).local != url.rsplit("/", 1)[1]:
            wrong.append(f"{where}: torch{spec} lacks the index's build label")
    assert not wrong, "\n".join(wrong)


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


def test_cuda_pins_carry_the_minimum_driver(claims):
    wrong = []
    for fid, release, variant, platform, python, pins in claims:
        if fid != "pytorch" or variant.accelerator != "cuda":
            continue
        linux, windows = ("525.60.13", "528.33") if variant.version.startswith("12.") else ("580", "580")
        driver = windows if platform.startswith("windows") else linux
        if (pins.facts["min_driver_linux"], pins.facts["min_driver_windows"]) != (linux, windows) or not any(
                driver in note for note in pins.notes):
            wrong.append(f"{release.version} {variant.target} {platform} py{python}: {pins.facts} {pins.notes}")
    assert not wrong, "\n".join(wrong)


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


# ---- what uv resolved torch's pins to (the session's proof) ----

@pytest.mark.network
def test_pypis_cuda_wheels_bring_the_claimed_toolkit_and_cpu_builds_none(proof):
    builds = {(r.version, v.target): v for r in FW.releases for v in r.variants}
    checked, wrong = 0, []
    for c in proof.combinations:
        if c.framework != "pytorch" or c.outcome != "resolved":
            continue
        variant, resolved = builds[c.release, c.target], dict(c.resolved)
        checked += 1
        if Version(resolved["torch"]).public != c.release:
            wrong.append(f"{c.label}: torch {resolved['torch']}")
        toolkit = resolved.get("cuda-toolkit")
        if variant.accelerator == "cuda" and not variant.index and (
                toolkit is None or Version(toolkit).release[:2] != Version(variant.version).release[:2]):
            # PyPI's own Linux wheel: its CUDA dependencies must be the CUDA version the catalog claims.
            wrong.append(f"{c.label}: cuda-toolkit {toolkit}")
        if variant.accelerator in ("cpu", "mps") and (toolkit or any(n.startswith("nvidia-") for n in resolved)):
            wrong.append(f"{c.label}: a CPU build that brings CUDA: {sorted(resolved)}")
    assert checked and not wrong, "\n".join(wrong) or "no PyTorch combination resolved"


@pytest.mark.network
@pytest.mark.parametrize("release", FW.releases, ids=lambda r: r.version)
def test_pypi_alone_cannot_satisfy_a_linux_cpu_pin(release):
    """If the CPU index is down, installation fails instead of quietly pulling PyPI's CUDA wheel."""
    pins = _pins(release, next(v for v in release.variants if v.accelerator == "cpu"), "linux-x86_64",
                 release.python[-1])
    with pytest.raises(ToolError, match=rf"torch=={release.version}\+cpu"):
        compile_lock(pin_lines(dataclasses.replace(pins, index_lines=())), platform="linux-x86_64",
                     python=release.python[-1], hashes=False)
