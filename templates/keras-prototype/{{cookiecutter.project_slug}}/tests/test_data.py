"""The data layer: tables read exactly, columns typed, labels kept, a three-way split, one clear error per bad file."""

import logging
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.config import (
    REGRESSION,
    DataConfig,
)
from {{ cookiecutter.package_name }}.data import (
    check_columns,
    features_of,
    infer_schema,
    load_training_table,
    make_spirals,
    read_table,
    spirals_table,
    split,
    training_dataset,
    used_cars_table,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
    EnvironmentProblem,
)

classification_only = pytest.mark.skipif(REGRESSION, reason="a classifier's labels")


def test_spirals_are_balanced_and_reproducible() -> None:
    points, labels = make_spirals(samples=300, classes=3, seed=1)
    again, _ = make_spirals(samples=300, classes=3, seed=1)
    assert points.shape == (300, 2)
    assert points.dtype == np.float32
    assert np.bincount(labels).tolist() == [100, 100, 100]
    np.testing.assert_array_equal(points, again)
    assert not np.array_equal(points, make_spirals(samples=300, classes=3, seed=2)[0])


def test_synthetic_table_is_lossless() -> None:
    config = DataConfig(samples=90)
    dataset = training_dataset(spirals_table(config), "label")
    points, labels = make_spirals(samples=90, classes=3, noise=config.noise, seed=config.seed)
    np.testing.assert_array_equal(dataset.features.numeric, points)
    np.testing.assert_array_equal(dataset.target.astype("int32"), labels)


