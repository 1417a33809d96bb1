"""One local SparkSession for the whole test run (starting a JVM costs seconds), and small tables to train on."""

from __future__ import annotations

import csv
import os
import random
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log4j = (PROJECT / "conf" / "log4j2.properties").as_uri()
    # A test run is one short-lived JVM on tiny tables: the client compiler alone (no C2 threads competing for
    # the cores) and the serial collector cut its CPU time by a third. Not for real jobs: conf/*.conf keep the
    # JVM's defaults, whose optimising compiler pays off on long runs.
    java_options = f"-Dlog4j2.configurationFile={log4j} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", java_options)
        .getOrCreate()
    )
    yield session
    session.stop()


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


FLOWER_HEADER = ["flower_id", "petal", "sepal", "colour", "species"]


def flowers(n: int, seed: int = 3) -> list[list]:
    """Three string-labelled classes told apart by two numbers and a colour, with gaps and garbage in them."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        species = ("setosa", "versicolor", "virginica")[i % 3]
        k = i % 3
        petal = round(1.0 + 2.0 * k + rng.gauss(0, 0.4), 2)
        sepal = round(5.0 + 0.8 * k + rng.gauss(0, 0.5), 2)
        colour = ("white", "blue", "purple")[k] if rng.random() < 0.8 else rng.choice(["white", "blue", "purple"])
        rows.append([f"F{i:04d}", petal, sepal, colour, species])
    # Missing values of every kind: none of these rows may be dropped.
    rows[0][1] = ""  # an empty number
    rows[1][2] = "NaN"  # NaN
    rows[2][3] = ""  # an empty category
    rows[4][1] = "unknown"  # garbage in a numeric column
    rows[7][4] = ""  # no label: cannot be learnt from, left out and counted
    return rows


@pytest.fixture
def job_toml(tmp_path: Path) -> Path:
    """The project's own conf/job.toml with its data path absolute and its outputs in tmp_path."""
    text = (PROJECT / "conf" / "job.toml").read_text(encoding="utf-8")
    bundled = text.split('path = "', 1)[1].split('"', 1)[0]  # [data] path, the first path in the file
    for old, new in (
        (bundled, PROJECT / bundled),
        ("artifacts/model", tmp_path / "model"),
        ("artifacts/metrics.json", tmp_path / "metrics.json"),
        ("artifacts/predictions.csv", tmp_path / "predictions.csv"),
    ):
        text = text.replace(f'"{old}"', f'"{new}"')
    path = tmp_path / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path
