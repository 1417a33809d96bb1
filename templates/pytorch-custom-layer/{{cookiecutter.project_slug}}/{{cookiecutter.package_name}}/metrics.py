"""The task's scores, computed with torch alone: accuracy and macro F1, or r2, RMSE and MAE.

Regression scores are on the target's own scale: the network predicts the standardised target, and
:func:`to_original_scale` undoes that with the training rows' mean and standard deviation.
"""

from __future__ import annotations

import torch

from .data import Schema


def to_original_scale(schema: Schema, standardised: torch.Tensor) -> torch.Tensor:
    """A regression output (or target) in the target's own units, as float64."""
    return standardised.double().reshape(-1) * schema.target_std + schema.target_mean


def f1_macro(predicted: torch.Tensor, actual: torch.Tensor, num_classes: int) -> float:
    """The unweighted mean of every class's F1: a rare class counts as much as a common one.

    A class that is neither predicted nor present scores 0, as in scikit-learn's ``zero_division=0``.
    """
    scores = []
    for k in range(num_classes):
        tp = int(((predicted == k) & (actual == k)).sum())
        fp = int(((predicted == k) & (actual != k)).sum())
        fn = int(((predicted != k) & (actual == k)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / num_classes


def task_metrics(schema: Schema, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """Classification: ``accuracy``, ``f1_macro``; regression: ``r2``, ``rmse``, ``mae`` (original scale)."""
    if schema.task == "regression":
        predicted, actual = to_original_scale(schema, outputs), to_original_scale(schema, targets)
        error = predicted - actual
        total = float(((actual - actual.mean()) ** 2).sum())
        return {
            # A constant target has nothing to explain: r2 is 0 then rather than a division by zero.
            "r2": 1.0 - float((error**2).sum()) / total if total > 0 else 0.0,
            "rmse": float(error.pow(2).mean().sqrt()),
            "mae": float(error.abs().mean()),
        }
    predicted = outputs.argmax(1)
    return {
        "accuracy": float((predicted == targets).double().mean()),
        "f1_macro": f1_macro(predicted, targets, schema.num_classes),
    }
