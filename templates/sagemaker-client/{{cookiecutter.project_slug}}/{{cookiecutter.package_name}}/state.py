"""Names of the last job, model and endpoint, so later commands need no arguments.

Kept in .sagemaker-state.json beside sagemaker.toml (git-ignored). It holds resource names
only, never credentials, and a dry run never writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

STATE_FILE = ".sagemaker-state.json"


class State:
    """A small JSON key -> name store."""

    def __init__(self, root: Path) -> None:
        self.path = root / STATE_FILE
        self._values: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key: str) -> str | None:
        """The recorded name, or None."""
        return self._values.get(key)

    def update(self, **names: str | None) -> None:
        """Record (or, with None, forget) names and save at once."""
        for key, value in names.items():
            if value is None:
                self._values.pop(key, None)
            else:
                self._values[key] = value
        self.path.write_text(json.dumps(self._values, indent=2, sort_keys=True) + "\n")
