import json
from pathlib import Path

import pytest
from conftest import PROJECT

from {{ cookiecutter.package_name }}.config import (
    load_config,
    locate,
    read_spark_properties,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)


def test_bundled_config_loads_with_its_cluster_option():
    config = load_config(PROJECT / "conf" / "job.toml")
    header = (PROJECT / config.path).read_text(encoding="utf-8").splitlines()[0].split(",")
    assert config.target in header
    assert set(config.exclude) <= set(header)
    made_for = json.loads((PROJECT / ".scaffold.json").read_text(encoding="utf-8"))["task"]
    assert f"tabular-{config.task}" == made_for
    assert config.cluster == "{{ cookiecutter.options.cluster }}"


def test_scaffold_ml_task_names_are_accepted():
    config = load_config(PROJECT / "conf" / "job.toml", task="tabular-regression")
    assert config.task == "regression"


def test_other_data_infers_its_own_columns():
    # The file's column lists describe the file's data; --data means other data.
    config = load_config(PROJECT / "conf" / "job.toml", path="other.csv", target="y")
    assert (config.path, config.target, config.exclude, config.format) == ("other.csv", "y", (), "auto")
    kept = load_config(PROJECT / "conf" / "job.toml", path="other.csv", exclude=["id"])
    assert kept.exclude == ("id",)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("exclude = ", "exclud = ", r"\[data\] has unknown keys exclud"),
        ("folds = 3", 'folds = "3"', r"\[tuning\] folds = '3': expected int"),
        ("test_fraction = 0.2", "test_fraction = 1.5", r"\[data\] test_fraction = 1.5: expected a number between"),
        ("task = ", 'task = "clustering" #', r"\[data\] task = 'clustering': expected one of auto"),
        ('class_weight = "balanced"', 'class_weight = "auto"', r"\[tuning\] class_weight = 'auto': expected one of"),
        ("[tuning]", "[tunning]", r"\[tuning\]|unknown sections tunning"),
    ],
)
def test_a_wrong_setting_is_named(job_toml, old, new, message):
    job_toml.write_text(job_toml.read_text().replace(old, new, 1))
    with pytest.raises(DataError, match=message):
        load_config(job_toml)


def test_not_toml_is_one_error(tmp_path):
    bad = tmp_path / "job.toml"
    bad.write_text("[data\npath = ")
    with pytest.raises(DataError, match="not valid TOML"):
        load_config(bad)


def test_local_master_gets_absolute_file_uris(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert locate("data/x.csv", "local[*]", "--data") == (tmp_path / "data" / "x.csv").as_uri()
    assert locate("s3a://bucket/x/", "local[*]", "--data") == "s3a://bucket/x/"


@pytest.mark.parametrize("master", ["spark://host:7077", "yarn", "k8s://https://api:6443"])
def test_a_cluster_master_refuses_paths_of_this_machine(master):
    # A relative or absolute path would mean each executor's own disk: the data is not there and the
    # model would be scattered over executors. It must be a URI.
    for path in ("data/customers.csv", "/data/customers.csv"):
        with pytest.raises(DataError, match=r"is a path on this machine.*give a URI"):
            locate(path, master, "--data")
    assert locate("hdfs://nn/data/customers.csv", master, "--data") == "hdfs://nn/data/customers.csv"
    assert locate("file:///shared/customers.csv", master, "--data") == "file:///shared/customers.csv"


@pytest.mark.parametrize("cluster", ["local", "standalone", "yarn", "kubernetes"])
def test_every_cluster_properties_file_parses(cluster):
    properties = read_spark_properties(PROJECT / "conf" / f"{cluster}.conf")
    assert properties["spark.master"]
    assert properties["spark.sql.adaptive.enabled"] == "true"


def test_bad_properties_line_is_reported_with_its_number(tmp_path: Path):
    path = tmp_path / "bad.conf"
    path.write_text("spark.master local[1]\nspark.oops\n")
    with pytest.raises(DataError, match=r"bad.conf:2"):
        read_spark_properties(path)
