"""What every task's training run shares on disk: fresh runs that keep the old one, and numbered exports.

* :func:`move_aside`: a new ``train`` never deletes or resumes an earlier run by accident; its
  checkpoints and TensorBoard logs move to ``artifacts/previous-<n>/``.
* :func:`save_export` / :func:`latest_export`: SavedModels go to numbered folders (``export/1``,
  ``export/2``, ...), the layout TensorFlow Serving watches: it serves the highest number and picks up
  new ones as training writes them. Each holds a ``metadata.json`` beside the SavedModel (what it was
  trained on), which ``evaluate`` and ``predict`` check; TensorFlow Serving ignores it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tensorflow as tf

from .runtime import DataError, write_json

SIGNATURE = "serving_default"
METADATA = "metadata.json"


def move_aside(artifacts_dir: Path, checkpoint_dir: Path, log_dir: Path) -> Path | None:
    """Move an earlier run's checkpoints and logs to ``artifacts/previous-<n>/``; nothing is deleted."""
    if not (checkpoint_dir.exists() and any(checkpoint_dir.iterdir())):
        return None
    number = 1
    while (artifacts_dir / f"previous-{number}").exists():
        number += 1
    target = artifacts_dir / f"previous-{number}"
    target.mkdir()
    for folder in (checkpoint_dir, log_dir):
        if folder.exists():
            folder.rename(target / folder.name)
    return target


def _latest_version(export_dir: Path) -> int:
    versions = [int(p.name) for p in export_dir.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0)


def latest_export(export_dir: Path) -> Path:
    """The newest numbered export under ``export_dir``."""
    version = _latest_version(export_dir)
    if version == 0:
        raise DataError(f"no SavedModel under {export_dir}: run `train` first, or pass --model")
    return export_dir / str(version)


def save_export(module: tf.Module, serve: Any, export_dir: Path, metadata: Mapping[str, Any]) -> Path:
    """Save ``module`` with ``serve`` as its ``serving_default`` signature as the next numbered export.

    It is written under a temporary name, with ``metadata.json`` beside it, and renamed when complete,
    so a server watching ``export_dir`` never loads half a model.
    """
    path = export_dir / str(_latest_version(export_dir) + 1)
    partial = export_dir / f".partial-{path.name}"
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted export of ours
    tf.saved_model.save(module, str(partial), signatures={SIGNATURE: serve})
    write_json(partial / METADATA, dict(metadata))
    os.replace(partial, path)
    return path
