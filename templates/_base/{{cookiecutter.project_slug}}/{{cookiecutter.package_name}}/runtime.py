"""What every command of this project shares: errors and exit codes, logging, config, metrics, safe output.

Standard library only (on Python 3.10, tomli for TOML). Conventions (the same in every scaffold-ml starter):

- a problem with the data or the input (missing file or column, a single class, a schema that does not
  match the saved model, ...) raises :class:`DataError`: one line on stderr, exit status 2;
- a problem with the environment (a missing package, a device, a service) raises :class:`EnvironmentProblem`:
  one line, exit status 1; so does an operating-system error (a full disk, an unwritable folder);
- progress goes through the standard :mod:`logging` module, one line per epoch or stage;
- settings come from a TOML file and command-line overrides;
- every ``train`` and ``evaluate`` writes ``artifacts/metrics.json``: a flat object of metric name to number.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, the same parser, which pytest (the dev group) installs there
    import tomli as tomllib

log = logging.getLogger(__package__)


class DataError(Exception):
    """Raised when the data or the input cannot be used; exit status 2."""

    exit_code = 2


class EnvironmentProblem(Exception):
    """Raised when the machine or the installed packages cannot do the job; exit status 1."""

    exit_code = 1


def setup_logging(verbose: bool = False) -> None:
    """One format for every command: time, level, message."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )


def run(command: Callable[[], object]) -> int:
    """Run ``command`` and map what it raises to one line on stderr and an exit status; never a traceback."""
    try:
        command()
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except EnvironmentProblem as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        print(f"error:{where}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML settings file as a dict; a missing or malformed file is a :class:`DataError`."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise DataError(f"{path}: settings file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not valid TOML: {e}") from None


def require_file(path: str | Path, what: str = "data file") -> Path:
    """``path`` as a Path if it is a readable, non-empty file, else a :class:`DataError`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {what} not found")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: {what} is empty")
    return path


def fingerprint(path: str | Path) -> str:
    """SHA-256 of a file (or of every file under a folder, in name order), to recognise the training data."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def refuse_overwrite(output: str | Path, *protected: str | Path | None) -> Path:
    """``output`` unless it is one of ``protected`` (the input, the training data): never overwrite data."""
    out = Path(output).resolve()
    for other in protected:
        if other is not None and Path(other).resolve() == out:
            raise DataError(f"{output}: refusing to overwrite the input or the training data; choose another --output")
    return Path(output)


def write_json(path: str | Path, data: Any) -> Path:
    """Write strict JSON (no NaN) atomically: the old file stays until the new one is complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_metrics(path: str | Path, metrics: Mapping[str, float]) -> Path:
    """``artifacts/metrics.json``: a flat object of metric name to finite number."""
    flat: dict[str, float] = {}
    for name, value in metrics.items():
        number = float(value)
        if not math.isfinite(number):
            raise DataError(f"metric {name!r} is {number}: the data cannot be scored")
        flat[str(name)] = number
    return write_json(path, flat)
