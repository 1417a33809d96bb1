"""Shared fixtures: a small, fast configuration written to a real config.toml, and a labelled table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

# The package sets KERAS_BACKEND on import; import it before anything imports Keras.
import {{ cookiecutter.package_name }}  # noqa: F401
from {{ cookiecutter.package_name }}.config import (
    REGRESSION,
    Config,
    load_config,
)
from {{ cookiecutter.package_name }}.data import (
    make_spirals,
)

#: The bundled table of a regression project (data/README.md), by absolute path: tests write their config elsewhere.
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "used_cars.csv"
DATA = f'path = "{BUNDLED.as_posix()}"\ntarget = "price"\n' if REGRESSION else ""

SMALL_CONFIG = f"""
[data]
{DATA}samples = 900
seed = 7

[model]
hidden_units = [32, 32]
dropout = 0.0

[training]
epochs = 12
batch_size = 32
learning_rate = 0.02
patience = 4
artifacts_dir = "artifacts"

[experiment]
epochs = 3
learning_rate = [0.003, 0.03]
hidden_units = [[16], [32, 32]]
"""

#: String labels whose text order (blue, green, red) differs from the arms' order, so that a label
#: mapped by position instead of by name shows up as a wrong answer.
ARM_NAMES = ("red", "green", "blue")


def pytest_configure(config: pytest.Config) -> None:
    # Keras's TensorFlow backend converts tensors with np.array(tensor), which NumPy 2 reports once per
    # call; it is harmless and would bury the project's own warnings.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    )


def write_config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(SMALL_CONFIG)
    return path


def write_arms(path: Path, samples: int = 900, seed: int = 3) -> Path:
    """Spirals as a user's file: an ``id`` column, the two features, and string labels in ``arm``."""
    points, labels = make_spirals(samples=samples, classes=3, seed=seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "x", "y", "arm"])
        for i, (row, label) in enumerate(zip(points.tolist(), labels.tolist(), strict=True)):
            writer.writerow([f"r{i}", repr(row[0]), repr(row[1]), ARM_NAMES[label]])
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path)
