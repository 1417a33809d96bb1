"""The data loaders: the synthetic set and CSV files like the ones you will bring."""

import pytest
import torch

from {{ cookiecutter.package_name }}.data import Standardizer, load_csv, make_spirals, split


def test_spirals_are_balanced_and_deterministic():
    a, b = make_spirals(n_samples=300, num_classes=3, seed=7), make_spirals(n_samples=300, num_classes=3, seed=7)
    assert a.x.shape == (300, 2) and a.num_classes == 3
    assert torch.bincount(a.y).tolist() == [100, 100, 100]
    torch.testing.assert_close(a.x, b.x)


def test_csv_loader_maps_labels_in_sorted_order(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("length,width,label\n1.0,0.5,rose\n2.0,1.5,lily\n3.0,2.5,rose\n")
    data = load_csv(path)
    assert data.class_names == ("lily", "rose")
    assert data.y.tolist() == [1, 0, 1]
    torch.testing.assert_close(data.x, torch.tensor([[1.0, 0.5], [2.0, 1.5], [3.0, 2.5]]))


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n", "no 'label' column"),
    ("a,label\nx,1\n", "not a number"),
    ("a,label\n", "no data rows"),
])
def test_csv_loader_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_csv(path)


def test_split_is_disjoint_and_standardizer_uses_train_statistics():
    data = make_spirals(n_samples=300, seed=0)
    train, val = split(data, 0.25, seed=0)
    assert len(train.y) + len(val.y) == len(data.y) and len(val.y) == 75
    scaled = Standardizer.fit(train.x)(train.x)
    torch.testing.assert_close(scaled.mean(0), torch.zeros(2), atol=1e-5, rtol=0)
    torch.testing.assert_close(scaled.std(0), torch.ones(2), atol=1e-5, rtol=0)
