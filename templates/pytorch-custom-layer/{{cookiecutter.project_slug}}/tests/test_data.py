"""Tables as users bring them: columns by name, labels through the saved classes, bad data as one clear error."""

import logging

import pytest
import torch

from {{ cookiecutter.package_name }}.data import (
    Schema,
    class_labels,
    make_spirals,
    read_table,
    stratified_split,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
    EnvironmentProblem,
)


def _schema(path, target="species", ignore=()):
    table = read_table(path)
    split = stratified_split(class_labels(table, target), 0.2, 0.2, seed=0)
    return table, Schema.fit(table, target, list(ignore), split.train)


def test_spirals_are_balanced_and_deterministic():
    a, b = make_spirals(n_samples=300, num_classes=3, seed=7), make_spirals(n_samples=300, num_classes=3, seed=7)
    assert a.num_rows == 300
    assert list(a.columns) == ["x1", "x2", "label"]
    assert sorted(a.columns["label"]).count("arm-0") == 100
    assert a.columns == b.columns
    assert a.fingerprint == b.fingerprint


def test_split_is_disjoint_stratified_and_covers_every_row():
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    split = stratified_split(labels, 0.25, 0.2, seed=1)
    parts = [set(split.train), set(split.val), set(split.test)]
    assert sum(map(len, parts)) == 100
    assert set().union(*parts) == set(range(100))
    assert not (parts[0] & parts[1])
    assert not (parts[0] & parts[2])
    assert not (parts[1] & parts[2])
    assert sum(labels[i] == "c" for i in split.test) == 4  # 20% of each class
    assert split == stratified_split(labels, 0.25, 0.2, seed=1)
    assert split != stratified_split(labels, 0.25, 0.2, seed=2)


def test_features_are_matched_by_name_not_position(tmp_path, table_csv):
    table, schema = _schema(table_csv)
    lines = table_csv.read_text().splitlines()
    # The same rows with the columns in another order.
    order = [3, 2, 1, 0]
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join(",".join(line.split(",")[i] for i in order) for line in lines) + "\n")
    other = read_table(shuffled)
    schema.check_columns(other, need_target=True)
    torch.testing.assert_close(schema.encode(other).numeric, schema.encode(table).numeric)


def test_a_table_with_other_columns_is_refused_naming_them(tmp_path, table_csv):
    _, schema = _schema(table_csv)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(table_csv.read_text().replace("x2,noise", "height,noise", 1))
    with pytest.raises(DataError, match=r"missing columns: x2; unexpected columns: height"):
        schema.check_columns(read_table(renamed), need_target=True)


def test_labels_go_through_the_saved_classes_even_when_a_class_is_absent(tmp_path, table_csv):
    _, schema = _schema(table_csv)
    assert schema.class_names == ("lily", "rose", "tulip")
    holdout = tmp_path / "holdout.csv"  # no "lily" rows: sorting this file's own labels would shift every id
    holdout.write_text("x1,x2,noise,species\n1,2,0.5,tulip\n2,1,0.5,rose\n")
    assert schema.labels_of(read_table(holdout)).tolist() == [2, 1]
    unseen = tmp_path / "unseen.csv"
    unseen.write_text("x1,x2,noise,species\n1,2,0.5,orchid\n")
    with pytest.raises(DataError, match="'orchid', a class the model was not trained on"):
        schema.labels_of(read_table(unseen))


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path, table_csv):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + table_csv.read_bytes())
    assert next(iter(read_table(path).columns)) == "x1"


def test_integer_labels_keep_numeric_order(tmp_path):
    path = tmp_path / "digits.csv"
    path.write_text("a,y\n" + "".join(f"{i},{label}\n" for i, label in enumerate([10, 2, 1] * 4)))
    _, schema = _schema(path, target="y")
    assert schema.class_names == ("1", "2", "10")


def test_a_stray_value_in_a_numeric_column_is_named_and_filled(tmp_path, table_csv, caplog):
    text = table_csv.read_text().splitlines()
    text[5] = text[5].replace(text[5].split(",")[2], "unknown", 1)
    text[7] = "," + text[7].split(",", 1)[1]  # an empty x1 cell
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(text) + "\n")
    with caplog.at_level(logging.WARNING):
        table, schema = _schema(path)
    assert "noise" in schema.features  # still numeric, not dropped, not a category
    assert "column 'noise': 1 not a number (e.g. 'unknown' in row 5)" in caplog.text
    assert "column 'x1': 1 missing of 120 values; filled with the training median" in caplog.text
    assert table.num_rows == 120  # nothing dropped
    assert torch.isfinite(schema.encode(table).numeric).all()


def test_text_columns_are_categories_with_their_own_vocabulary(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("island,x,species\n" + "".join(f"{'ab'[i % 2]}sland,{i},{'pq'[i % 2]}\n" for i in range(12)))
    _, schema = _schema(path)
    assert schema.kinds == ("categorical", "numeric")
    assert set(schema.vocabularies[0]) == {"asland", "bsland"}
    _, schema = _schema(path, ignore=["island"])
    assert schema.features == ("x",)
    assert schema.ignored == ("island",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"x,species\n", "no data rows"),
        (b"x,species\n1,caf\xe9\n", "not UTF-8"),
        (b"x,x,species\n1,2,a\n", "appears twice"),
        (b"x,species\n1,a\n2\n", "bad.csv:3: 1 fields, the header has 2"),
    ],
)
def test_unreadable_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_table(path)


@pytest.mark.parametrize(
    ("rows", "target", "message"),
    [
        ("x,species\n" + "1,a\n" * 9, "species", "single class"),
        ("x,species\n1,a\n2,a\n3,a\n4,b\n", "species", "classes with fewer than 3 rows: 'b' \\(1\\)"),
        ("x,species\n1,a\n2,b\n", "label", "no target column 'label'"),
        ("x,species\n1,a\n,b\n2,\n", "species", "row 3 has no 'species' value"),
        ("x,species\n" + "1,a\n2,b\n" * 3 + "inf,a\n", "species", "infinite"),
    ],
)
def test_unusable_data_is_refused(tmp_path, rows, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    with pytest.raises(DataError, match=message):
        _schema(path, target=target)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 not really")
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)
    with pytest.raises(EnvironmentProblem, match="pip install pyarrow"):
        read_table(path)


def test_parquet_tables_read_like_csv(tmp_path, table_csv):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is optional; `pip install pyarrow` for Parquet")
    import pyarrow.csv

    path = tmp_path / "flowers.parquet"
    pq.write_table(pyarrow.csv.read_csv(table_csv), path)
    table, schema = _schema(path)
    csv_table, csv_schema = _schema(table_csv)
    assert schema.class_names == csv_schema.class_names
    torch.testing.assert_close(schema.encode(table).numeric, csv_schema.encode(csv_table).numeric)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 40)
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_table(broken)
