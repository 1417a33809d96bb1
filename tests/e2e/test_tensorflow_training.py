"""End to end: generate the TensorFlow starter for the CPU, install its pins into a fresh venv,
train, run the project's own tests (the harness), then use the trained project as a person would:
write an image folder, train on it through the real loader, and classify files with the export."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import prove_starter

pytestmark = pytest.mark.e2e


def test_tensorflow_training_on_cpu(tmp_path: Path) -> None:
    prove_starter(tmp_path, framework="tensorflow", target="cpu")
