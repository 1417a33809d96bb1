"""Project names: every name is either refused cleanly or gives a project whose Python and TOML are valid."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold import UsageError, generate
from scaffold.naming import slugify

from .generated import check_project


@pytest.mark.parametrize(("name", "slug", "package"), [
    ("Churn Model", "churn-model", "churn_model"),
    ("my_project", "my-project", "my_project"),
    ("A--b  c", "a-b-c", "a_b_c"),
    ("Model2", "model2", "model2"),
])
def test_slugs(name, slug, package):
    assert slugify(name) == (slug, package)


names = st.text(alphabet=st.sampled_from("aZ9 _-./\\{}%#'\"$`~é\n"), min_size=0, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names)
def test_any_name_is_refused_cleanly_or_generates_valid_files(tmp_path_factory, name):
    out = tmp_path_factory.mktemp("names")
    try:
        project = generate(name, framework="sklearn", target="cpu", platform="linux-x86_64", python="3.12",
                           output_dir=out)
    except UsageError as e:
        assert "\n" not in str(e)
        assert list(out.iterdir()) == []
        return
    path = Path(project.path)
    assert path.parent == out
    check_project(path)
    assert tomllib.loads((path / "pyproject.toml").read_text())["project"]["name"] == path.name


@pytest.mark.parametrize(("name", "framework", "message"), [
    ("scikit-learn", "sklearn", "a package the project installs"),
    ("numpy", "sklearn", "a package the project installs"),
    ("torch", "pytorch", "a package the project installs"),
    ("torch", "sklearn", "a package the project installs"),  # every framework's own package, whatever the starter
    ("pip", "sklearn", "installed with"),
    ("setuptools", "keras", "installed with"),
    ("uv", "sklearn", "installed with"),
    ("hatchling", "sklearn", "installed with"),  # the build backend, from the catalog's build_requires
    ("pytest", "spark", "installed with"),  # the shared tooling pins
    ("sklearn", "sklearn", "imports itself"),  # an import name that is not a distribution name
    ("Data", "sklearn", "top-level folder 'data'"),
    ("Conf", "spark", "top-level folder 'conf'"),
    ("Tests", "pytorch", "top-level folder 'tests'"),
    ("Artifacts", "sklearn", ".gitignore ignores (artifacts/)"),
    ("Build", "sklearn", "installed with"),
    ("Dist", "tensorflow", ".gitignore ignores (dist/)"),
    ("spark warehouse", "spark", ".gitignore ignores (spark-warehouse/)"),
])
def test_names_that_break_their_own_project_are_refused_before_writing(tmp_path, name, framework, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        generate(name, framework=framework, target="cpu", platform="linux-x86_64", python="3.12", output_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_collision_lists_come_from_the_catalog_and_templates(catalog):
    from scaffold.naming import _distributions, _starter_names, _template_imports

    sk = catalog.get("sklearn")
    assert {"scikit-learn", "numpy", "pandas", "pytest", "hatchling"} <= set(_distributions(sk, catalog))
    assert "sklearn" in _template_imports("sklearn-pipeline")
    assert {"data", "tests", "artifacts", "build", "dist", ".venv"} <= set(_starter_names("sklearn-pipeline"))
    assert "conf" in _starter_names("spark-cluster-job") and "conf" not in _starter_names("sklearn-pipeline")


def test_a_name_another_starter_needs_is_fine_here(tmp_path):
    project = generate("Conf", framework="sklearn", target="cpu", output_dir=tmp_path)
    assert Path(project.path).name == "conf"
