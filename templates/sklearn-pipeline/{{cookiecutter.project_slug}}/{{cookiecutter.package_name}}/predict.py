"""Predict for new rows with the saved model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .config import Config
from .data import read_table
from .evaluate import load_model


def predict(config: Config, input_path: str | Path, output_path: str | Path) -> pd.DataFrame:
    """Add a ``prediction`` column (and ``proba_<class>`` columns for classifiers) and write CSV."""
    model = load_model(config)
    frame = read_table(input_path)
    features = frame.drop(columns=[c for c in (config.target, *config.drop) if c in frame.columns])
    out = frame.copy()
    out["prediction"] = model.predict(features)
    if config.task == "classification":
        for label, column in zip(model.classes_, model.predict_proba(features).T):
            out[f"proba_{label}"] = column.round(4)
    out.to_csv(output_path, index=False)
    return out
