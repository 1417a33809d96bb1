"""Mixed tables, both tasks: numbers with gaps, categories, dates; statistics from the training rows only,
saved in the model, so evaluate and predict take the raw table; what real tables bring is said, not hidden."""

import csv
import json
import logging
import os

import pytest
import torch

from {{ cookiecutter.package_name }}.__main__ import (
    main,
)
from {{ cookiecutter.package_name }}.data import (
    Schema,
    class_labels,
    embedding_dim,
    random_split,
    read_table,
)
from {{ cookiecutter.package_name }}.evaluate import (
    load_model,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)

FAST = ["--epochs", "40", "--device", "cpu"]


def _one_error_line(capsys):
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    return errors[0]


def test_each_column_kind_is_encoded_with_statistics_of_the_training_rows_only(mixed_table, tmp_path):
    table = read_table(mixed_table(tmp_path / "t.csv", n=100, task="regression"))
    train_rows = list(range(50))
    schema = Schema.fit(table, "y", [], train_rows, task="regression")
    assert schema.kinds == ("numeric", "categorical", "date", "numeric")
    assert schema.numeric == (
        ("x1", ""),
        ("made_on", "year"),
        ("made_on", "month"),
        ("made_on", "day"),
        ("made_on", "weekday"),
        ("noise", ""),
    )
    assert schema.indicators == ("x1",)  # the only column with gaps
    x1 = [float(v) for v in table.columns["x1"][:50] if v]
    assert schema.fill[0] == pytest.approx(torch.tensor(x1, dtype=torch.float64).median().item())
    y = torch.tensor([float(v) for v in table.columns["y"][:50]], dtype=torch.float64)
    assert (schema.target_mean, schema.target_std) == pytest.approx((y.mean().item(), y.std().item()))
    encoded = schema.encode(table)
    assert encoded.numeric.shape == (100, 7)
    assert encoded.categories.shape == (100, 1)
    gaps = [i for i, v in enumerate(table.columns["x1"]) if not v]
    assert encoded.numeric[gaps, 6].tolist() == [1.0] * len(gaps)  # the missing indicator
    assert schema.cardinalities == (4,)  # red, green, blue + unknown
    assert embedding_dim(4) == 2


def test_unseen_and_missing_categories_share_the_unknown_row_and_are_counted(mixed_table, tmp_path, caplog):
    table = read_table(mixed_table(tmp_path / "t.csv", n=60))
    schema = Schema.fit(table, "species", [], range(60))
    new = tmp_path / "new.csv"
    new.write_text("x1,colour,made_on,noise\n0.5,purple,2024-01-01,0.1\n0.5,,2024-01-01,0.1\n0.5,red,,0.1\n")
    with caplog.at_level(logging.WARNING):
        encoded = schema.encode(read_table(new), warn=True)
    assert encoded.categories[:, 0].tolist()[:2] == [0, 0]
    assert encoded.categories[2, 0] > 0
    assert encoded.unseen == {"colour": 1}
    assert "column 'colour': 1 value not seen in training (e.g. 'purple'), encoded as unknown" in caplog.text
    assert torch.isfinite(encoded.numeric).all()  # a missing date takes the training medians


def test_a_decimal_target_is_refused_for_a_classifier_and_many_integers_are_a_warning(mixed_table, tmp_path, caplog):
    decimal = tmp_path / "d.csv"
    decimal.write_text("x,y\n" + "".join(f"{i},{i * 1.5}\n" for i in range(30)))
    with pytest.raises(DataError, match=r"decimal numbers .*generate a regression project .*--task tabular-regression"):
        class_labels(read_table(decimal), "y")
    counts = tmp_path / "c.csv"
    counts.write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(30)))
    with caplog.at_level(logging.WARNING):
        class_labels(read_table(counts), "y")
    assert "target 'y' has 30 distinct integer values" in caplog.text


def test_row_ids_and_text_ids_are_flagged(mixed_table, tmp_path, caplog):
    path = tmp_path / "ids.csv"
    path.write_text("id,code,x,y\n" + "".join(f"{100 + i},c{i},{i % 7},{'ab'[i % 2]}\n" for i in range(60)))
    with caplog.at_level(logging.WARNING):
        Schema.fit(read_table(path), "y", [], range(60))
    assert "column 'id' holds unique integers in row order, like a row id" in caplog.text
    assert "column 'code' has 60 distinct values in 60 training rows, like an identifier" in caplog.text


