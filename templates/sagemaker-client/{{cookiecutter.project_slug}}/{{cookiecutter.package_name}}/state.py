"""Every job, model, endpoint and upload this project created, so later commands need no arguments.

Kept in .sagemaker-state.json beside sagemaker.toml (git-ignored). ``created`` lists every name
of each kind, in order, until ``cleanup`` deletes it: a second ``deploy`` adds to the list rather
than replacing the first, which would leave that endpoint billing with nothing pointing at it.
``last`` is the newest of each kind, the default for commands given no name. It holds resource
names and S3 URIs only, never credentials, and a dry run never writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from .runtime import DataError, write_json

STATE_FILE = ".sagemaker-state.json"
KINDS = ("upload", "training_job", "automl_job", "model", "endpoint_config", "endpoint")


class State:
    """What was created, by kind, in a small JSON file."""

    def __init__(self, root: Path) -> None:
        self.path = root / STATE_FILE
        self._created: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self._last: dict[str, str] = {}
        if self.path.exists():
            try:
                saved = json.loads(self.path.read_text(encoding="utf-8"))
                for kind, names in saved.get("created", {}).items():
                    self._created[kind] = [str(name) for name in names]
                self._last = {kind: str(name) for kind, name in saved.get("last", {}).items()}
            except (ValueError, AttributeError, TypeError) as exc:
                raise DataError(
                    f"{self.path}: not a state file written by this project ({exc}); "
                    "move it away (names in it are of resources that may still run)"
                ) from None

    def get(self, kind: str) -> str | None:
        """The newest recorded name of ``kind``, or None."""
        return self._last.get(kind)

    def names(self, kind: str) -> list[str]:
        """Every recorded name of ``kind``, oldest first."""
        return list(self._created.get(kind, []))

    def record(self, kind: str, name: str) -> None:
        """Remember a resource the moment it exists, and save at once."""
        if name not in self._created[kind]:
            self._created[kind].append(name)
        self._last[kind] = name
        self._save()

    def forget(self, kind: str, name: str) -> None:
        """Drop a resource that is gone, and save at once."""
        self._created[kind] = [n for n in self._created[kind] if n != name]
        if self._last.get(kind) == name:
            if self._created[kind]:
                self._last[kind] = self._created[kind][-1]
            else:
                del self._last[kind]
        self._save()

    def _save(self) -> None:
        write_json(self.path, {"created": {k: v for k, v in self._created.items() if v}, "last": self._last})
