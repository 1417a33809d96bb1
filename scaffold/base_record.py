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
import io
import json
import re
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STORE = ".scaffold/base.json.gz"
RECORD = ".scaffold.json"
MERGEABLE_BYTES = 1 << 20
# A store holds at most a few hundred kB of text: bounded before and after decompressing, so a gzip bomb
# costs at most this much memory.
STORE_BYTES = 8 << 20
STORE_TEXT_BYTES = 64 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class StoreError(ValueError):
    """Raised when: a base store is there but is not one scaffold-ml wrote (damaged, truncated, too large)."""
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
    # A NUL byte makes git (and any reader) call the file binary: it is compared whole, never merged.
    if Path(rel).suffix.lower() in _DATA_SUFFIXES or len(data) > MERGEABLE_BYTES or b"\0" in data:
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
    """The base entries of a project (path -> {"sha256", "text"}), or None when it has no store; StoreError when
    the store is there but unreadable (the caller reads the project's own files as it sees fit)."""
    path = project / STORE
    try:
        with path.open("rb") as f:
            data = f.read(STORE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StoreError(f"cannot read {STORE}: {e.strerror or e}") from None
    return parse_snapshot(data)


def parse_snapshot(data: bytes) -> dict[str, dict[str, Any]]:
    """A store's entries (path -> {"sha256", "text"}) from its bytes; StoreError for anything scaffold-ml did not
    write: too large (compressed or not), a damaged or truncated gzip stream, JSON that is deep or of the wrong
    shape. Paths are returned as written: whoever acts on them checks them."""
    if len(data) > STORE_BYTES:
        raise StoreError(f"{STORE} is larger than {STORE_BYTES} bytes: not a store scaffold-ml wrote")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            body = f.read(STORE_TEXT_BYTES + 1)  # decompresses at most this much, however the stream claims
        if len(body) > STORE_TEXT_BYTES:
            raise StoreError(f"{STORE} unpacks to more than {STORE_TEXT_BYTES} bytes: not a store scaffold-ml "
                             "wrote")
        doc = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except StoreError:
        raise
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError; EOFError: cut short
        raise StoreError(f"{STORE} is damaged or cut short ({e or type(e).__name__})") from None
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise StoreError(f"{STORE} does not hold the JSON scaffold-ml writes "
                         f"({'nested too deeply' if isinstance(e, RecursionError) else e})") from None
    files = doc.get("files") if isinstance(doc, dict) and doc.get("version") == 1 else None
    if not isinstance(files, dict):
        raise StoreError(f"{STORE} is not a store scaffold-ml wrote (no version 1 \"files\" object)")
    for rel, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and _SHA256.match(entry["sha256"])
                and isinstance(entry.get("text"), str | None)):
            raise StoreError(f"{STORE}: the entry for {rel!r} is not a sha256 and a text")
    return files


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
