"""The scores of a run, in NumPy: what ``train`` and ``evaluate`` write to ``metrics.json``."""

from __future__ import annotations

import numpy as np


def classification_scores(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> dict[str, float]:
    """Accuracy and macro F1: every class weighs the same in F1, so a rare class that is never
    predicted pulls it down (accuracy alone would hide it). A class absent from both counts as 0."""
    f1 = []
    for k in range(num_classes):
        tp = float(np.sum((predicted == k) & (labels == k)))
        fp = float(np.sum((predicted == k) & (labels != k)))
        fn = float(np.sum((predicted != k) & (labels == k)))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    present = sorted(set(labels.tolist()) | set(predicted.tolist()))
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "f1_macro": float(np.mean([f1[k] for k in present])),
    }


def regression_scores(values: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """R² (1 is perfect, 0 is predicting the mean), RMSE and MAE on the target's own scale."""
    errors = values - predicted
    total = float(np.sum((values - values.mean()) ** 2))
    return {
        "r2": 1.0 - float(np.sum(errors**2)) / total if total > 0 else 0.0,
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(np.abs(errors))),
    }
