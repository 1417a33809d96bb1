"""train -> evaluate -> predict on a table with string labels and missing values, through the command line."""

import csv
import json
import random

import pytest
from conftest import FLOWER_HEADER, PROJECT, flowers, write_csv

from {{ cookiecutter.package_name }}.cli import main


def _fails(argv, capsys, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing on stderr"
    assert err[-1].startswith("error: "), err
    assert "Traceback" not in "\n".join(err), err
    assert message in err[-1], err[-1]
    return err[-1]


@pytest.fixture(scope="module")
def trained(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("flowers")
    data = write_csv(root / "flowers.csv", FLOWER_HEADER, flowers(150))
    model, metrics = root / "model", root / "metrics.json"
    # One grid point keeps the test quick: what is tested here is the data's path, not the tuning.
    config = root / "job.toml"
    config.write_text(
        (PROJECT / "conf" / "job.toml").read_text().replace("reg_params = [0.01, 0.1]", "reg_params = [0.01]")
    )
    args = ["--model-dir", str(model), "--config", str(config)]
    train = ["train", "--data", str(data), "--target", "species", "--task", "classification"]
    assert main([*train, *args, "--metrics", str(metrics)]) == 0
    return {
        "root": root,
        "data": data,
        "args": args,
        "metrics": json.loads(metrics.read_text()),
        "schema": json.loads((model / "schema.json").read_text()),
    }


def test_train_keeps_every_row_and_counts_what_it_imputed(trained):
    metrics = trained["metrics"]
    # Four rows have a missing or broken feature: none is dropped, the numbers are imputed. One row has no
    # label: it is left out, and counted.
    assert metrics["rows"] == 150
    assert metrics["rows_train"] + metrics["rows_test"] == 149
    assert metrics["rows_dropped"] == 1
    assert metrics["values_imputed"] == 3
    assert metrics["accuracy"] > 0.8  # two well-separated numbers; a broken pipeline scores ~0.33
    schema = trained["schema"]
    assert schema["classes"] == ["setosa", "versicolor", "virginica"]
    assert (schema["numeric"], schema["categorical"], schema["ignored"]) == (
        ["petal", "sepal"],
        ["colour"],
        ["flower_id"],
    )
    assert len(schema["data"]["fingerprint"]) == 64


def test_evaluate_scores_the_held_out_rows(trained, tmp_path):
    out = tmp_path / "metrics.json"
    assert main(["evaluate", *trained["args"], "--metrics", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["rows"] == trained["metrics"]["rows_test"]
    assert again["accuracy"] == pytest.approx(trained["metrics"]["accuracy"])


def test_predict_returns_every_row_with_the_datas_own_labels(trained, tmp_path):
    rows = flowers(30, seed=9)
    rows[5][1] = ""
    rows[6][3] = "green"  # a colour never seen in training
    new = write_csv(tmp_path / "new.csv", FLOWER_HEADER[:-1], [r[:-1] for r in rows])
    out = tmp_path / "scored.csv"
    assert main(["predict", "--data", str(new), "--output", str(out), *trained["args"]]) == 0
    with out.open(newline="") as f:
        scored = list(csv.DictReader(f))
    assert len(scored) == 30
    assert {r["prediction"] for r in scored} <= {"setosa", "versicolor", "virginica"}
    assert [r["flower_id"] for r in scored] == [r[0] for r in rows]
    for r in scored:
        total = sum(float(r[f"probability_{c}"]) for c in ("setosa", "versicolor", "virginica"))
        assert total == pytest.approx(1.0)
    right = sum(r["prediction"] == s[-1] for r, s in zip(scored, rows, strict=True))
    assert right >= 20
    # Not a .csv path: a folder of CSV part files, as Spark writes to any storage.
    folder = tmp_path / "scored"
    assert main(["predict", "--data", str(new), "--output", str(folder), *trained["args"]]) == 0
    parts = sorted(folder.glob("part-*.csv"))
    assert parts
    assert sum(len(p.read_text().splitlines()) - 1 for p in parts) == 30


def test_predict_never_overwrites_its_input_or_the_training_data(trained, capsys):
    before = trained["data"].read_bytes()
    _fails(
        ["predict", "--data", str(trained["data"]), "--output", str(trained["data"]), *trained["args"]],
        capsys,
        "refusing to overwrite the input",
    )
    _fails(
        ["predict", "--data", str(trained["data"]), "--output", str(trained["root"]), *trained["args"]],
        capsys,
        "refusing to overwrite",
    )
    assert trained["data"].read_bytes() == before


def test_evaluate_data_maps_labels_through_the_models_classes(trained, tmp_path, capsys):
    # A holdout that lacks a class must not shift the ids of the others.
    rows = [r for r in flowers(60, seed=5) if r[-1] != "setosa"]
    two = write_csv(tmp_path / "two.csv", FLOWER_HEADER, rows)
    out = tmp_path / "m.json"
    assert main(["evaluate", "--data", str(two), "--metrics", str(out), *trained["args"]]) == 0
    assert json.loads(out.read_text())["accuracy"] > 0.7
    rows[0][-1] = "rosa"
    write_csv(two, FLOWER_HEADER, rows)
    _fails(["evaluate", "--data", str(two), *trained["args"]], capsys, "classes the model never saw: 'rosa'")


def test_columns_must_match_the_model(trained, tmp_path, capsys):
    rows = flowers(10)
    missing = write_csv(tmp_path / "m.csv", ["flower_id", "petal", "colour"], [[r[0], r[1], r[3]] for r in rows])
    _fails(
        ["predict", "--data", str(missing), "--output", str(tmp_path / "o.csv"), *trained["args"]],
        capsys,
        "missing columns sepal",
    )
    extra = write_csv(tmp_path / "x.csv", [*FLOWER_HEADER, "notes"], [[*r, "n"] for r in rows])
    _fails(
        ["predict", "--data", str(extra), "--output", str(tmp_path / "o.csv"), *trained["args"]],
        capsys,
        "unexpected columns notes",
    )


def test_a_corrupt_model_is_one_line(trained, tmp_path, capsys):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "schema.json").write_text("{not json")
    _fails(["evaluate", "--model-dir", str(broken)], capsys, "schema.json is corrupt")
    _fails(["evaluate", "--model-dir", str(tmp_path / "none")], capsys, "no model there; run `train` first")


@pytest.mark.parametrize(
    ("rows", "target", "message"),
    [
        ([[i, "a"] for i in range(30)], "label", "single class (a)"),
        ([[i, "a" if i % 2 else "b"] for i in range(30)], "species", "no target column 'species'"),
        ([[i, "a" if i % 2 else "b"] for i in range(3)], "label", "too few rows to split"),
        (
            [[float("inf") if i == 3 else i, "a" if i % 2 else "b"] for i in range(30)],
            "label",
            "numbers too large for a double) in x (1)",
        ),
    ],
)
def test_unusable_tables_are_one_line_and_write_nothing(spark, tmp_path, capsys, rows, target, message):
    data = write_csv(tmp_path / "bad.csv", ["x", "label"], rows)
    _fails(
        [
            "train",
            "--data",
            str(data),
            "--target",
            target,
            "--task",
            "classification",
            "--model-dir",
            str(tmp_path / "model"),
            "--metrics",
            str(tmp_path / "metrics.json"),
        ],
        capsys,
        message,
    )
    assert not (tmp_path / "model").exists()
    assert not (tmp_path / "metrics.json").exists()


def test_a_row_with_missing_fields_is_refused_not_filled_with_nulls(trained, tmp_path, capsys):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(trained["data"].read_text() + "F9999,1.0\n")
    _fails(["evaluate", "--data", str(ragged), *trained["args"]], capsys, "alformed")


def test_a_numeric_column_without_values_is_refused(spark, tmp_path, capsys):
    data = write_csv(tmp_path / "bad.csv", ["x", "y", "label"], [[i, "", "a" if i % 2 else "b"] for i in range(30)])
    _fails(
        [
            "train",
            "--data",
            str(data),
            "--target",
            "label",
            "--task",
            "classification",
            "--numeric",
            "x",
            "--numeric",
            "y",
            "--model-dir",
            str(tmp_path / "model"),
        ],
        capsys,
        "numeric columns with no values at all: y",
    )


def test_regression_from_parquet_with_cross_validation(spark, tmp_path, job_toml):
    rng = random.Random(7)
    rows = []
    for _ in range(160):
        size = rng.uniform(30, 200)
        kind = rng.choice(["flat", "house"])
        rows.append((kind, size, 1000 + 12.5 * size + (300 if kind == "house" else 0) + rng.gauss(0, 40)))
    data = tmp_path / "homes.parquet"
    spark.createDataFrame(rows, "kind string, size double, price double").write.parquet(str(data))
    # One grid point keeps the test quick; the folds are what this test is about.
    job_toml.write_text(job_toml.read_text().replace("reg_params = [0.01, 0.1]", "reg_params = [0.01]"))
    metrics = tmp_path / "metrics.json"
    assert (
        main(
            [
                "train",
                "--config",
                str(job_toml),
                "--data",
                str(data),
                "--target",
                "price",
                "--task",
                "regression",
                "--tuner",
                "cross-validator",
                "--metrics",
                str(metrics),
            ]
        )
        == 0
    )
    result = json.loads(metrics.read_text())
    assert result["r2"] > 0.9
    assert result["rmse"] < 100
