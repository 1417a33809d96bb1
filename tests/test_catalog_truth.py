"""Each fact once and each fact true: shared companion sets and indexes, no version literal outside the
catalog, and every CUDA variant's stated version against what its pins resolve to."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scaffold.catalog import load_catalog, load_shared, newest_claims
from scaffold.errors import CatalogError
from scaffold.maintain import claim_pythons, companion_check, newest_covering, pins_for

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


def _written_pins():
    """(file, table, requirement) for every requirement a release or variant writes itself."""
    import tomllib

    for path in sorted((ROOT / "frameworks").glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for i, rel in enumerate(doc.get("releases", [])):
            for key in ("requires", "dev_requires"):
                yield from ((path.name, f"releases[{i}].{key}", Requirement(r)) for r in rel.get(key, ()))
            for j, variant in enumerate(rel.get("variants", [])):
                yield from ((path.name, f"releases[{i}].variants[{j}]", Requirement(r))
                            for r in variant.get("requirements", ()))


def test_no_release_writes_again_what_a_companion_set_pins():
    """A set's pin is written in the set only; a release may pin the same distribution itself only to
    override it with another version (TensorFlow 2.19.1's numpy<2.2)."""
    import tomllib

    set_pins = {}
    for path in sorted((ROOT / "frameworks").glob("*.toml")):
        for name, table in tomllib.loads(path.read_text(encoding="utf-8")).get("companions", {}).items():
            for text in table["requires"]:
                req = Requirement(text)
                set_pins[(req.name, str(req.specifier))] = f"{path.name} companions.{name}"
    copies = [f"{file} {where}: {req} (already in {set_pins[(req.name, str(req.specifier))]})"
              for file, where, req in _written_pins() if (req.name, str(req.specifier)) in set_pins]
    assert not copies, "\n".join(copies)
    assert {"numpy", "pyarrow", "nvidia-cudnn-cu12"} <= {name for name, _ in set_pins}  # it reads the sets at all


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
    _edit(frameworks / "sklearn.toml", '"scipy==1.15.3",', '"numpy==2.1.3",\n  "scipy==1.15.3",')
    release = load_catalog(frameworks).get("sklearn").releases[1]
    assert [r for r in release.requires if r.startswith("numpy")] == ["numpy==2.1.3"]


def test_a_set_named_for_one_python_gives_that_pythons_pins_to_all(catalog):
    """sklearn 1.7.2 (3.10-3.13) takes `numpy@3.10`: the set's 3.10 pin, unmarked, so 3.12 gets it too."""
    shared = load_shared().companions
    (release,) = [r for r in catalog.get("sklearn").releases if r.version == "1.7.2"]
    pins = pins_for(catalog, "sklearn", release, release.variants[0], "linux-x86_64", "3.12")
    for name in ("numpy", "pyarrow"):
        (for_310,) = [Requirement(r) for r in shared[name].requires
                      if Requirement(r).marker.evaluate({"python_version": "3.10", "python_full_version": "3.10.0"})]
        (mine,) = [Requirement(r) for r in release.requires if Requirement(r).name == name]
        assert mine.marker is None and mine.specifier == for_310.specifier
        assert str(mine) in pins.requirements


def test_a_set_without_markers_is_the_same_named_for_one_python(catalog, frameworks):
    _edit(frameworks / "sklearn.toml", '"pyarrow@3.10", "parallel"]', '"pyarrow@3.10", "parallel@3.10"]')
    edited = load_catalog(frameworks).get("sklearn").releases[1]
    assert edited.requires == catalog.get("sklearn").releases[1].requires


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
    ("keras.toml", '[companions."jax-cuda13-13.5"]\nrequires = [', '[companions."jax-cuda13-13.5"]\nnewest = "yes"\nrequires = [',
     "keras.toml: companions.jax-cuda13-13.5.newest: expected true/false, got str"),
    ("tensorflow.toml", '[[releases]]',
     '[companions."and-cuda-12.9"]\nrequires = ["nvidia-cudnn-cu12==9.3.0.75"]\nsource = "x"\n\n[[releases]]',
     "tensorflow.toml: companions.and-cuda-12.9: already declared in _tooling.toml"),
    ("sklearn.toml", '"numpy@3.10"', '"numpy@3.9"', "sklearn.toml: releases[1].companions: 'numpy@3.9': '3.9' is not one of 3.10"),
    ("sklearn.toml", '"numpy@3.10"', '"numpyy@3.10"', "sklearn.toml: releases[1].companions: 'numpyy' is not under [companions]"),
    ("_tooling.toml", """'pyarrow==25.0.1; python_version < "3.11"'""", """'pyarrow==25.0.1; sys_platform == "linux"'""",
     "sklearn.toml: releases[1].companions: 'pyarrow@3.10': the set's marker 'sys_platform == \"linux\"' is not only about"),
    ("_tooling.toml", """'pyarrow==25.0.1; python_version < "3.11"'""", """'pyarrow==25.0.1; python_version > "3.14"'""",
     "sklearn.toml: releases[1].companions: 'pyarrow@3.10': none of the set's pins applies on Python 3.10"),
])
def test_bad_shared_tables_are_reported_with_file_and_key(frameworks, file, old, new, message):
    _edit(frameworks / file, old, new)
    with pytest.raises(CatalogError) as e:
        load_catalog(frameworks)
    assert message in str(e.value)


