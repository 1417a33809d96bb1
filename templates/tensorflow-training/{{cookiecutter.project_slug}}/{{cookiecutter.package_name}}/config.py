"""Every setting of a training run in one place; the CLI overrides fields with flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters and paths of one training run.

    ``data_dir`` of ``None`` trains on synthetic images (see :func:`data.synthetic_images`);
    point it at a folder with one sub-folder of images per class to train on your own data.
    """

    data_dir: Path | None = None
    artifacts_dir: Path = Path("artifacts")
    image_size: int = 16
    channels: int = 1
    num_examples: int = 1536  # synthetic data only
    validation_fraction: float = 0.2
    epochs: int = 5
    batch_size_per_replica: int = 64
    learning_rate: float = 3e-3
    shuffle_buffer: int = 4096
    cpu_replicas: int = 1
    seed: int = 7

    @property
    def checkpoint_dir(self) -> Path:
        return self.artifacts_dir / "checkpoints"

    @property
    def log_dir(self) -> Path:
        return self.artifacts_dir / "logs"

    @property
    def export_dir(self) -> Path:
        return self.artifacts_dir / "export"
