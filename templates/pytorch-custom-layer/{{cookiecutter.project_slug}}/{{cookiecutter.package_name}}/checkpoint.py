"""Checkpoints: everything needed to resume training, evaluate or predict, in one ``torch.save`` file.

Files hold only tensors and plain Python values, so they load with ``weights_only=True`` (torch's
safe loader, which refuses to run pickled code from an untrusted file).
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .runtime import DataError

REQUIRED = ("model", "config", "schema", "split", "data_fingerprint")


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel and/or torch.compile wrappers."""
    model = getattr(model, "module", model)  # DistributedDataParallel
    return getattr(model, "_orig_mod", model)  # torch.compile


def save(path: Path, **state: Any) -> None:
    """Write atomically: a crash mid-write never leaves a truncated checkpoint behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path: str | Path) -> dict[str, Any]:
    """A checkpoint written by this project; anything else (missing, truncated, foreign) is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no model file; run `train` first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise DataError(f"{path}: not a readable checkpoint ({type(e).__name__}); train again") from None
    if not isinstance(state, dict) or any(key not in state for key in REQUIRED):
        raise DataError(f"{path}: not a checkpoint of this project (it lacks {', '.join(REQUIRED)})")
    return state