# ---- no version literal outside the catalog ----

def _catalog_pins(catalog) -> list[Requirement]:
    reqs = [*catalog.tooling.values(), *catalog.build_requires,
            *(r for sets in load_shared().companions.values() for r in sets.requires)]
    for fw in catalog.frameworks.values():
        for rel in fw.releases:
            reqs += [*rel.requires, *rel.dev_requires, *(r for v in rel.variants for r in v.requirements)]
    return [Requirement(r) for r in reqs]


def _pinned_distributions(catalog) -> set[str]:
    return {r.name.lower() for r in _catalog_pins(catalog)}


def _code_and_template_lines():
    for root in ("scaffold", "templates"):
        for path in sorted((ROOT / root).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # binary files hold no requirement lines
            for n, line in enumerate(text.splitlines(), 1):
                yield f"{path.relative_to(ROOT)}:{n}", line


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
    found = [f"{where}: {line.strip()}" for where, line in _code_and_template_lines() if literal.search(line)]
    assert not found, "version literals outside frameworks/:\n" + "\n".join(found)


def test_no_catalog_version_of_a_pinned_distribution_in_any_form(catalog):
    """The same for a version the catalog pins written as data another way: `"numpy": "2.4.6"` in a test's
    recorded answer, `numpy>=2.4.6`, `torch = '2.14.1'` are copies that go stale as well. (Prose such as
    "exported with scikit-learn 1.9.1" records where something came from, and stays true.)"""
    versions: dict[str, set[str]] = {}
    for req in _catalog_pins(catalog):
        versions.setdefault(req.name.lower(), set()).update(s.version.split("+")[0] for s in req.specifier)
    patterns = {name: re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])(\[[^\]]*\])?[\"']?\s*(?:[:=<>!~]=?=?)\s*[\"']?("
                                 + "|".join(re.escape(v) for v in sorted(vs, key=len, reverse=True)) + r")(?![\w.])",
                                 re.IGNORECASE) for name, vs in versions.items()}
    found = [f"{where}: {line.strip()}" for where, line in _code_and_template_lines()
             if any(name in line.lower() and pattern.search(line) for name, pattern in patterns.items())]
    assert not found, "catalog versions outside frameworks/:\n" + "\n".join(found)


# ---- `catalog check`: companions the catalog calls the newest ----

RECORDED = ROOT / "tests" / "recorded"


