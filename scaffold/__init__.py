"""scaffold-ml: recommend an ML framework and generate a starter pinned for the target hardware.

The library is the product; the ``scaffold`` command is a thin layer over it. Every function
returns immutable results and raises :class:`ScaffoldError` (never prints, never exits).

Names are loaded on first use, so ``import scaffold`` (and ``scaffold --help``) stays cheap.

May import: nothing at import time; a public name loads its module on first use (``api``, ``updater``,
``errors``, ``models``), and only those four.
"""

from __future__ import annotations

# No imports at the top: `scaffold` starts by importing this package, and the sooner its signal
# handlers are in place, the shorter the moment in which a Ctrl-C is Python's traceback, not one line.
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "detect": "api",
    "frameworks": "api",
    "generate": "api",
    "lock": "api",
    "recommend": "api",
    "resolve_pins": "api",
    "update": "updater",
    "UpdateReport": "updater",
    "CatalogError": "errors",
    "DestinationError": "errors",
    "GenerationError": "errors",
    "PythonUnsupported": "errors",
    "ScaffoldError": "errors",
    "TargetError": "errors",
    "ToolError": "errors",
    "UnreachableError": "errors",
    "UsageError": "errors",
    "FrameworkInfo": "models",
    "LockFile": "models",
    "Machine": "models",
    "PinSet": "models",
    "Profile": "models",
    "Project": "models",
    "Ranked": "models",
    "Recommendation": "models",
    "Target": "models",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:  # noqa: F821 - typing is imported only for type checkers (see above)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scaffold' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from typing import Any

    from .api import detect, frameworks, generate, lock, recommend, resolve_pins
    from .errors import (
        CatalogError,
        DestinationError,
        GenerationError,
        PythonUnsupported,
        ScaffoldError,
        TargetError,
        ToolError,
        UnreachableError,
        UsageError,
    )
    from .models import FrameworkInfo, LockFile, Machine, PinSet, Profile, Project, Ranked, Recommendation, Target
    from .updater import UpdateReport, update
