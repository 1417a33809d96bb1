"""Writing a file whole or not at all: the one writer for every file scaffold-ml replaces in place.

A reader (or a crash, or Ctrl-C) sees the old bytes or the new ones, never half of them, and the temporary
file beside the target never outlives the call: it is removed on any failure, an interrupt included.

May import: the standard library and :mod:`interrupts` (itself stdlib-only), nothing else of ours: the
generator, the updater and the proof of the pins all write through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .interrupts import critical

# A new file's mode: what `touch` gives under the usual umask 022. An existing file keeps its own mode.
NEW_FILE_MODE = 0o644


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one rename; the folder must exist.

    Raises OSError as the file system does; then ``path`` is as it was and no temporary file is left.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp: str | None = None
    try:
        with critical():  # a signal between creating the temporary file and remembering its name would orphan it
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".scaffold-tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            with critical():
                Path(tmp).unlink(missing_ok=True)