def recorded_pypi(package: str) -> dict:
    """PyPI's JSON answers recorded 2026-12-01, trimmed to the releases from the catalog's oldest pin on and
    one file per (python tag, ABI tag) (tests/recorded/README.md)."""
    return json.loads((RECORDED / f"pypi-{package}.json").read_text(encoding="utf-8"))


def test_newest_covering_reads_requires_python_and_wheel_tags():
    numpy = recorded_pypi("numpy")
    assert newest_covering(numpy, ["3.10"]) == "2.2.6"  # 2.3 needs 3.11
    assert newest_covering(numpy, ["3.11"]) == "2.4.6"  # 2.5 needs 3.12
    assert newest_covering(numpy, ["3.12", "3.14"]) == "2.5.5"
    assert newest_covering(numpy, ["3.10", "3.12"]) == "2.2.6"
    assert newest_covering(recorded_pypi("pyarrow"), ["3.10", "3.11", "3.12", "3.13"]) == "25.0.1"
    assert newest_covering(recorded_pypi("joblib"), ["3.14"]) == "1.6.0"  # py3-none-any
    assert newest_covering({"releases": {"9.0": [{"filename": "x-9.0-cp312-cp312t-linux_x86_64.whl"}]}},
                           ["3.12"]) is None  # a free-threaded wheel does not serve the default CPython


def test_newest_covering_holds_a_claim_to_every_platform_it_names():
    """A version without a Windows wheel is not the newest for a release that claims Windows (issue 31)."""
    def wheel(version: str, plat: str) -> dict:
        return {"filename": f"x-{version}-cp312-cp312-{plat}.whl", "requires_python": ">=3.12"}

    everywhere = ["manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_11_0_arm64", "win_amd64"]
    doc = {"releases": {"9.0": [wheel("9.0", p) for p in everywhere],
                        "9.1": [wheel("9.1", p) for p in everywhere[:3]] + [{"filename": "x-9.1.tar.gz"}]}}
    assert newest_covering(doc, ["3.12"]) == "9.1"
    assert newest_covering(doc, ["3.12"], ["linux-x86_64", "macos-arm64"]) == "9.1"
    assert newest_covering(doc, ["3.12"], ["linux-x86_64", "windows-x86_64"]) == "9.0"  # the sdist does not count
    musl = {"releases": {"9.2": [wheel("9.2", "musllinux_1_2_x86_64")]}}
    assert newest_covering(musl, ["3.12"], ["linux-x86_64"]) is None
    pandas = recorded_pypi("pandas")
    assert newest_covering(pandas, ["3.11", "3.14"], ["linux-aarch64", "windows-x86_64", "macos-arm64"]) == "3.1.2"


def test_every_claim_names_the_platforms_it_must_cover():
    claims = newest_claims()
    assert all(c.platforms for c in claims)
    sklearn = [c for c in claims if c.framework == "sklearn" and c.requirement.startswith("pandas")]
    assert {c.platforms for c in sklearn} == {("linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64")}


def test_the_catalog_claims_newest_where_it_says_so():
    claims = newest_claims()
    by_fw = {c.framework for c in claims}
    # a release that names a set marked newest is held to it, wherever it lives
    assert by_fw == {"sklearn", "pytorch", "keras", "sagemaker", "spark", "tensorflow"}
    assert {c.requirement for c in claims if c.framework == "pytorch"} == set(load_shared().companions["numpy"].requires)
    tomli = [c for c in claims if c.requirement.startswith("tomli")]
    assert [claim_pythons(c) for c in tomli] == [("3.10",)]


def test_the_bundled_companions_are_the_newest(catalog):
    asked = []

    def fetch(package: str) -> dict:
        asked.append(package)
        return recorded_pypi(package)

    assert companion_check(catalog, fetch=fetch) == ()
    assert sorted(asked) == sorted(set(asked))  # once per distribution
    assert {"numpy", "threadpoolctl", "tomli"} <= set(asked)


