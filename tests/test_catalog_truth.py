"""Each fact once and each fact true: shared companion sets and indexes, no version literal outside the
catalog, and every CUDA variant's stated version against what its pins resolve to."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scaffold.catalog import load_catalog, load_shared
from scaffold.errors import CatalogError

from .conftest import ROOT


@pytest.fixture
def frameworks(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "frameworks", tmp_path / "frameworks")
    return tmp_path / "frameworks"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---- companion sets and indexes, declared once ----

def test_numpy_per_python_is_written_once():
    """The per-Python NumPy pins live in _tooling.toml only; the framework files name the set."""
    line = re.compile(r"""numpy==2\.5\.5; python_version""")
    holders = [p.name for p in sorted((ROOT / "frameworks").glob("*.toml")) if line.search(p.read_text())]
    assert holders == ["_tooling.toml"]


def test_a_release_that_names_a_set_gets_its_pins(catalog):
    numpy = load_shared().companions["numpy"]
    assert numpy.newest and numpy.source
    for release in catalog.get("pytorch").releases:
        assert [r for r in release.requires if Requirement(r).name == "numpy"] == list(numpy.requires)


def test_the_tensorflow_cuda_wheels_are_one_set(catalog):
    tf = catalog.get("tensorflow")
    lists = {rel.version: [r for v in rel.variants if v.accelerator == "cuda" for r in v.requirements
                           if r.startswith("nvidia-")] for rel in tf.releases}
    assert len(lists["2.21.0"]) == 12 and lists["2.21.0"] == lists["2.20.0"]
    assert "nvidia-cuda-runtime-cu12==12.9.79" in lists["2.21.0"]
    assert lists["2.19.1"] != lists["2.20.0"]  # its own, older CUDA 12.5 list


def test_own_pin_overrides_the_shared_one(frameworks):
    _edit(frameworks / "sklearn.toml", 'version = "1.7.2"', 'version = "1.7.2"\ncompanions = ["numpy"]')
    release = load_catalog(frameworks).get("sklearn").releases[1]
    # sklearn 1.7.2 pins numpy==2.2.6 itself (one NumPy for 3.10-3.13), so none of the set's pins joins it
    assert [r for r in release.requires if r.startswith("numpy")] == ["numpy==2.2.6"]


def test_pytorch_indexes_are_shared_by_pytorch_and_keras(catalog):
    shared = load_shared().indexes
    for fid in ("pytorch", "keras"):
        fw = catalog.get(fid)
        used = {v.index for rel in fw.releases for v in rel.variants if v.index}
        assert used and used <= set(shared), fid
        assert {name: fw.indexes[name] for name in used} == {name: shared[name] for name in used}
    assert catalog.get("sklearn").indexes == {}  # a framework lists only the indexes it uses
    for name in ("keras.toml", "pytorch.toml"):
        assert "[indexes." not in (ROOT / "frameworks" / name).read_text(), name


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("pytorch.toml", 'companions = ["numpy"]', 'companions = ["numpyy"]',
     "pytorch.toml: releases[0].companions: 'numpyy' is not under [companions]"),
    ("_tooling.toml", "'numpy==2.5.5; python_version >= \"3.12\"'", "'numpy=>2.5.5'",
     "_tooling.toml: companions.numpy.requires: invalid requirement 'numpy=>2.5.5'"),
    ("keras.toml", "[[releases]]", '[indexes.pytorch-cpu]\nurl = "https://example.org/simple"\n\n[[releases]]',
     "keras.toml: indexes.pytorch-cpu: already declared in _tooling.toml"),
    ("tensorflow.toml", '[companions."and-cuda-12.9"]\nrequires = [', '[companions."and-cuda-12.9"]\nnewest = "yes"\nrequires = [',
     "tensorflow.toml: companions.and-cuda-12.9.newest: expected true/false, got str"),
])
def test_bad_shared_tables_are_reported_with_file_and_key(frameworks, file, old, new, message):
    _edit(frameworks / file, old, new)
    with pytest.raises(CatalogError) as e:
        load_catalog(frameworks)
    assert message in str(e.value)


# ---- no version literal outside the catalog ----

def _pinned_distributions(catalog) -> set[str]:
    reqs = [*catalog.tooling.values(), *catalog.build_requires,
            *(r for sets in load_shared().companions.values() for r in sets.requires)]
    for fw in catalog.frameworks.values():
        for rel in fw.releases:
            reqs += [*rel.requires, *rel.dev_requires, *(r for v in rel.variants for r in v.requirements)]
    return {Requirement(r).name.lower() for r in reqs}


def test_the_pinned_distributions_are_the_catalogs(catalog):
    names = _pinned_distributions(catalog)
    assert {"numpy", "torch", "scikit-learn", "tensorflow", "keras", "pyspark", "sagemaker-core", "pytest",
            "threadpoolctl", "nvidia-cuda-runtime-cu12"} <= names


def test_no_version_literal_of_a_pinned_distribution_in_code_or_templates(catalog):
    """A version lives in frameworks/ only: `name==X.Y` of anything the catalog pins may not appear in
    scaffold/ or templates/ (a copy there goes stale the day the catalog moves)."""
    names = sorted(_pinned_distributions(catalog), key=len, reverse=True)
    literal = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in names) + r")(\[[^\]]*\])?\s*==\s*\d",
                         re.IGNORECASE)
    found = []
    for root in ("scaffold", "templates"):
        for path in sorted((ROOT / root).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # binary files hold no requirement lines
            found += [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
                      if literal.search(line)]
    assert not found, "version literals outside frameworks/:\n" + "\n".join(found)
