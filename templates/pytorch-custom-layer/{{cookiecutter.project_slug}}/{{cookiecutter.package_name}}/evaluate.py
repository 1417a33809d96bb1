"""Score a saved checkpoint on a data set (by default the run's own validation split)."""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import DataLoader

from . import checkpoint
from .data import Standardizer, split, to_tensor_dataset
from .device import autocast_dtype, select_device
from .model import ResidualClassifier
from .train import TrainConfig, evaluate, load_data


def evaluate_checkpoint(path: str | Path, data: str | None = None, device: str = "auto") -> dict[str, float]:
    """Loss and accuracy of the checkpoint at ``path``; ``data`` is a CSV scored in full instead."""
    state = checkpoint.load(Path(path))
    cfg = TrainConfig(**state["config"])
    if data:
        cfg.data = data
        dataset = load_data(cfg)
    else:
        dataset = split(load_data(cfg), cfg.val_fraction, cfg.seed)[1]
    if dataset.num_features != state["num_features"]:
        raise ValueError(f"the data has {dataset.num_features} features, the model expects {state['num_features']}")
    model = ResidualClassifier(state["num_features"], len(state["class_names"]), cfg.width, cfg.depth)
    model.load_state_dict(state["model"])
    dev = select_device(device)
    loader = DataLoader(to_tensor_dataset(dataset, Standardizer(state["feature_mean"], state["feature_std"])), 512)
    loss, accuracy = evaluate(model.to(dev), loader, dev, autocast_dtype(dev, cfg.amp))
    return {"loss": loss, "accuracy": accuracy, "samples": float(len(dataset.y))}
