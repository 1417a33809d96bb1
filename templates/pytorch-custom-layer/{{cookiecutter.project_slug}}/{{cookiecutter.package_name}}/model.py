"""The classifier: a linear stem, a stack of custom :class:`GatedResidual` blocks, a linear head."""

from __future__ import annotations

import torch
from torch import nn

from .layers import GatedResidual, LearnableSwish


class ResidualClassifier(nn.Module):
    """Maps ``(batch, in_features)`` to ``(batch, num_classes)`` logits.

    ``depth`` is an ordinary Python int, so the network can be reshaped per run (or per forward
    pass, if you need a dynamic graph) without any compile step.
    """

    def __init__(
        self, in_features: int, num_classes: int, width: int = 64, depth: int = 3, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(in_features, width), LearnableSwish(width))
        self.blocks = nn.Sequential(*(GatedResidual(width, dropout=dropout) for _ in range(depth)))
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))
