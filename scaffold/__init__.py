"""scaffold-ml: recommend an ML framework and generate a starter pinned for the target hardware.

The library is the product; the ``scaffold`` command is a thin layer over it. Every function
returns immutable results and raises :class:`ScaffoldError` (never prints, never exits).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import detect, frameworks, generate, recommend, resolve_pins
from .errors import (
    CatalogError,
    DestinationError,
    GenerationError,
    ScaffoldError,
    TargetError,
    ToolError,
    UsageError,
)
from .models import FrameworkInfo, Machine, PinSet, Profile, Project, Ranked, Recommendation, Target

__all__ = [
    "CatalogError",
    "DestinationError",
    "FrameworkInfo",
    "GenerationError",
    "Machine",
    "PinSet",
    "Profile",
    "Project",
    "Ranked",
    "Recommendation",
    "ScaffoldError",
    "Target",
    "TargetError",
    "ToolError",
    "UsageError",
    "__version__",
    "detect",
    "frameworks",
    "generate",
    "recommend",
    "resolve_pins",
]
