"""The data layer: tables read exactly, string labels, a three-way split, one clear error per bad file."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.config import (
    DataConfig,
)
from {{ cookiecutter.package_name }}.data import (
    check_columns,
    load_training_table,
    make_spirals,
    read_table,
    spirals_table,
    split,
    training_dataset,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
    EnvironmentProblem,
)


def test_spirals_are_balanced_and_reproducible() -> None:
    first = make_spirals(samples=300, classes=3, seed=1)
    again = make_spirals(samples=300, classes=3, seed=1)
    assert first.features.shape == (300, 2)
    assert first.features.dtype == np.float32
    assert np.bincount(first.labels).tolist() == [100, 100, 100]
    np.testing.assert_array_equal(first.features, again.features)
    assert not np.array_equal(first.features, make_spirals(samples=300, classes=3, seed=2).features)


def test_synthetic_table_is_lossless() -> None:
    config = DataConfig(samples=90)
    dataset = training_dataset(spirals_table(config), "label")
    original = make_spirals(samples=90, classes=3, noise=config.noise, seed=config.seed)
    np.testing.assert_array_equal(dataset.features, original.features)
    np.testing.assert_array_equal(dataset.labels, original.labels)


def test_string_labels_keep_their_values(tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    path.write_text("weight,kind\n4.0,cat\n30,dog\n5.5,cat\n0.1,mouse\n")
    dataset = training_dataset(read_table(path), "kind")
    assert dataset.classes == ("cat", "dog", "mouse")
    assert dataset.labels.tolist() == [0, 1, 0, 2]
    assert dataset.feature_names == ("weight",)


def test_integer_labels_sort_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("a,code\n1,10\n2,2\n3,10\n")
    assert training_dataset(read_table(path), "code").classes == ("2", "10")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty file"),
        (b"x,label\n", "no data rows"),
        (b"x,label\n\xff\xfe,1\n", "not UTF-8"),
        (b"x,y\n1,2\n3,4\n", "no column 'label'"),
        (b"x,label\n1,a\n2,a\n", "one class only"),
        (b"x,label\n1,0\n2\n", ":3: 1 values, the header has 2"),
        (b"x,label\n1,0\n,1\n", "column 'x' has a missing value"),
        (b"x,label\n1,0\nnan,1\n", "'nan', which the network cannot take"),
        (b"x,label\n1,0\ninf,1\n", "'inf', which the network cannot take"),
        (b"x,z,label\n1,a,0\n2,unknown,1\n", "not numeric: 'z' (e.g. 'a' at line 2)"),
        (b"x,x,label\n1,2,0\n", "unique, non-empty name (found x)"),
        (b"x,label\n1,\n2,1\n", "label column 'label' is empty"),
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
    assert training_dataset(read_table(path), "label", drop=["id"]).feature_names == ("x",)
    with pytest.raises(DataError, match="--drop names no such column: idd"):
        training_dataset(read_table(path), "label", drop=["idd"])


def test_split_is_three_way_disjoint_and_stratified() -> None:
    dataset = make_spirals(samples=300, classes=3, seed=0)
    train, validation, test = split(dataset, 0.2, 0.2, seed=0)
    assert (len(train), len(validation), len(test)) == (180, 60, 60)
    ids = [set(part.rows.tolist()) for part in (train, validation, test)]
    assert not ids[0] & ids[1]
    assert not ids[0] & ids[2]
    assert not ids[1] & ids[2]
    assert set().union(*ids) == set(range(300))
    assert np.bincount(test.labels).tolist() == [20, 20, 20]
    again = split(dataset, 0.2, 0.2, seed=0)[2]
    assert again.rows.tolist() == test.rows.tolist()


def test_too_few_rows_for_the_split() -> None:
    dataset = make_spirals(samples=8, classes=4, seed=0)
    with pytest.raises(DataError, match="needs at least 3"):
        split(dataset, 0.2, 0.2, seed=0)


def test_columns_are_checked_by_name(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("y,extra,label\n1,2,3\n")
    with pytest.raises(DataError, match="missing x; unexpected extra"):
        check_columns(read_table(path), ["x", "y"], ["label"])


def test_fingerprint_of_synthetic_data_follows_its_settings() -> None:
    assert load_training_table(DataConfig(seed=1))[1] == load_training_table(DataConfig(seed=1))[1]
    assert load_training_table(DataConfig(seed=1))[1] != load_training_table(DataConfig(seed=2))[1]


def test_parquet_is_read_like_csv(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.5, 2.0, 3.0], "kind": ["a", "b", "a"]}), path)
    dataset = training_dataset(read_table(path), "kind")
    assert dataset.features[:, 0].tolist() == [1.5, 2.0, 3.0]
    assert dataset.classes == ("a", "b")
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
