"""Where the bundled data lives: inside the wheel (``scaffold/_data``) or at the repository root.

May import: the standard library only, nothing of ours; every module that reads ``frameworks/`` or
``templates/`` asks here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def data_root() -> Path:
    """The folder holding ``templates/`` and ``frameworks/``."""
    here = Path(__file__).resolve().parent
    bundled = here / "_data"
    if (bundled / "frameworks").is_dir():
        return bundled
    return here.parent  # a source checkout or an editable install


def frameworks_dir() -> Path:
    return data_root() / "frameworks"


def templates_dir() -> Path:
    return data_root() / "templates"
