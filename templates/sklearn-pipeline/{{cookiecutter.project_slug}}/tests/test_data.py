"""Reading and checking tables: every kind of bad data is one line and exit status 2, and nothing is
changed without a word."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import (
    Schema,
    features_for,
    labels_for,
    prepare_training,
    read_table,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)


def small_table(rows: int = 60) -> pd.DataFrame:
    """A table a model learns easily: the label follows ``size``; ``colour`` is categorical."""
    rng = np.random.default_rng(0)
    size = rng.normal(size=rows)
    return pd.DataFrame(
        {
            "size": size,
            "weight": rng.normal(size=rows),
            "colour": rng.choice(["red", "blue", "green"], size=rows),
            "label": np.where(size > 0, "big", "small"),
        }
    )


def test_bundled_csv_loads_with_target_and_without_dropped_columns(config):
    prepared, schema = prepare_training(
        read_table(config.data_path), config.target, config.task, config.drop, config.data_path
    )
    assert len(prepared.features) == len(prepared.target) > 100
    assert config.target not in prepared.features.columns
    assert not set(config.drop) & set(prepared.features.columns)
    assert "bill_length_mm" in schema.numeric
    assert {"island", "sex"} <= set(schema.categorical)


def test_parquet_gives_the_same_features_as_csv(config, tmp_path):
    parquet = tmp_path / "data.parquet"
    read_table(config.data_path).to_parquet(parquet)
    from_csv = prepare_training(read_table(config.data_path), config.target, config.task, (), config.data_path)
    from_parquet = prepare_training(read_table(parquet), config.target, config.task, (), parquet)
    assert from_csv[1] == from_parquet[1]
    pd.testing.assert_frame_equal(from_csv[0].features, from_parquet[0].features)


def test_rows_without_a_target_are_counted_and_logged(tmp_path, caplog):
    table = small_table()
    table.loc[[3, 7], "label"] = None
    with caplog.at_level(logging.WARNING):
        prepared, _ = prepare_training(table, "label", "classification", (), "t.csv")
    assert prepared.unlabelled == 2
    assert len(prepared.target) == 58
    assert 3 not in prepared.features.index  # row ids stay the file's: row 3 is not renumbered away
    assert "2 row(s) have no value in 'label'" in caplog.text


def test_a_stray_word_in_a_numeric_column_is_missing_not_a_category(config, caplog):
    # The old template made such a column categorical (a one-hot column per distinct number), silently.
    table = read_table(config.data_path)
    table["bill_length_mm"] = table["bill_length_mm"].astype(object)
    table.loc[17, "bill_length_mm"] = "unknown"
    with caplog.at_level(logging.WARNING):
        prepared, schema = prepare_training(table, config.target, config.task, config.drop, config.data_path)
    assert "bill_length_mm" in schema.numeric
    assert prepared.coerced == {"bill_length_mm": 1}
    assert np.isnan(prepared.features.loc[17, "bill_length_mm"])
    assert "'bill_length_mm'" in caplog.text
    assert "'unknown'" in caplog.text
    assert "row 17" in caplog.text


def test_a_text_column_stays_categorical(config):
    table = small_table()
    table["colour"] = ["1", "2", "three"] * 20  # a third are words: categories, not a numeric column
    _, schema = prepare_training(table, "label", "classification", (), "t.csv")
    assert "colour" in schema.categorical


def test_integer_labels_with_gaps_keep_their_integer_values():
    table = small_table()
    table["label"] = np.where(table["size"] > 0, 1.0, 2.0)
    table.loc[5, "label"] = np.nan  # what pandas reads from an integer column with an empty cell
    prepared, _ = prepare_training(table, "label", "classification", (), "t.csv")
    assert prepared.target.dtype == "int64"
    assert set(prepared.target) == {1, 2}


def test_labels_to_score_are_matched_to_the_models_own_classes():
    schema = Schema(("size",), (), "label")
    # A hold-out without the class "b" and labels read as text: still the model's values, not renumbered.
    frame = pd.DataFrame({"size": [1.0, 2.0], "label": ["3", "1"]})
    labels, _ = labels_for(frame, schema, "classification", [1, 2, 3], "h.csv")
    assert list(labels) == [3, 1]
    with pytest.raises(DataError, match="'9'.* not classes of the model"):
        labels_for(pd.DataFrame({"size": [1.0], "label": [9]}), schema, "classification", [1, 2, 3], "h.csv")


def test_features_are_matched_by_name_and_mismatches_named():
    schema = Schema(("size", "weight"), ("colour",), "label", ("id",))
    reordered = pd.DataFrame({"colour": ["red"], "id": [7], "weight": [2.0], "size": [1.0]})
    assert list(features_for(reordered, schema, "p.csv").features.columns) == ["size", "weight", "colour"]
    with pytest.raises(DataError, match="missing feature column\\(s\\) 'weight'.*unexpected column\\(s\\) 'wieght'"):
        features_for(pd.DataFrame({"size": [1.0], "wieght": [2.0], "colour": ["red"]}), schema, "p.csv")
    passed = features_for(
        pd.DataFrame({"size": [1.0], "weight": [2.0], "colour": ["red"], "note": ["x"]}),
        schema,
        "p.csv",
        ignore=("note",),
    )
    assert "note" not in passed.features.columns


def write(path, text: bytes | str) -> str:
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def _good_csv(tmp_path, name="good.csv") -> str:
    path = tmp_path / name
    small_table().to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: write(p / "empty.csv", ""), "is empty"),
        (lambda p: write(p / "blank.csv", "\n\n"), "no columns"),
        (lambda p: write(p / "header.csv", "size,colour,label\n"), "no rows (only a header"),
        (lambda p: write(p / "latin1.csv", "size,label\n1,caf\xe9\n2,th\xe9\n".encode("latin-1")), "not UTF-8"),
        (lambda p: write(p / "broken.parquet", b"PAR1\x00\x01garbage"), "not a readable Parquet file"),
        (lambda p: write(p / "data.xlsx", "x"), "unsupported file type"),
        (lambda p: str(p / "missing.csv"), "not found"),
        (lambda p: write(p / "one.csv", "size,label\n" + "".join(f"{i},a\n" for i in range(30))), "single class"),
        (
            lambda p: write(p / "lonely.csv", "size,label\n" + "".join(f"{i},a\n" for i in range(30)) + "99,b\n"),
            "class 'b' of 'label' has only one row",
        ),
        (
            lambda p: write(p / "few.csv", "size,label\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(10))),
            "fewer than cv_folds = 5",
        ),
        (
            lambda p: write(p / "nan.csv", "size,empty,label\n" + "".join(f"{i},,{'ab'[i % 2]}\n" for i in range(30))),
            "'empty' have no values at all",
        ),
        (
            lambda p: write(
                p / "inf.csv", "size,label\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(30)) + "inf,a\n"
            ),
            "'size' has 1 infinite value",
        ),
        (
            lambda p: write(p / "frac.csv", "size,label\n" + "".join(f"{i},{i / 7}\n" for i in range(30))),
            "fractional numbers",
        ),
        (lambda p: write(p / "notarget.csv", "size,kind\n1,a\n2,b\n"), "target column 'label' not found"),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "non-utf8",
        "corrupt-parquet",
        "xlsx",
        "missing",
        "single-class",
        "class-of-one",
        "fewer-rows-than-folds",
        "all-nan-column",
        "inf",
        "fractional-labels",
        "no-target",
    ],
)
def test_bad_training_data_is_one_line_and_exit_2(fails, workdir, tmp_path, make, message):
    line = fails("train", "--data", make(tmp_path), "--target", "label", "--cv-folds", "5")
    assert message in line
    assert not (workdir / "artifacts" / "model.joblib").exists()  # nothing half-written


def test_a_misspelled_drop_entry_names_the_column(fails, workdir):
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace('drop = ["year"]', 'drop = ["yeer"]'))
    line = fails("train")
    assert "'yeer'" in line
    assert "does not have" in line


def test_with_data_the_configs_drop_list_does_not_apply_but_drop_does(cli_run, fails, workdir, tmp_path):
    data = _good_csv(tmp_path)
    # [data] drop = ["year"] belongs to the penguins table; this one has no "year" and still trains.
    status, err = cli_run("train", "--data", data, "--target", "label")
    assert status == 0, err
    line = fails("train", "--data", data, "--target", "label", "--drop", "wieght")
    assert "'wieght'" in line
