"""The catalog loads, validates, and reports every problem with its file and key path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scaffold.catalog import load_catalog
from scaffold.errors import CatalogError
from scaffold.models import FRAMEWORK_IDS

from .conftest import ROOT


def test_all_six_frameworks_load(catalog):
    assert list(catalog.frameworks) == list(FRAMEWORK_IDS)
    for fw in catalog.frameworks.values():
        assert fw.rules, f"{fw.id} has no recommender weights"
        assert (ROOT / "templates" / fw.starter).is_dir() or not fw.releases, fw.starter


def test_every_fact_has_a_source(catalog):
    for fw in catalog.frameworks.values():
        for rule in fw.rules:
            assert rule.source.startswith("FRAMEWORKS.md"), rule
        for release in fw.releases:
            assert release.source and release.released, (fw.id, release.version)
            for variant in release.variants:
                assert variant.source, (fw.id, release.version, variant.target)
                for req in variant.requirements + release.requires:
                    assert Requirement(req).specifier, f"{req} is not pinned"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "frameworks", tmp_path / "frameworks")
    return tmp_path / "frameworks"


def test_errors_are_collected_with_file_and_key_path(broken):
    sk = broken / "sklearn.toml"
    text = sk.read_text()
    text = text.replace('when = { experience = "beginner" }', 'when = { experience = "wizard" }', 1)
    text = text.replace('accelerator = "cpu"', 'accelerator = "tpu"', 1)
    text = text.replace('"scipy==1.17.1"', '"scipy>>1"', 1)
    sk.write_text(text)
    (broken / "keras.toml").unlink()
    with pytest.raises(CatalogError) as e:
        load_catalog(broken)
    message = str(e.value)
    assert "sklearn.toml: recommend.rules[0].when.experience: 'wizard' is not one of beginner" in message
    assert "sklearn.toml: releases[0].variants[0].accelerator: 'tpu' is not one of cpu, cuda, rocm, mps" in message
    assert "sklearn.toml: releases[0].requires: invalid requirement 'scipy>>1'" in message
    assert "keras.toml: missing" in message


def test_a_caution_with_a_positive_score_is_refused(broken):
    sk = broken / "spark.toml"
    sk.write_text(sk.read_text().replace("score = -2.0\ncaution", "score = 2.0\ncaution", 1))
    with pytest.raises(CatalogError, match=r"spark.toml: recommend.rules\[\d+\].score: a caution with score 2.0"):
        load_catalog(broken)


def test_malformed_toml_names_the_file(broken):
    (broken / "pytorch.toml").write_text("id = [")
    with pytest.raises(CatalogError, match="pytorch.toml"):
        load_catalog(broken)