def test_columns_are_typed_from_their_values(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "mixed.csv"
    rows = [f"{i},{i % 3 * 1.5},{'yes' if i % 2 else 'no'},2024-0{i % 9 + 1}-1{i % 10},x{i},5" for i in range(30)]
    rows[4] = "4,NA,,2024-05-14,x4,5"  # missing cells: NA and empty
    rows[7] = "7,unknown,yes,,x7,5"  # one stray word in a numeric column is read as missing
    path.write_text("id,size,owner,bought,code,label\n" + "\n".join(rows) + "\n")
    table = read_table(path)
    with caplog.at_level(logging.WARNING):
        schema = infer_schema(table, ["id", "size", "owner", "bought", "code"])
        features = features_of(table, schema)
    assert (schema.numeric, schema.categorical, schema.dates) == (("id", "size"), ("owner", "code"), ("bought",))
    assert schema.numeric_inputs[2:] == ("bought_year", "bought_month", "bought_day", "bought_dayofweek")
    assert np.isnan(features.numeric[4, 1])
    assert np.isnan(features.numeric[7, 1])
    assert features.numeric[5].tolist()[2:] == [2024, 6, 15, 5]  # 2024-06-15 was a Saturday
    assert np.isnan(features.numeric[7, 2:]).all()
    assert features.categorical[4, 0] is None
    assert features.categorical[3, 0] == "yes"
    log = caplog.text
    assert "column 'size' has 1 value(s) that are not numbers (e.g. 'unknown' at line 9)" in log
    assert "column 'id' holds unique, monotonic integers, like a row id" in log
    assert "column 'code' has a distinct value in every row (30), like an identifier" in log


def test_generated_used_cars_have_every_kind_of_column() -> None:
    table = used_cars_table(200, seed=1)
    schema = infer_schema(table, [name for name in table.header if name != "price"])
    assert schema.dates == ("listed",)
    assert schema.categorical == ("fuel", "body")
    assert np.isnan(features_of(table, schema).numeric).any()
    assert used_cars_table(200, seed=1).rows == table.rows


@classification_only
def test_string_labels_keep_their_values(tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    path.write_text("weight,kind\n4.0,cat\n30,dog\n5.5,cat\n0.1,mouse\n")
    dataset = training_dataset(read_table(path), "kind")
    assert dataset.classes == ("cat", "dog", "mouse")
    assert dataset.labels.tolist() == [0, 1, 0, 2]
    assert dataset.feature_names == ("weight",)


@classification_only
def test_integer_labels_sort_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("a,code\n1,10\n2,2\n3,10\n")
    assert training_dataset(read_table(path), "code").classes == ("2", "10")


@classification_only
def test_a_decimal_target_needs_a_regression_project(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("a,price\n1,10.5\n2,3\n3,4.25\n")
    with pytest.raises(DataError, match=re.escape("--task tabular-regression")):
        training_dataset(read_table(path), "price")


@classification_only
def test_many_integer_classes_are_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("a,count\n" + "".join(f"{i},{i * 7}\n" for i in range(30)))
    with caplog.at_level(logging.WARNING):
        assert training_dataset(read_table(path), "count").num_classes == 30
    assert "30 distinct integer values" in caplog.text
    assert "--task tabular-regression" in caplog.text


def test_rows_without_a_target_are_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("a,label\n1,0\n2,\n3,1\n4,NA\n5,1\n")
    with caplog.at_level(logging.WARNING):
        dataset = training_dataset(read_table(path), "label")
    assert dataset.rows.tolist() == [0, 2, 4]
    assert "2 row(s) have no value in 'label' and are left out" in caplog.text


def test_a_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        read_table(fifo)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty file"),
        (b"x,label\n", "no data rows"),
        (b"x,label\n\xff\xfe,1\n", "not UTF-8"),
        (b"x,y\n1,2\n3,4\n", "no column 'label'"),
        (b"x,label\n1,a\n2,a\n", "not a number" if REGRESSION else "one class only"),
        (b"x,label\n1,0\n2\n", ":3: 1 values, the header has 2"),
        (b"x,label\n1,0\ninf,1\n", "'inf', which is not a finite number"),
        (b"x,label\n1,0\n" + b"9" * 400 + b",1\n", "'999999999999'... (400 characters), which is not a finite"),
        (b"x,label\n1,0\n1e39,1\n", "beyond float32"),
        (b"x,y,label\n1,,0\n2,NA,1\n", "column 'y' has no values at all"),
        (b"x,x,label\n1,2,0\n", "unique, non-empty name (found x)"),
        (b"x,label\n1,\n2,NA\n", "target column 'label' has no values"),
    ],
)
def test_bad_tables_are_refused_with_a_reason(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(message)):
        training_dataset(read_table(path), "label")


def test_drop_names_real_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id,x,label\na,1,0\nb,2,1\n")
    with pytest.raises(DataError, match="the target 'label' is also in --drop"):
        training_dataset(read_table(path), "label", drop=["label"])
    assert training_dataset(read_table(path), "label", drop=["id"]).feature_names == ("x",)
    with pytest.raises(DataError, match="--drop names no such column: idd"):
        training_dataset(read_table(path), "label", drop=["idd"])


@classification_only
def test_split_is_three_way_disjoint_and_stratified() -> None:
    dataset = training_dataset(spirals_table(DataConfig(samples=300, seed=0)), "label")
    train, validation, test = split(dataset, 0.2, 0.2, seed=0)
    assert (len(train), len(validation), len(test)) == (180, 60, 60)
    ids = [set(part.rows.tolist()) for part in (train, validation, test)]
    assert not ids[0] & ids[1]
    assert not ids[0] & ids[2]
    assert not ids[1] & ids[2]
    assert set().union(*ids) == set(range(300))
    assert np.bincount(test.target).tolist() == [20, 20, 20]
    again = split(dataset, 0.2, 0.2, seed=0)[2]
    assert again.rows.tolist() == test.rows.tolist()


def test_too_few_rows_for_the_split() -> None:
    dataset = training_dataset(spirals_table(DataConfig(samples=8, classes=4, seed=0)), "label")
    with pytest.raises(DataError, match="needs at least"):
        split(dataset, 0.2, 0.2, seed=0)


def test_columns_are_checked_by_name(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("y,extra,label\n1,2,3\n")
    with pytest.raises(DataError, match="missing x; unexpected extra"):
        check_columns(read_table(path), ["x", "y"], ["label"])


@classification_only
def test_fingerprint_of_synthetic_data_follows_its_settings() -> None:
    assert load_training_table(DataConfig(seed=1))[1] == load_training_table(DataConfig(seed=1))[1]
    assert load_training_table(DataConfig(seed=1))[1] != load_training_table(DataConfig(seed=2))[1]


def test_parquet_is_read_like_csv(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.5, 2.0, 3.0], "kind": ["a", "b", "a"]}), path)
    table = read_table(path)
    assert features_of(table, infer_schema(table, ["x"])).numeric[:, 0].tolist() == [1.5, 2.0, 3.0]
    assert table.column("kind") == ["a", "b", "a"]
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_table(path)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(EnvironmentProblem, match="pip install pyarrow"):
        read_table(path)
