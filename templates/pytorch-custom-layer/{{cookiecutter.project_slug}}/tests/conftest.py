"""Small tables written the way users bring them: a header, numeric features, a text label."""

from __future__ import annotations

import math
import random

import pytest


def write_table(path, n=120, labels=("small", "big"), seed=0):
    """``n`` rows of two informative features and one noise column; the label depends on x1 + x2."""
    rng = random.Random(seed)
    lines = ["x1,x2,noise,species"]
    for i in range(n):
        k = i % len(labels)
        angle = 2 * math.pi * k / len(labels)
        x1, x2 = math.cos(angle) * 2 + rng.gauss(0, 0.4), math.sin(angle) * 2 + rng.gauss(0, 0.4)
        lines.append(f"{x1:.4f},{x2:.4f},{rng.random():.4f},{labels[k]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def table_csv(tmp_path):
    return write_table(tmp_path / "flowers.csv", labels=("rose", "lily", "tulip"))


@pytest.fixture
def make_table():
    """:func:`write_table` for tests that need their own sizes or seeds."""
    return write_table
