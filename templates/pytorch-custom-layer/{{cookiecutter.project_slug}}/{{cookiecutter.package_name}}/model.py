"""The network: an embedding per categorical column beside the numbers, a linear stem, a stack of custom
:class:`GatedResidual` blocks, a linear head (class logits, or one standardised number for regression)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .data import Schema, embedding_dim
from .layers import GatedResidual, LearnableSwish


class TabularNet(nn.Module):
    """Maps ``numeric (batch, num_numeric)`` and ``categories (batch, len(cardinalities))`` to ``(batch, out)``.

    Each categorical column has its own ``nn.Embedding`` (row 0: a value never seen in training, or a
    missing one); the embeddings are concatenated beside the standardised numbers. ``depth`` is an
    ordinary Python int, so the network can be reshaped per run (or per forward pass, if you need a
    dynamic graph) without any compile step.
    """

    def __init__(
        self,
        num_numeric: int,
        cardinalities: Sequence[int],
        out_features: int,
        width: int = 64,
        depth: int = 3,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(n, embedding_dim(n)) for n in cardinalities)
        in_features = num_numeric + sum(e.embedding_dim for e in self.embeddings)
        self.stem = nn.Sequential(nn.Linear(in_features, width), LearnableSwish(width))
        self.blocks = nn.Sequential(*(GatedResidual(width, dropout=dropout) for _ in range(depth)))
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, out_features))

    def forward(self, numeric: torch.Tensor, categories: torch.Tensor) -> torch.Tensor:
        parts = [numeric, *(embed(categories[:, j]) for j, embed in enumerate(self.embeddings))]
        return self.head(self.blocks(self.stem(torch.cat(parts, dim=1))))


def build_model(schema: Schema, width: int, depth: int, dropout: float) -> TabularNet:
    """The network for the table ``schema`` describes, as training, evaluate and predict all build it."""
    return TabularNet(schema.num_features, schema.cardinalities, schema.num_outputs, width, depth, dropout)
