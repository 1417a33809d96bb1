"""Project names: every name is either refused cleanly or gives a project whose Python and TOML are valid."""

from __future__ import annotations

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
