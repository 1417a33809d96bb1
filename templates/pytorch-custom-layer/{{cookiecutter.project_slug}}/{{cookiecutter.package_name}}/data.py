"""Data: a synthetic spiral data set that needs no download, and a CSV loader for your own files.

Both return a :class:`Dataset` of float32 features and int64 class ids. Features are standardised
with statistics of the training split only; the statistics travel in the checkpoint so evaluation
and prediction see inputs on the same scale.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import TensorDataset


@dataclass(frozen=True)
class Dataset:
    """Features ``x`` (n, d), labels ``y`` (n,), and the names of the ``num_classes`` classes."""

    x: torch.Tensor
    y: torch.Tensor
    class_names: tuple[str, ...]

    @property
    def num_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def make_spirals(n_samples: int = 3000, num_classes: int = 3, noise: float = 0.3, seed: int = 0) -> Dataset:
    """Interleaved 2-D spirals, one arm per class: not linearly separable, learnable in seconds."""
    g = torch.Generator().manual_seed(seed)
    per_class = n_samples // num_classes
    xs, ys = [], []
    for k in range(num_classes):
        r = torch.linspace(0.1, 1.0, per_class)
        theta = 2.5 * math.pi * r + 2 * math.pi * k / num_classes
        theta = theta + noise * torch.randn(per_class, generator=g)
        xs.append(torch.stack((r * torch.cos(theta), r * torch.sin(theta)), dim=1))
        ys.append(torch.full((per_class,), k, dtype=torch.int64))
    return Dataset(torch.cat(xs), torch.cat(ys), tuple(f"arm-{k}" for k in range(num_classes)))


def load_csv(path: str | Path, label_column: str = "label") -> Dataset:
    """Read a CSV with a header: numeric feature columns plus one label column (any text or number).

    Labels are mapped to class ids in sorted order of their text, so the same file always gives the
    same mapping; ``Dataset.class_names`` keeps it.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or label_column not in reader.fieldnames:
            raise ValueError(f"{path}: no {label_column!r} column (columns: {reader.fieldnames})")
        feature_columns = [c for c in reader.fieldnames if c != label_column]
        if not feature_columns:
            raise ValueError(f"{path}: needs at least one feature column besides {label_column!r}")
        rows, labels = [], []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append([float(row[c]) for c in feature_columns])
            except (TypeError, ValueError) as e:
                raise ValueError(f"{path}:{line}: a feature is not a number ({e})") from e
            labels.append(row[label_column])
    if not rows:
        raise ValueError(f"{path}: no data rows")
    class_names = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(class_names)}
    x = torch.tensor(rows, dtype=torch.float32)
    y = torch.tensor([index[label] for label in labels], dtype=torch.int64)
    return Dataset(x, y, class_names)


def split(data: Dataset, val_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Shuffle with ``seed`` and cut off ``val_fraction`` for validation (identical on every rank)."""
    n = len(data.y)
    n_val = max(1, int(n * val_fraction))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val, train = order[:n_val], order[n_val:]
    return (Dataset(data.x[train], data.y[train], data.class_names),
            Dataset(data.x[val], data.y[val], data.class_names))


@dataclass(frozen=True)
class Standardizer:
    """Per-feature ``(x - mean) / std`` fitted on training data."""

    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor) -> Standardizer:
        # A constant column would divide by zero; leave it centred but unscaled.
        return cls(x.mean(0), x.std(0).clamp_min(1e-8))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def to_tensor_dataset(data: Dataset, standardize: Standardizer) -> TensorDataset:
    return TensorDataset(standardize(data.x), data.y)
