import zipfile

import pytest

from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.submit import Submission, build_artifacts
from conftest import PROJECT


def test_artifacts_hold_the_package_and_its_facts(tmp_path):
    py_files, entry = build_artifacts(tmp_path)
    names = zipfile.ZipFile(py_files).namelist()
    assert "{{ cookiecutter.package_name }}/job.py" in names
    assert "{{ cookiecutter.package_name }}/spark_platform.json" in names
    assert "from {{ cookiecutter.package_name }}.__main__ import main" in entry.read_text()


@pytest.mark.parametrize("cluster", ["local", "standalone", "yarn", "kubernetes"])
def test_dry_run_prints_a_spark_submit_for_each_cluster(cluster, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(PROJECT)
    assert main(["submit", "--cluster", cluster, "--dist", str(tmp_path), "--dry-run"]) == 0
    command = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert command[0].endswith("spark-submit")
    assert command[command.index("--properties-file") + 1] == str(PROJECT / "conf" / f"{cluster}.conf")
    assert command[command.index("--py-files") + 1] == str(tmp_path / "{{ cookiecutter.package_name }}.zip")


def test_cluster_mode_ships_the_job_config_and_packed_env(tmp_path):
    submission = Submission(cluster="yarn", job_config=tmp_path / "job.ini", properties=tmp_path / "yarn.conf",
                            py_files=tmp_path / "p.zip", entry=tmp_path / "e.py", deploy_mode="cluster",
                            archive=tmp_path / "env.tar.gz", extra=("--queue", "ml"))
    command = submission.command("spark-submit")
    assert command[command.index("--files") + 1] == str(tmp_path / "job.ini")
    assert command[-2:] == ["--config", "job.ini"]
    assert f"{tmp_path / 'env.tar.gz'}#environment" in command
    assert "spark.pyspark.python=./environment/bin/python" in command
    assert command[command.index("--queue") + 1] == "ml"
