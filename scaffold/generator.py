"""Render a starter: pins + answers -> cookiecutter render in a temporary directory -> atomic move.

This is the only module that writes files. Nothing is written until every input has been
validated, and a failed render leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__, base_record
from ._paths import templates_dir
from .errors import DestinationError, GenerationError
from .locking import INSTALL_FROM_LOCK, LOCK_FILE
from .models import Framework, PinSet, Project, Recommendation, Target
from .pins import exact_pins

BASE = "_base"
SLUG_DIR = "{{cookiecutter.project_slug}}"
RECORD = ".scaffold.json"


def check_destination(output_dir: Path, slug: str, force: bool) -> Path:
    """Refuse a non-empty destination (unless ``force``) or an output directory we cannot write."""
    dest = output_dir / slug
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"{dest} exists and is not a directory; choose another name or --output-dir")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise DestinationError(f"{dest} exists and is not empty; choose another name or --output-dir, "
                               "or pass --force to replace it")
    probe = output_dir
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise DestinationError(f"cannot write to {output_dir}: {probe} is not a writable directory; "
                               "choose a writable --output-dir")
    return dest


def next_steps(slug: str, package: str, pins: PinSet, locked: bool = False) -> tuple[str, ...]:
    install = list(INSTALL_FROM_LOCK) if locked else ["pip install -r requirements.txt"]
    steps = [
        f"cd {slug}",
        "python -m venv .venv && . .venv/bin/activate" if not pins.target.platform.startswith("windows")
        else r"python -m venv .venv && .venv\Scripts\activate",
        *install,
        f"python -m {package} train",
        "python -m pytest",
    ]
    return tuple(steps) + tuple(f"note: {n}" for n in pins.notes)


def build_context(*, name: str, slug: str, package: str, fw: Framework, pins: PinSet,
                  build_requires: tuple[str, ...], steps: tuple[str, ...], locked: bool = False) -> dict[str, Any]:
    """The values every template sees as ``cookiecutter.<key>`` (docs/STARTERS.md)."""
    return {
        "project_name": name,
        "project_slug": slug,
        "package_name": package,
        "framework": fw.id,
        "framework_name": fw.name,
        "framework_version": pins.framework_version,
        "starter": fw.starter,
        "target": pins.target.name,
        "accelerator": pins.target.accelerator,
        "accelerator_version": pins.target.accelerator_version,
        "platform": pins.target.platform,
        "python_version": pins.target.python,
        "requirements": list(pins.requirements),
        "dev_requirements": list(pins.dev_requirements),
        "build_requires": list(build_requires),
        "index_lines": list(pins.index_lines),
        "uv_indexes": [dict(i) for i in pins.uv_indexes],
        "uv_sources": {k: [dict(s) for s in v] for k, v in pins.uv_sources.items()},
        "options": dict(pins.options),
        "facts": dict(pins.facts),
        "notes": list(pins.notes),
        "next_steps": list(steps),
        "scaffold_version": __version__,
        "locked": locked,  # a requirements.lock comes with the project (scaffold new --lock)
    }


def _assemble(starter: str, workdir: Path) -> Path:
    """Lay the shared base and the starter into one cookiecutter template folder.

    Both file trees merge under ``{{cookiecutter.project_slug}}`` and both partial folders land in
    ``templates/``, the folder cookiecutter puts on Jinja's include path.
    """
    root = templates_dir()
    starter_dir = root / starter
    if not (starter_dir / SLUG_DIR).is_dir():
        raise GenerationError(f"template {starter!r} is missing from {root}")
    repo = workdir / "template"
    for layer in (root / BASE, starter_dir):
        shutil.copytree(layer / SLUG_DIR, repo / SLUG_DIR, dirs_exist_ok=True)
        if (layer / "partials").is_dir():
            shutil.copytree(layer / "partials", repo / "templates", dirs_exist_ok=True)
    return repo


def _starter_settings(starter: str) -> dict[str, Any]:
    path = templates_dir() / starter / "cookiecutter.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise GenerationError(f"template {starter!r}: cannot read {path.name}: {e}") from e
    # Only cookiecutter's private settings (e.g. _copy_without_render) matter: values come from the catalog.
    return {k: v for k, v in data.items() if k.startswith("_")}


def _bytecode_cache(starter: str) -> dict[str, Any]:
    """Jinja's compiled templates, kept between runs: compiling is most of a render's time.

    Jinja keys its cache by file path, which is a fresh temporary folder on every run; this keys
    it by starter and template name instead. Each entry is checked against the source's checksum,
    so an edited template is recompiled, never served stale. Where no cache folder can be
    written, rendering simply compiles.
    """
    from jinja2 import FileSystemBytecodeCache

    class StableKeys(FileSystemBytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return super().get_cache_key(f"{starter}:{name}")

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "scaffold-ml" / f"jinja-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return {}
    if not os.access(folder, os.W_OK):
        return {}
    return {"_jinja2_env_vars": {"bytecode_cache": StableKeys(str(folder))}}


def render(*, fw: Framework, context: dict[str, Any], answers: Mapping[str, Any], dest: Path,
           force: bool, dry_run: bool = False, extra_files: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Render ``fw``'s starter into ``dest``; return the relative paths of the files written.

    ``extra_files`` (relative path -> text, e.g. ``requirements.lock``) are written beside the rendered
    files before the project moves into place, so they arrive with it or not at all.
    """
    from cookiecutter.exceptions import CookiecutterException  # heavy: only when generating
    from cookiecutter.generate import generate_files
    from jinja2 import TemplateError

    parent = dest.parent
    first_created = parent  # the outermost folder we create, so a failure can take it away again
    while not first_created.parent.exists():
        first_created = first_created.parent
    created = not parent.exists()
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".scaffold-", dir=parent))
    done = False
    try:
        repo = _assemble(fw.starter, work)
        full = {**_starter_settings(fw.starter), **context, **_bytecode_cache(fw.starter)}
        try:
            out = Path(generate_files(repo_dir=repo, context={"cookiecutter": full}, output_dir=work / "out",
                                      accept_hooks=False))
        except (CookiecutterException, TemplateError, OSError) as e:
            where = getattr(e, "name", None) or getattr(e, "filename", None) or ""
            detail = f" in {where}" if where else ""
            raise GenerationError(f"template {fw.starter!r} failed to render{detail}: {e}") from e
        record = {
            "scaffold_version": context["scaffold_version"],
            "starter": fw.starter,
            "framework": fw.id,
            "framework_version": context["framework_version"],
            "target": context["target"],
            "platform": context["platform"],
            "python": context["python_version"],
            "package": context["package_name"],
            "project_name": context["project_name"],
            "options": context["options"],
            "requirements": context["requirements"] + context["dev_requirements"],
            # What `python -m <package> check` compares the machine with: the exact pins that apply on
            # the target (markers evaluated) and the facts of the release/variant (min_driver_*, java).
            "accelerator": context["accelerator"],
            "accelerator_version": context["accelerator_version"],
            "pins": exact_pins(context["requirements"] + context["dev_requirements"], _target(context)),
            "facts": context["facts"],
            # SageMaker's GPUs are AWS instances: `check` then asks for no local driver.
            "remote_accelerator": fw.remote_accelerator,
            "answers": dict(answers),
        }
        for relative, text in (extra_files or {}).items():
            (out / relative).write_text(text, encoding="utf-8")
        # What `scaffold update` merges against: every generated file's hash and mergeable text.
        record["base"] = {"store": base_record.STORE, "sha256": base_record.write_snapshot(out)}
        (out / RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        files = tuple(sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()))
        if not dry_run:
            if dest.exists():  # only reached with force: swap the old tree out; it is deleted below
                os.replace(dest, work / "replaced")
            os.replace(out, dest)
            done = True
        return files
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created and not done:
            shutil.rmtree(first_created, ignore_errors=True)


def write_lock(project: Path, text: str) -> Path:
    """Write ``requirements.lock`` into ``project`` atomically: the old lock or the new one, never half."""
    path = project / LOCK_FILE
    fd, tmp = tempfile.mkstemp(prefix=".requirements.lock.", dir=project)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise DestinationError(f"cannot write {path}: {e}") from e
    return path


def _target(context: Mapping[str, Any]) -> Target:
    return Target(context["platform"], context["python_version"], context["accelerator"],
                  context["accelerator_version"])


def make_project(*, dest: Path, name: str, package: str, fw: Framework, pins: PinSet, files: tuple[str, ...],
                 steps: tuple[str, ...], recommendation: Recommendation | None) -> Project:
    return Project(path=str(dest), name=name, package=package, framework=fw.id, starter=fw.starter, pins=pins,
                   next_steps=steps, files=files, recommendation=recommendation)
