"""One local SparkSession for the whole test run: starting a JVM costs seconds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("tests")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false")
               .getOrCreate())
    yield session
    session.stop()


@pytest.fixture
def job_ini(tmp_path: Path) -> Path:
    """The project's own conf/job.ini with outputs redirected into tmp_path."""
    text = (PROJECT / "conf" / "job.ini").read_text(encoding="utf-8")
    text = text.replace("path = data/customers.csv", f"path = {PROJECT / 'data' / 'customers.csv'}")
    text = text.replace("model_dir = artifacts/model", f"model_dir = {tmp_path / 'model'}")
    text = text.replace("metrics = artifacts/metrics.json", f"metrics = {tmp_path / 'metrics.json'}")
    path = tmp_path / "job.ini"
    path.write_text(text, encoding="utf-8")
    return path
