from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, load_job_config, read_spark_properties
from conftest import PROJECT


def test_bundled_job_config_resolves_local_paths(job_ini):
    config = load_job_config(PROJECT / "conf" / "job.ini", base=PROJECT)
    assert config.task == "classification"
    assert Path(config.input_path) == PROJECT / "data" / "customers.csv"
    assert config.categorical == ("plan", "region", "contract")
    assert config.cluster in ("local", "standalone", "yarn", "kubernetes")


def test_uris_are_left_alone(tmp_path, job_ini):
    text = job_ini.read_text().replace(f"path = {PROJECT / 'data' / 'customers.csv'}",
                                       "path = s3a://bucket/customers/")
    job_ini.write_text(text)
    assert load_job_config(job_ini).input_path == "s3a://bucket/customers/"


def test_invalid_choice_names_the_key(job_ini):
    job_ini.write_text(job_ini.read_text().replace("task = classification", "task = clustering"))
    with pytest.raises(ConfigError, match=r"\[model\] task = 'clustering': expected one of classification, regression"):
        load_job_config(job_ini)


@pytest.mark.parametrize("cluster", ["local", "standalone", "yarn", "kubernetes"])
def test_every_cluster_properties_file_parses(cluster):
    properties = read_spark_properties(PROJECT / "conf" / f"{cluster}.conf")
    assert properties["spark.master"]
    assert properties["spark.sql.adaptive.enabled"] == "true"


def test_bad_properties_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text("spark.master local[1]\nspark.oops\n")
    with pytest.raises(ConfigError, match=r"bad.conf:2"):
        read_spark_properties(path)