OLD_SKLEARN = [  # (file, today's pin, the stale one an independent check found in the catalog's history)
    ("sklearn.toml", '"joblib==1.6.0", "threadpoolctl==3.8.0"', '"joblib==1.5.2", "threadpoolctl==3.6.0"'),
    ("sklearn.toml", '"matplotlib==3.10.9"', '"matplotlib==3.10.8"'),
    ("sklearn.toml", '"tomli==2.5.0;', '"tomli==2.3.0;'),
    ("_tooling.toml", "'pyarrow==25.0.1;", "'pyarrow==22.0.0;"),
    ("sklearn.toml", '"pandas==3.1.2"', '"pandas==3.1.1"'),  # issue 31: 3.1.2 came out 2026-11-30
]


def test_check_reports_stale_companions_where_they_are_written(frameworks):
    """A stale pin is reported for each release that gets it, with the table that holds it: the release's
    own requires, a framework's set, or a shared set named for one Python (pyarrow@3.10)."""
    for file, old, new in OLD_SKLEARN:
        _edit(frameworks / file, old, new)
    stale = companion_check(load_catalog(frameworks), ["sklearn"], claims=newest_claims(frameworks),
                            fetch=recorded_pypi)
    assert {(s.release, s.package, s.pinned, s.newest, s.where.split(" releases[")[0]) for s in stale} == {
        ("1.9.1", "joblib", "1.5.2", "1.6.0", "sklearn.toml companions.parallel"),
        ("1.9.1", "threadpoolctl", "3.6.0", "3.8.0", "sklearn.toml companions.parallel"),
        ("1.7.2", "joblib", "1.5.2", "1.6.0", "sklearn.toml companions.parallel"),
        ("1.7.2", "threadpoolctl", "3.6.0", "3.8.0", "sklearn.toml companions.parallel"),
        ("1.7.2", "pyarrow", "22.0.0", "25.0.1", "_tooling.toml companions.pyarrow"),
        ("1.7.2", "matplotlib", "3.10.8", "3.10.9", "sklearn.toml"),
        ("1.7.2", "tomli", "2.3.0", "2.5.0", "sklearn.toml"),
        ("1.9.1", "pandas", "3.1.1", "3.1.2", "sklearn.toml"),
    }
    assert next(s for s in stale if s.package == "tomli").pythons == ("3.10",)
    assert next(s for s in stale if s.package == "pyarrow").pythons == ("3.10", "3.11", "3.12", "3.13")


def test_check_holds_a_shared_set_to_its_promise_per_python(frameworks):
    _edit(frameworks / "_tooling.toml", 'numpy==2.4.6; python_version == "3.11"', 'numpy==2.4.5; python_version == "3.11"')
    stale = companion_check(load_catalog(frameworks), ["pytorch"], claims=newest_claims(frameworks),
                            fetch=recorded_pypi)
    # 2.4.6, not 2.5.5: 2.5 has no Python 3.11 wheel
    assert {(s.release, s.pinned, s.newest, s.pythons, s.where) for s in stale} == {
        (rel, "2.4.5", "2.4.6", ("3.11",), "_tooling.toml companions.numpy") for rel in ("2.15.0", "2.14.1", "2.13.0")}


def test_a_release_without_the_promise_is_not_held_to_it(frameworks):
    _edit(frameworks / "sklearn.toml", "newest = true  #", "newest = false  #")
    claims = [c for c in newest_claims(frameworks) if c.framework == "sklearn"]
    assert {c.release for c in claims} == {"1.9.1", "1.7.2"}
    # 1.9.1's own requires are no longer claimed; the sets it names still promise the newest
    assert {c.where for c in claims if c.release == "1.9.1"} == {
        "_tooling.toml companions.numpy", "_tooling.toml companions.pyarrow", "sklearn.toml companions.parallel"}


# ---- each CUDA variant's stated version against what its pins install ----

