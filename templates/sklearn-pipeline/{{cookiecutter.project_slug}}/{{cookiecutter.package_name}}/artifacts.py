"""The saved model and what it was trained on: written whole or not at all, checked when read back."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import joblib
import sklearn

from .runtime import DataError, write_json

MODEL = "model.joblib"
METADATA = "metadata.json"

log = logging.getLogger(__package__)


def ensure_writable(folder: str | Path, what: str = "output folder") -> Path:
    """Create ``folder`` and prove a file can be written there, before any long work starts.

    Trying is the only true test: permission bits say nothing for root, a read-only mount or a full disk.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise DataError(f"{folder}: cannot write the {what} there ({e.strerror or e}); choose another") from None
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(folder: Path, model: Any, metadata: dict[str, Any]) -> None:
    """``model.joblib`` then ``metadata.json`` (with the model's checksum), each replacing the old one whole."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{MODEL}.", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(model, tmp)
        metadata = {**metadata, "model_sha256": _sha256(Path(tmp))}
        os.replace(tmp, folder / MODEL)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    write_json(folder / METADATA, metadata)


def load(folder: str | Path) -> tuple[Any, dict[str, Any]]:
    """The model and its metadata from ``folder``; anything missing, damaged or mismatched is a DataError."""
    folder = Path(folder)
    model_path, meta_path = folder / MODEL, folder / METADATA
    if not model_path.is_file() or not meta_path.is_file():
        raise DataError(f"no trained model in {folder} ({MODEL} and {METADATA}); run `train` first")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        metadata = None
    # A metadata file from an older template (or another tool) has no schema to check the data against.
    if not isinstance(metadata, dict) or not isinstance(metadata.get("schema"), dict):
        raise DataError(f"{meta_path}: not metadata written by `train`; run `train` again")
    # The checksum comes first: joblib.load runs pickle, which must only see the file `train` wrote.
    if _sha256(model_path) != metadata.get("model_sha256"):
        raise DataError(
            f"{model_path}: damaged or not the model described by {METADATA} (checksum differs); run `train` again"
        )
    try:
        # scikit-learn's own version warning is many lines; the one below says the same in one.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            model = joblib.load(model_path)
    except Exception as e:  # noqa: BLE001 - unpickling fails in many ways (EOFError, KeyError, ...); all mean this
        raise DataError(f"{model_path}: not a readable model ({type(e).__name__}); run `train` again") from None
    saved = metadata.get("versions", {}).get("scikit-learn")
    if saved != sklearn.__version__:
        log.warning(
            "%s was saved with scikit-learn %s, this is %s: its predictions may differ; train again to be sure",
            model_path,
            saved,
            sklearn.__version__,
        )
    return model, metadata
