"""What is particular to Spark's pins (PyPI only, the runtime facts the starter prints) and its starter's renders.

That every claim resolves to its own exact pins, and with uv, is tests/test_pins_resolve.py's proof."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scaffold import generate
from scaffold.catalog import default_catalog
from scaffold.errors import TargetError
from scaffold.pins import resolve
from scaffold.targets import TargetSpec

from .generated import check_project


def test_every_claim_pins_numpy_from_pypi_and_states_its_runtime(claims):
    wrong = []
    for fid, release, _, platform, python, pins in claims:
        if fid != "spark":
            continue
        reqs = {Requirement(r).name: Requirement(r) for r in pins.requirements}
        missing = [key for key in ("java", "scala", "numpy_min", "pandas_min", "pyarrow_min") if not pins.facts.get(key)]
        if "numpy" not in reqs or pins.index_lines or missing:  # everything from PyPI
            wrong.append(f"{release.version} {platform} py{python}: {pins.requirements} {pins.index_lines} {missing}")
    assert not wrong, "\n".join(wrong)


def test_every_line_from_3_5_to_4_3_is_claimed():
    versions = {r.version for r in default_catalog().get("spark").releases}
    assert {v.rsplit(".", 1)[0] for v in versions} == {"3.5", "4.0", "4.1", "4.2", "4.3"}


def test_gpu_target_resolves_to_cpu_with_a_note():
    pins = resolve(default_catalog(), "spark", target=TargetSpec("cuda"), platform="linux-x86_64", python="3.11")
    assert pins.target.accelerator == "cpu"
    assert any("CPU" in note for note in pins.notes)


def test_unsupported_python_lists_the_valid_ones():
    with pytest.raises(TargetError, match=r"^--python 3\.12 is not supported by Spark MLlib 3\.5\.\d+; supported: 3\.10, 3\.11$"):
        resolve(default_catalog(), "spark", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.12",
                framework_version="3.5")


# ---- the starter renders, and lints clean, for every cluster option and release (habits 7 and 12) ----

STARTER_FILES = {
    ".github/workflows/ci.yml", ".gitignore", ".scaffold.json", "README.md", "pyproject.toml", "requirements.txt",
    ".github/zizmor.yml", ".pre-commit-config.yaml", ".scaffold/base.json.gz",  # the base layer
    "demo/gpu_check.py", "tests/test_gpu_check.py",  # the base layer
    "conf/job.toml", "conf/local.conf", "conf/standalone.conf", "conf/yarn.conf", "conf/kubernetes.conf",
    "conf/log4j2.properties", "data/README.md", "data/customers.csv",
    "demo/__init__.py", "demo/__main__.py", "demo/check.py", "demo/runtime.py",  # the base layer
    "demo/cli.py", "demo/compat.py", "demo/config.py", "demo/data.py", "demo/job.py", "demo/pipeline.py",
    "demo/sparkerrors.py", "demo/spark_platform.json", "demo/store.py", "demo/submit.py",
    "tests/conftest.py", "tests/test_compat.py", "tests/test_config.py", "tests/test_data.py", "tests/test_job.py",
    "tests/test_pipeline.py", "tests/test_submit.py",
    "tests/test_environment_check.py", "tests/test_runtime.py",  # the base layer
}
CLUSTERS = default_catalog().get("spark").options["cluster"].choices


VERSIONS = [r.version for r in default_catalog().get("spark").releases]


# Every cluster with the newest release, and every release with the first cluster: the cluster picks files and
# settings, the release only the pins (which tests/test_pins_resolve.py holds for every claim).
@pytest.mark.parametrize(("cluster", "version"),
                         [(cluster, VERSIONS[0]) for cluster in CLUSTERS] + [(CLUSTERS[0], v) for v in VERSIONS[1:]])
def test_every_cluster_option_renders_with_its_files(tmp_path, cluster, version):
    release = next(r for r in default_catalog().get("spark").releases if r.version == version)
    project = generate("Demo", framework="spark", target="cpu", framework_version=version, platform="linux-x86_64",
                       python=release.python[-1], options={"cluster": cluster}, output_dir=tmp_path)
    path = Path(project.path)
    check_project(path)
    assert {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()} == STARTER_FILES
    assert f'cluster = "{cluster}"' in (path / "conf" / "job.toml").read_text()
    assert not (path / "conf" / "job.ini").exists()
    # Lint-clean for every option is tests/test_rendered_lint.py's proof, for every starter at once.
