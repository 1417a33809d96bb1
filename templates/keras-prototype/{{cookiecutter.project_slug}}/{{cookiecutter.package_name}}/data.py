"""Loading examples: a CSV reader for your own data and a synthetic data set that needs no download.

A CSV file has a header row, numeric feature columns and one integer class column (``label`` by
default, class ids 0, 1, 2, ...). Point ``[data] path`` in config.toml at such a file to train on it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import DataConfig


@dataclass(frozen=True)
class Dataset:
    """Features as float32 rows and their integer class ids."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.features) != len(self.labels):
            raise ValueError(f"{len(self.features)} feature rows but {len(self.labels)} labels")

    @property
    def num_classes(self) -> int:
        return int(self.labels.max()) + 1

    def __len__(self) -> int:
        return len(self.labels)


def make_spirals(samples: int = 1500, classes: int = 3, noise: float = 0.2, seed: int = 42) -> Dataset:
    """Interleaved 2-D spiral arms, one per class: not linearly separable, so hidden layers matter."""
    if samples < classes or classes < 2:
        raise ValueError(f"need classes >= 2 and samples >= classes, got samples={samples}, classes={classes}")
    rng = np.random.default_rng(seed)
    labels = np.arange(samples) % classes
    radius = rng.uniform(0.05, 1.0, samples)
    # Each arm winds through 1.5 turns; the class offsets the starting angle evenly.
    angle = 3.0 * np.pi * radius + 2.0 * np.pi * labels / classes
    angle = angle + rng.normal(0.0, noise, samples)
    features = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    order = rng.permutation(samples)
    return Dataset(features[order].astype("float32"), labels[order].astype("int32"), ("x", "y"))


def read_csv(path: str | Path, label_column: str = "label") -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """Read a CSV into (features, labels or None when the column is absent, feature names)."""
    path = Path(path)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ValueError(f"{path}: empty file") from None
        rows = [row for row in reader if row]
    if not rows:
        raise ValueError(f"{path}: no data rows")
    label_index = header.index(label_column) if label_column in header else None
    feature_names = tuple(name for i, name in enumerate(header) if i != label_index)
    if not feature_names:
        raise ValueError(f"{path}: no feature columns besides {label_column!r}")
    features = np.empty((len(rows), len(feature_names)), dtype="float32")
    labels = np.empty(len(rows), dtype="int32") if label_index is not None else None
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}:{line}: {len(row)} values, header has {len(header)}")
        try:
            values = [float(value) for i, value in enumerate(row) if i != label_index]
            if labels is not None and label_index is not None:
                labels[line - 2] = int(row[label_index])
        except ValueError as error:
            raise ValueError(f"{path}:{line}: {error}") from error
        features[line - 2] = values
    return features, labels, feature_names


def load_csv(path: str | Path, label_column: str = "label") -> Dataset:
    """Read a labelled CSV (see the module docstring for the format)."""
    features, labels, names = read_csv(path, label_column)
    if labels is None:
        raise ValueError(f"{path}: no {label_column!r} column (set [data] label_column in config.toml)")
    if labels.min() < 0:
        raise ValueError(f"{path}: class ids must be 0, 1, 2, ...; found {int(labels.min())}")
    return Dataset(features, labels, names)


def write_csv(dataset: Dataset, path: str | Path, label_column: str = "label") -> Path:
    """Write ``dataset`` in the format :func:`load_csv` reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*dataset.feature_names, label_column])
        for row, label in zip(dataset.features.tolist(), dataset.labels.tolist(), strict=True):
            writer.writerow([f"{value:.6f}" for value in row] + [label])
    return path


def load_dataset(config: DataConfig) -> Dataset:
    """The configured data: the CSV at ``config.path``, or synthetic spirals when it is empty."""
    if config.path:
        return load_csv(config.path, config.label_column)
    return make_spirals(config.samples, config.classes, config.noise, config.seed)


def split(dataset: Dataset, validation_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Shuffle once with ``seed`` and hold out ``validation_fraction`` of the rows for validation."""
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_split must be between 0 and 1, got {validation_fraction}")
    order = np.random.default_rng(seed).permutation(len(dataset))
    cut = len(dataset) - max(1, round(len(dataset) * validation_fraction))
    train, validation = order[:cut], order[cut:]
    return (
        Dataset(dataset.features[train], dataset.labels[train], dataset.feature_names),
        Dataset(dataset.features[validation], dataset.labels[validation], dataset.feature_names),
    )
