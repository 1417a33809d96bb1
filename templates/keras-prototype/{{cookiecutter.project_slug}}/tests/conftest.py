"""Shared fixtures: a small, fast configuration written to a real config.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

# The package sets KERAS_BACKEND on import; import it before anything imports Keras.
import {{ cookiecutter.package_name }}  # noqa: F401
from {{ cookiecutter.package_name }}.config import Config, load_config

SMALL_CONFIG = """
[data]
samples = 600
seed = 7

[model]
hidden_units = [32, 32]
dropout = 0.0

[training]
epochs = 8
batch_size = 32
learning_rate = 0.02
patience = 3
artifacts_dir = "artifacts"

[experiment]
epochs = 3
learning_rate = [0.003, 0.03]
hidden_units = [[16], [32, 32]]
"""


def pytest_configure(config: pytest.Config) -> None:
    # Keras's TensorFlow backend converts tensors with np.array(tensor), which NumPy 2 reports once per
    # call; it is harmless and would bury the project's own warnings.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(SMALL_CONFIG)
    return path


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path)