def test_a_huge_number_is_one_line_and_a_fifo_is_not_a_regular_file(mixed_table, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("x,y\n" + "1,a\n2,b\n" * 5 + "9" * 400 + ",a\n")
    table = read_table(path)
    with pytest.raises(DataError, match=r"column 'x' row 11 is '9999.*\(400 characters\)', too large"):
        Schema.fit(table, "y", [], range(11))
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.csv"
        os.mkfifo(fifo)
        with pytest.raises(DataError, match="not a regular file"):
            read_table(fifo)


def test_random_split_is_disjoint_and_covers_every_row():
    split = random_split(100, 0.25, 0.2, seed=1)
    assert sorted(split.train + split.val + split.test) == list(range(100))
    assert (len(split.test), len(split.val)) == (20, 20)
    assert split == random_split(100, 0.25, 0.2, seed=1)


@pytest.mark.usefixtures("as_regressor")
def test_regression_train_evaluate_predict_on_the_raw_table(mixed_table, tmp_path, capsys):
    data = mixed_table(tmp_path / "sales.csv", n=300, task="regression")
    out = tmp_path / "out"
    assert main(["train", "--data", str(data), "--target", "y", "--out-dir", str(out), *FAST]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"r2", "rmse", "mae", "loss", "rows_test"} <= set(metrics)
    assert metrics["r2"] > 0.8, metrics  # the target is a simple function of x1, colour and the month
    _, _, schema, _ = load_model(out / "best.pt")
    assert schema.task == "regression"
    assert schema.categorical == ("colour",)
    assert main(["evaluate", "--model", str(out / "best.pt"), "--device", "cpu"]) == 0
    assert json.loads((out / "metrics.json").read_text())["r2"] == pytest.approx(metrics["r2"])
    new = tmp_path / "new.csv"
    with data.open(newline="") as f:
        rows = list(csv.DictReader(f))[:20]
    with new.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["row_id", "noise", "made_on", "colour", "x1"])
        writer.writerows([[f"r{i}", r["noise"], r["made_on"], r["colour"], r["x1"]] for i, r in enumerate(rows)])
    predictions = tmp_path / "p.csv"
    args = ["predict", "--model", str(out / "best.pt"), "--data", str(new), "--output", str(predictions)]
    assert main([*args, "--drop", "row_id"]) == 0
    with predictions.open(newline="") as f:
        written = list(csv.DictReader(f))
    assert [r["row_id"] for r in written] == [f"r{i}" for i in range(20)]
    errors = [abs(float(p["prediction"]) - float(r["y"])) for p, r in zip(written, rows, strict=True)]
    assert sum(errors) / 20 < 3 * metrics["mae"] + 1
    assert main(args) == 2  # without --drop, an unknown column is refused
    assert "unexpected columns: row_id (pass --drop COLUMN" in _one_error_line(capsys)


@pytest.mark.usefixtures("as_regressor")
def test_a_regression_target_must_be_numbers(mixed_table, tmp_path, capsys):
    data = mixed_table(tmp_path / "t.csv", n=40)
    code = main(["train", "--data", str(data), "--target", "species", "--out-dir", str(tmp_path / "o"), *FAST])
    assert code == 2
    assert "target 'species' has a value that is not a number" in _one_error_line(capsys)


@pytest.mark.usefixtures("as_classifier")
def test_classification_on_a_mixed_table_weighs_a_rare_class(mixed_table, tmp_path):
    data = mixed_table(tmp_path / "t.csv", n=300)
    out = tmp_path / "out"
    assert main(["train", "--data", str(data), "--target", "species", "--out-dir", str(out), *FAST]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.8, metrics
    assert metrics["f1_macro"] > 0.75, metrics
    _, _, schema, _ = load_model(out / "best.pt")
    counts = [sum(r == c for r in class_labels(read_table(data), "species")) for c in schema.class_names]
    assert (schema.class_weights[0] > schema.class_weights[1]) == (counts[0] < counts[1])
