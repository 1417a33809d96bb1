import shutil
import sys
import zipfile

import pytest
from conftest import PROJECT

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    load_config,
    read_spark_properties,
)
from {{ cookiecutter.package_name }}.submit import (
    Submission,
    build_artifacts,
    cluster_problems,
    hadoop_version,
)


def _submission(tmp_path, **kwargs):
    defaults = {
        "cluster": "yarn",
        "job_config": tmp_path / "job.toml",
        "properties": tmp_path / "yarn.conf",
        "py_files": tmp_path / "p.zip",
        "entry": tmp_path / "e.py",
        "job_args": ("--job", "train"),
    }
    return Submission(**{**defaults, **kwargs})


def _conf(command: list[str]) -> dict[str, str]:
    pairs = [command[i + 1] for i, arg in enumerate(command) if arg == "--conf"]
    return dict(pair.split("=", 1) for pair in pairs)


def test_artifacts_hold_the_package_and_its_facts(tmp_path):
    py_files, entry = build_artifacts(tmp_path)
    names = zipfile.ZipFile(py_files).namelist()
    assert "{{ cookiecutter.package_name }}/job.py" in names
    assert "{{ cookiecutter.package_name }}/spark_platform.json" in names
    assert "from {{ cookiecutter.package_name }}.cli import main" in entry.read_text()


def test_client_mode_archive_is_for_the_executors_only(tmp_path):
    # The driver runs here in client mode: pointing it at ./environment/bin/python (which exists only
    # where the archive is unpacked) would fail before the job starts.
    command = _submission(tmp_path, deploy_mode="client", archive=tmp_path / "env.tar.gz").command("spark-submit")
    conf = _conf(command)
    assert conf["spark.pyspark.python"] == "./environment/bin/python"
    assert conf["spark.pyspark.driver.python"] == sys.executable
    assert f"{tmp_path / 'env.tar.gz'}#environment" in command


def test_cluster_mode_ships_the_config_and_uses_the_archive_everywhere(tmp_path):
    command = _submission(
        tmp_path, deploy_mode="cluster", archive=tmp_path / "env.tar.gz", extra=("--queue", "ml")
    ).command("spark-submit")
    assert command[command.index("--files") + 1] == str(tmp_path / "job.toml")
    assert command[-2:] == ["--config", "job.toml"]
    assert _conf(command) == {"spark.pyspark.python": "./environment/bin/python"}
    assert command[command.index("--queue") + 1] == "ml"


def _check(cluster, properties, **kwargs):
    options = {
        "master": properties.get("spark.master", ""),
        "deploy_mode": "cluster",
        "archive": None,
        "environ": {},
        "hadoop": "3.4.1",
    }
    return cluster_problems(cluster, properties, f"conf/{cluster}.conf", **{**options, **kwargs})


def test_kubernetes_as_shipped_says_what_to_fill_in():
    problems = _check("kubernetes", read_spark_properties(PROJECT / "conf" / "kubernetes.conf"))
    text = "; ".join(problems)
    assert "spark.kubernetes.container.image is still" in text
    assert "spark.master is still" in text
    assert "spark.kubernetes.file.upload.path" in text


def test_kubernetes_s3a_upload_needs_hadoop_aws_of_sparks_hadoop_and_credentials():
    properties = {
        "spark.master": "k8s://https://api:6443",
        "spark.kubernetes.container.image": "reg/spark:1",
        "spark.kubernetes.file.upload.path": "s3a://bucket/uploads",
    }
    problems = _check("kubernetes", properties)
    assert any("spark.jars.packages org.apache.hadoop:hadoop-aws:3.4.1" in p for p in problems)
    assert any("credentials" in p for p in problems)
    wrong = {**properties, "spark.jars.packages": "org.apache.hadoop:hadoop-aws:3.3.4"}
    assert any("hadoop-aws 3.3.4 does not match this Spark's Hadoop 3.4.1" in p for p in _check("kubernetes", wrong))
    ready = {
        **properties,
        "spark.jars.packages": "org.apache.hadoop:hadoop-aws:3.4.1",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "some.Provider",
    }
    assert _check("kubernetes", ready) == []
    assert any("spark.driver.host" in p for p in _check("kubernetes", ready, deploy_mode="client"))


def test_yarn_needs_its_client_config_and_executors_python(tmp_path):
    properties = read_spark_properties(PROJECT / "conf" / "yarn.conf")
    problems = _check("yarn", properties)
    assert any("HADOOP_CONF_DIR" in p for p in problems)
    assert any("--archive" in p for p in problems)
    assert _check("yarn", properties, environ={"HADOOP_CONF_DIR": str(tmp_path)}, archive=tmp_path / "e.tgz") == []


def test_hadoop_version_is_read_from_sparks_jars():
    assert hadoop_version() is not None
    assert hadoop_version()[0].isdigit()


def _project(tmp_path, monkeypatch):
    shutil.copytree(PROJECT / "conf", tmp_path / "conf")
    shutil.copytree(PROJECT / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _dry_run(args, tmp_path, capsys):
    status = main(["submit", *args, "--dist", str(tmp_path / "dist"), "--dry-run"])
    captured = capsys.readouterr()
    return status, captured.out.strip().splitlines(), captured.err.strip().splitlines()


def test_submit_local_hands_spark_absolute_file_uris(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path, monkeypatch)
    status, out, _ = _dry_run(["--cluster", "local"], tmp_path, capsys)
    assert status == 0
    command = out[-1].split()
    assert command[0].endswith("spark-submit")
    assert command[command.index("--properties-file") + 1] == str(root / "conf" / "local.conf")
    config = load_config(root / "conf" / "job.toml")
    assert command[command.index("--data") + 1] == (root / config.path).as_uri()
    assert command[command.index("--model-dir") + 1] == (root / "artifacts" / "model").as_uri()
    assert command[command.index("--exclude") + 1] == config.exclude[0]


def test_submit_to_a_cluster_refuses_local_paths_and_takes_uris(tmp_path, monkeypatch, capsys):
    _project(tmp_path, monkeypatch)
    status, out, err = _dry_run(["--cluster", "standalone", "--master", "spark://h:7077"], tmp_path, capsys)
    assert status == 2
    assert out == []
    assert len(err) == 1
    assert err[0].startswith("error: --data 'data/")
    assert "is a path on this machine, but the master is spark" in err[0]
    status, out, _ = _dry_run(
        [
            "--cluster",
            "standalone",
            "--master",
            "spark://h:7077",
            "--data",
            "hdfs://nn/c.csv",
            "--model-dir",
            "hdfs://nn/model",
        ],
        tmp_path,
        capsys,
    )
    assert status == 0
    assert "--data hdfs://nn/c.csv" in out[-1]
    assert "--model-dir hdfs://nn/model" in out[-1]


def test_submit_kubernetes_as_shipped_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    _project(tmp_path, monkeypatch)
    status, out, err = _dry_run(["--cluster", "kubernetes", "--deploy-mode", "cluster"], tmp_path, capsys)
    assert status == 2
    assert out == []
    assert len(err) == 1
    assert "CHANGE-ME" in err[0]


@pytest.mark.parametrize("cluster", ["yarn", "kubernetes"])
def test_submit_predict_needs_data(cluster, tmp_path, monkeypatch, capsys):
    _project(tmp_path, monkeypatch)
    status, _, err = _dry_run(["--cluster", cluster, "--job", "predict"], tmp_path, capsys)
    assert status == 2
    assert err == ["error: submit --job predict needs --data"]
