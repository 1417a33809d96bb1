"""The data loaders: synthetic spirals, CSV round trip, clear errors for bad files."""

from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.config import DataConfig
from {{ cookiecutter.package_name }}.data import load_csv, load_dataset, make_spirals, read_csv, split, write_csv


def test_spirals_are_balanced_and_reproducible() -> None:
    first = make_spirals(samples=300, classes=3, seed=1)
    again = make_spirals(samples=300, classes=3, seed=1)
    assert first.features.shape == (300, 2) and first.features.dtype == np.float32
    assert np.bincount(first.labels).tolist() == [100, 100, 100]
    np.testing.assert_array_equal(first.features, again.features)
    assert not np.array_equal(first.features, make_spirals(samples=300, classes=3, seed=2).features)


def test_csv_round_trip(tmp_path: Path) -> None:
    dataset = make_spirals(samples=50, classes=2, seed=3)
    path = write_csv(dataset, tmp_path / "spirals.csv")
    loaded = load_dataset(DataConfig(path=str(path)))
    assert loaded.feature_names == ("x", "y")
    np.testing.assert_array_equal(loaded.labels, dataset.labels)
    np.testing.assert_allclose(loaded.features, dataset.features, atol=1e-6)


def test_unlabelled_csv_reads_features_only(tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n")
    features, labels, names = read_csv(path)
    assert labels is None and names == ("a", "b", "c")
    assert features.tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n", "no 'label' column"),
        ("x,label\n1,oops\n", ":2:"),
        ("x,label\n1,0\n2\n", "1 values, header has 2"),
        ("x,label\n", "no data rows"),
    ],
)
def test_bad_csv_is_reported_with_its_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_csv(path)


def test_split_is_disjoint_and_sized() -> None:
    dataset = make_spirals(samples=100, classes=2, seed=0)
    train, validation = split(dataset, 0.2, seed=0)
    assert (len(train), len(validation)) == (80, 20)
    rows = {tuple(row) for row in np.concatenate([train.features, validation.features]).tolist()}
    assert len(rows) == 100
