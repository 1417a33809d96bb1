"""Every (framework, release, target, platform, python) the catalog claims resolves on PyPI with uv.

Combinations whose index cannot be reached from here are reported as unverified (skipped with
the reason), never silently passed.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from scaffold.catalog import default_catalog
from scaffold.models import FRAMEWORK_IDS
from scaffold.pins import resolve
from scaffold.targets import TargetSpec

from .resolution import every_combination, unreachable_indexes, uv_compile

CATALOG = default_catalog()
CASES = [
    pytest.param(fid, release.version, variant, platform, python,
                 id=f"{fid}-{release.version}-{variant.target}-{platform}-py{python}"
                    + "".join(f"-{v}" for v in variant.options.values()))
    for fid in FRAMEWORK_IDS
    for release, variant, platform, python in every_combination(CATALOG, fid)
]


def _pins(fid, version, variant, platform, python):
    spec = TargetSpec(variant.accelerator, variant.version or None)
    return resolve(CATALOG, fid, target=spec, platform=platform, python=python, framework_version=version,
                   options=dict(variant.options))


@pytest.mark.parametrize(("fid", "version", "variant", "platform", "python"), CASES)
def test_claimed_combination_resolves_to_its_own_variant(fid, version, variant, platform, python):
    pins = _pins(fid, version, variant, platform, python)
    assert pins.framework_version == version
    assert pins.target.name == variant.target
    for req in (*pins.requirements, *pins.dev_requirements):
        assert str(Requirement(req).specifier).startswith("=="), req


# tests/test_pins_pytorch.py resolves torch's combinations itself, with more to check (the CUDA
# toolkit each PyPI wheel brings), so it is not resolved twice here.
OWN_RESOLUTION_TESTS = {"pytorch"}


@pytest.mark.network
@pytest.mark.parametrize(("fid", "version", "variant", "platform", "python"),
                         [case for case in CASES if case.values[0] not in OWN_RESOLUTION_TESTS])
def test_claimed_combination_installs_together(tmp_path, fid, version, variant, platform, python):
    pins = _pins(fid, version, variant, platform, python)
    dead = unreachable_indexes(pins)
    if dead:
        pytest.skip(f"unverified: index {', '.join(dead)} is not reachable from this machine")
    result = uv_compile(pins, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
