import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import DataError, column_kinds, load_dataset, read_table


def test_bundled_csv_loads_with_target_and_without_dropped_columns(config):
    features, target = load_dataset(config.data_path, config.target, config.drop)
    assert len(features) == len(target) > 100
    assert config.target not in features.columns
    assert not set(config.drop) & set(features.columns)
    assert target.notna().all()


def test_parquet_gives_the_same_rows_as_csv(config, tmp_path):
    parquet = tmp_path / "data.parquet"
    read_table(config.data_path).to_parquet(parquet)
    from_csv = load_dataset(config.data_path, config.target)
    from_parquet = load_dataset(parquet, config.target)
    pd.testing.assert_frame_equal(from_csv[0].reset_index(drop=True), from_parquet[0].reset_index(drop=True))


def test_rows_without_a_target_are_dropped(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", None, "b"]}).to_csv(path, index=False)
    features, target = load_dataset(path, "y")
    assert list(target) == ["a", "b"] and len(features) == 2


def test_missing_target_column_names_the_columns(config):
    with pytest.raises(DataError, match="not found; columns: .*island"):
        load_dataset(config.data_path, "no_such_column")


def test_unsupported_file_type_is_refused(tmp_path):
    with pytest.raises(DataError, match="unsupported file type"):
        read_table(tmp_path / "data.xlsx")


def test_column_kinds_split_numeric_from_categorical(config):
    features, _ = load_dataset(config.data_path, config.target, config.drop)
    numeric, categorical = column_kinds(features)
    assert "bill_length_mm" in numeric and "island" in categorical and "sex" in categorical
