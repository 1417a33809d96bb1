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


def write_mixed_table(path, n=200, task="classification", seed=0):
    """``n`` rows with a numeric column with gaps, a categorical column, a date column and a noise column:
    the target (``species`` classes, or the number ``y``) depends on all three."""
    rng = random.Random(seed)
    effect = {"red": -1.5, "green": 0.0, "blue": 1.5}
    lines = [f"x1,colour,made_on,noise,{'y' if task == 'regression' else 'species'}"]
    for i in range(n):
        colour = rng.choice(list(effect))
        x1 = rng.gauss(0, 1)
        month = rng.randint(1, 12)
        signal = 2 * x1 + effect[colour] + (1.0 if month > 6 else -1.0)
        target = (
            f"{signal * 10 + 50 + rng.gauss(0, 1):.3f}" if task == "regression" else ("high" if signal > 0 else "low")
        )
        shown = "" if i % 10 == 3 else f"{x1:.4f}"
        lines.append(f"{shown},{colour},2024-{month:02d}-{rng.randint(1, 28):02d},{rng.random():.4f},{target}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mixed_table():
    """:func:`write_mixed_table`, for tests that need a table with every kind of column."""
    return write_mixed_table


@pytest.fixture
def as_classifier(monkeypatch):
    """``train`` fits a classifier, whichever task this project was generated for."""
    from {{ cookiecutter.package_name }} import train

    monkeypatch.setattr(train, "REGRESSION", False)


@pytest.fixture
def as_regressor(monkeypatch):
    """``train`` fits a regression model, whichever task this project was generated for."""
    from {{ cookiecutter.package_name }} import train

    monkeypatch.setattr(train, "REGRESSION", True)