def _cuda_cases():
    from scaffold.catalog import default_catalog

    catalog = default_catalog()
    for fw in catalog.frameworks.values():
        if fw.remote_accelerator:
            continue  # its CUDA is the cloud image's, not anything its pins install
        for release in fw.releases:
            for variant in release.variants:
                if variant.accelerator != "cuda":
                    continue
                for platform in variant.platforms:
                    python = (variant.python or release.python)[0]
                    yield pytest.param(fw.id, release, variant, platform, python,
                                       id=f"{fw.id}-{release.version}-{variant.target}-{platform}-{dict(variant.options)}")


RUNTIME = re.compile(r"^(nvidia-cuda-runtime(?:-cu\d+)?|cuda-toolkit)$")


@pytest.mark.network
@pytest.mark.parametrize(("fid", "release", "variant", "platform", "python"), list(_cuda_cases()))
def test_stated_cuda_version_is_what_the_pins_install(proof, fid, release, variant, platform, python):
    """The CUDA runtime uv picks for the variant (in the session's proof of the pins) is the variant's
    `version` (the CUDA a user is told they get), major.minor."""
    (combination,) = [c for c in proof.combinations
                      if (c.framework, c.release, c.target, c.platform, c.python, c.options)
                      == (fid, release.version, variant.target, platform, python, tuple(variant.options.items()))]
    if combination.outcome == "unverified":
        pytest.skip(f"unverified: {combination.detail}")
    assert combination.outcome == "resolved", combination.detail
    found = {name: ".".join(version.split(".")[:2]) for name, version in combination.resolved if RUNTIME.match(name)}
    runtime = next((v for n, v in found.items() if n.startswith("nvidia-cuda-runtime")), found.get("cuda-toolkit"))
    assert runtime is not None, f"no CUDA runtime in the resolution: {combination.resolved}"
    assert runtime == variant.version, f"labelled CUDA {variant.version}, installs {found}"


def test_every_cuda_label_is_a_pinned_runtime(claims):
    """A CUDA variant whose pins reach CUDA through an extra with ranges (jax[cuda13], tensorflow[and-cuda]) pins
    the runtime its label states, so the next NVIDIA wheel changes neither what installs nor the label (issue 31).
    torch's own wheels pin their CUDA exactly (cuda-toolkit==), so a torch pin is its own runtime pin."""
    checked, wrong = 0, []
    for fid, release, variant, platform, _python, pins in claims:
        if variant.accelerator != "cuda" or pins.facts.get("remote") or fid == "sagemaker":
            continue
        reqs = [Requirement(r) for r in pins.requirements]
        if any(r.name == "torch" for r in reqs):
            continue
        runtime = [next(iter(r.specifier)).version for r in reqs if RUNTIME.match(r.name) and r.name != "cuda-toolkit"
                   and len(r.specifier) == 1 and next(iter(r.specifier)).operator == "=="]
        if [".".join(v.split(".")[:2]) for v in runtime] != [variant.version]:
            wrong.append(f"{fid} {release.version} {variant.target} {platform} {dict(variant.options)}: {runtime}")
        checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 20


def test_keras_torch_backend_pins_pytorch_catalogs_own_builds(catalog):
    """Each Keras torch-backend pin is pytorch.toml's requirement for the same target and platform, local
    label included, and from the same index: a bare version beside the PyTorch index would let pip fall back
    to PyPI's multi-GB CUDA wheel."""
    pytorch = catalog.get("pytorch")
    checked = 0
    for variant in (v for r in catalog.get("keras").releases for v in r.variants if v.options["backend"] == "torch"):
        (torch,) = [r for r in variant.requirements if Requirement(r).name == "torch"]
        version = next(iter(Requirement(torch).specifier)).version.split("+")[0]
        (release,) = [r for r in pytorch.releases if r.version == version]
        for platform in variant.platforms:
            (twin,) = [v for v in release.variants if v.target == variant.target and platform in v.platforms]
            assert list(twin.requirements) == [torch], (variant.target, platform)
            assert (twin.index, twin.index_packages) == (variant.index, variant.index_packages), (variant.target, platform)
            checked += 1
    assert checked == 10
