"""Checks that any generated project must pass, whatever its starter (habit 7 of STYLE.md)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".yml", ".yaml", ".json", ".cfg", ".ini", ""}


def check_project(path: Path) -> dict:
    """Assert the generic properties of a generated project and return its ``.scaffold.json``."""
    record = json.loads((path / ".scaffold.json").read_text())
    for key in ("scaffold_version", "starter", "framework", "framework_version", "target", "platform", "python",
                "package", "answers"):
        assert key in record, key
    for file in path.rglob("*"):
        if not file.is_file() or file.suffix not in TEXT_SUFFIXES:
            continue
        text = file.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, f"template left-over in {file}"
        if file.suffix == ".py":
            compile(text, str(file), "exec")
        elif file.suffix == ".toml":
            tomllib.loads(text)
        elif file.suffix == ".json":
            json.loads(text)
    pyproject = tomllib.loads((path / "pyproject.toml").read_text())
    for req in pyproject["project"]["dependencies"]:
        assert str(Requirement(req).specifier).startswith("=="), req
    for line in (path / "requirements.txt").read_text().splitlines():
        if line and not line.startswith(("#", "-")):
            Requirement(line)
    assert (path / "requirements.txt").read_text().rstrip().endswith("-e .")
    assert (path / record["package"] / "__main__.py").is_file()
    assert (path / "tests").is_dir()
    return record
