"""What a project records of its own generation, so ``scaffold update`` can tell the user's edits from ours.

The record is one compressed file in the project, ``.scaffold/base.json.gz``: every generated file's SHA-256
and, for the text files that can be merged (UTF-8, at most 1 MB), the generated text itself. It is the base of
the three-way merge (base = what scaffold-ml generated, ours = the user's file, theirs = the new render). Data
files (the bundled CSVs) are kept as hashes only: they are replaced when untouched, never merged. It reads and
writes only inside the folder it is given (the generator's temporary render, or the project being updated).

May import: the standard library only, nothing of ours (the generator and the updater both import it).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STORE = ".scaffold/base.json.gz"
RECORD = ".scaffold.json"
MERGEABLE_BYTES = 1 << 20
_SKIP = {RECORD, STORE}
_DATA_SUFFIXES = {".csv", ".parquet", ".png", ".jpg", ".jpeg", ".npy", ".gz", ".zip", ".joblib", ".pt", ".keras"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_of(tree: Path) -> dict[str, bytes]:
    """Every regular file under ``tree`` (relative POSIX path -> bytes), the record and the store left out."""
    out = {}
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in _SKIP:
            out[rel] = path.read_bytes()
    return out


def mergeable(rel: str, data: bytes) -> str | None:
    """The text of a file the merge can work on, or None (data, binary, too large)."""
    if Path(rel).suffix.lower() in _DATA_SUFFIXES or len(data) > MERGEABLE_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def snapshot(files: Mapping[str, bytes]) -> bytes:
    """The store's bytes for a freshly generated tree (deterministic: same files, same bytes)."""
    entries = {rel: {"sha256": digest(data), "text": mergeable(rel, data)} for rel, data in sorted(files.items())}
    body = json.dumps({"version": 1, "files": entries}, sort_keys=True, separators=(",", ":")).encode()
    return gzip.compress(body, mtime=0)


def write_snapshot(tree: Path) -> str:
    """Write ``tree``'s store into it; return the store's SHA-256 (what ``.scaffold.json`` records)."""
    data = snapshot(files_of(tree))
    path = tree / STORE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest(data)


def read_snapshot(project: Path) -> dict[str, dict[str, Any]] | None:
    """The base entries of a project (path -> {"sha256", "text"}), or None when it has no readable store."""
    path = project / STORE
    try:
        if not path.is_file() or path.stat().st_size > 64 * MERGEABLE_BYTES:
            return None
        doc = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        return None
    return {rel: entry for rel, entry in files.items()
            if isinstance(rel, str) and isinstance(entry, dict) and isinstance(entry.get("sha256"), str)}
