"""Write a starter: pins + answers -> cookiecutter render in a temporary directory -> atomic move.

For: the template context (:func:`build_context`), ``.scaffold.json``'s content (:func:`build_record`, from the
PinSet the caller resolved, the framework and the answers), and :func:`render`, which renders the starter over
``templates/_base`` and moves it into place with that record. This is the only module that writes a project.
Nothing is written until every input has been validated, and a failed render leaves nothing behind.

May import: ``scaffold.models``, ``errors``, ``pins`` (exact pins for the record), ``locking`` (the lock file's
names), ``base_record``, ``interrupts``, ``atomic`` (every file it replaces) and ``_paths``; cookiecutter and
jinja2 only inside the functions that render. Never the catalog, the recommender or the machine probes: what it
writes is decided upstream.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no stale-folder locks
    fcntl = None  # type: ignore[assignment]

from . import __version__, base_record
from ._paths import templates_dir
from .atomic import write_atomic
from .errors import DestinationError, GenerationError, UsageError
from .interrupts import critical
from .locking import INSTALL_FROM_LOCK, LOCK_FILE
from .models import Framework, PinSet, Project, Recommendation, task_family, thaw
from .pins import exact_pins
from .targets import PLATFORM_TABLE

BASE = "_base"
SLUG_DIR = "{{cookiecutter.project_slug}}"
RECORD = ".scaffold.json"


# The temporary folder of a run sits beside the project (a rename is atomic only within one file
# system) and is named so that a later run recognises it: see _sweep.
TEMP_PREFIX = ".scaffold-tmp-"
OWNER = ".scaffold-owner"  # inside a temporary folder: written by the run that made it, names the destination


@dataclass(frozen=True)
class Destination:
    """Where a project goes, checked: the normalised folders and what is there now."""

    output_dir: Path  # absolute, symlinks and `..` resolved
    path: Path  # output_dir / slug
    anchor: Path  # the deepest folder of output_dir that exists: the temporary folder goes there
    missing: tuple[Path, ...]  # the folders between anchor and output_dir, outermost first, made at the last moment
    state: str  # "absent" | "empty" | "project" (a project scaffold-ml generated, replaced only with force)


def _lstat(path: Path) -> os.stat_result | None:
    """``os.lstat``, None when nothing is there; any other failure is a DestinationError naming the path."""
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        raise DestinationError(f"cannot look at {path}: {e.strerror or e}; choose another --output-dir") from e


def normalise_output_dir(output_dir: str | os.PathLike[str]) -> Path:
    """The absolute, physical form of ``output_dir``: ``~`` expanded, ``..`` and symlinks resolved.

    ``..`` is resolved through the real folders (as the kernel does), not by cutting text, so
    ``-o ..`` from inside the destination names the destination's real parent. A dangling
    symlink on the way is refused: following it would create folders somewhere else.
    """
    text = os.fspath(output_dir)
    if not text or not text.strip():
        raise UsageError("--output-dir is empty; give a folder (default: the current directory)")
    if "\0" in text:
        raise UsageError(f"--output-dir {text!r} contains a NUL character; give a folder path")
    try:
        absolute = Path(os.path.join(os.getcwd(), os.path.expanduser(text)))
    except OSError as e:  # the current directory was deleted under us
        raise DestinationError(f"cannot resolve --output-dir {text!r}: the current directory is gone ({e.strerror})") from e
    probe = Path(absolute.anchor)
    for part in absolute.parts[1:]:
        probe = probe / part
        st = _lstat(probe)
        if st is None:
            break
        if stat.S_ISLNK(st.st_mode) and not os.path.exists(probe):
            raise DestinationError(f"{probe} is a symlink to {os.readlink(probe)}, which does not exist; "
                                   "fix the link or choose another --output-dir")
    try:
        return Path(os.path.realpath(absolute))
    except OSError as e:
        raise DestinationError(f"cannot resolve {absolute}: {e.strerror or e}") from e


def check_destination(output_dir: str | os.PathLike[str], slug: str, force: bool) -> Destination:
    """Normalise ``output_dir`` and refuse a destination this run may not write.

    Refused: a destination that is a symlink, a mount point or not a folder; a non-empty folder
    (with ``force``: anything but a project scaffold-ml generated, recognised by its ``.scaffold.json``);
    an output folder that cannot be written.
    """
    out = normalise_output_dir(output_dir)
    anchor, missing = out, []
    while (st := _lstat(anchor)) is None:
        missing.append(anchor)
        if anchor.parent == anchor:
            break
        anchor = anchor.parent
    if st is None or not stat.S_ISDIR(st.st_mode):
        raise DestinationError(f"cannot write to {out}: {anchor} is not a directory; choose another --output-dir")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise DestinationError(f"cannot write to {out}: {anchor} is not a writable directory; "
                               "choose a writable --output-dir")
    dest = out / slug
    st = None if missing else _lstat(dest)
    state = "absent"
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise DestinationError(f"{dest} is a symlink (to {os.readlink(dest)}); scaffold-ml does not write "
                                   "through links: remove it or choose another name or --output-dir")
        if not stat.S_ISDIR(st.st_mode):
            raise DestinationError(f"{dest} exists and is not a directory; choose another name or --output-dir")
        if os.path.ismount(dest):
            raise DestinationError(f"{dest} is a mount point; a project cannot be moved onto it: "
                                   "choose another name, or pass the mount point as --output-dir")
        try:
            entries = os.listdir(dest)
        except OSError as e:
            raise DestinationError(f"cannot look into {dest}: {e.strerror or e}") from e
        if not entries:
            state = "empty"
        elif not force:
            raise DestinationError(f"{dest} exists and is not empty; choose another name or --output-dir, "
                                   "or pass --force to replace it")
        elif not _is_generated(dest):
            raise DestinationError(f"{dest} is not empty and is not a project scaffold-ml generated (it has no "
                                   f"{RECORD}); --force replaces only such a project or an empty folder")
        else:
            state = "project"
    return Destination(out, dest, anchor, tuple(reversed(missing)), state)


def _is_generated(folder: Path) -> bool:
    st = _lstat(folder / RECORD)
    return st is not None and stat.S_ISREG(st.st_mode)

def next_steps(slug: str, package: str, pins: PinSet, locked: bool = False, output_dir: str = ".") -> tuple[str, ...]:
    """The commands that take a person from where they ran ``scaffold new`` to a trained model and green tests.

    The ``cd`` names the project as the command line gave its folder (``-o /tmp/demo`` -> ``cd /tmp/demo/<slug>``),
    so it works from the folder the person is in.
    """
    install = list(INSTALL_FROM_LOCK) if locked else ["pip install -r requirements.txt"]
    folder = os.path.normpath(os.path.join(output_dir, slug))
    steps = [
        f"cd {_shell_word(folder)}",
        f"python -m venv .venv && {PLATFORM_TABLE[pins.target.platform].activate}",
        *install,
        f"python -m {package} train",
        "python -m pytest",
    ]
    return tuple(steps) + tuple(f"note: {n}" for n in pins.notes)


def _shell_word(text: str) -> str:
    """``text`` as one word of a shell command line: quoted only when it needs it (POSIX shells and PowerShell)."""
    import shlex

    return text if text and all(c.isalnum() or c in "-_./~:" for c in text) else shlex.quote(text)


def build_context(*, name: str, slug: str, package: str, fw: Framework, pins: PinSet, task: str,
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
        "task": task,  # what the project does (CONTRACT.md, "The task a project serves")
        "task_family": task_family(task),
        "target": pins.target.name,
        "accelerator": pins.target.accelerator,
        "accelerator_version": pins.target.accelerator_version,
        "platform": pins.target.platform,
        "ci_runner": PLATFORM_TABLE[pins.target.platform].ci_runner,  # the CI's runs-on
        "python_version": pins.target.python,
        "requirements": thaw(pins.requirements),
        "dev_requirements": thaw(pins.dev_requirements),
        "build_requires": list(build_requires),
        "index_lines": thaw(pins.index_lines),
        "uv_indexes": thaw(pins.uv_indexes),
        "uv_sources": thaw(pins.uv_sources),
        "options": thaw(pins.options),
        "facts": thaw(pins.facts),
        # Which checks apply is data, never a framework's name: remote (SageMaker's instances) asks for AWS
        # credentials instead of a driver; `facts.java` asks for Java.
        "remote_accelerator": fw.remote_accelerator,
        "notes": thaw(pins.notes),
        "next_steps": list(steps),
        "scaffold_version": __version__,
        "locked": locked,  # a requirements.lock comes with the project (scaffold new --lock)
    }


def layers(starter: str, task: str) -> tuple[Path, ...]:
    """The template folders a project is laid from, first to last; a later one's file wins over an earlier's.

    The shared base, the starter, then the starter's files for the task's family and for the task itself
    (``templates/<starter>/tasks/<family>/``, ``tasks/<task>/``), each only where the starter has one: a task
    adds its own model, data, tests and README parts on the starter's shared frame, never by copying it.
    """
    root = templates_dir()
    starter_dir = root / starter
    if not (starter_dir / SLUG_DIR).is_dir():
        raise GenerationError(f"template {starter!r} is missing from {root}")
    tasks = starter_dir / "tasks"
    own = dict.fromkeys((task_family(task), task))  # one layer when the task is its own family
    return (root / BASE, starter_dir, *(tasks / name for name in own if (tasks / name).is_dir()))


def _assemble(starter: str, task: str, workdir: Path) -> Path:
    """Lay the template's :func:`layers` into one cookiecutter template folder.

    The file trees merge under ``{{cookiecutter.project_slug}}`` and the partial folders land in
    ``templates/``, the folder cookiecutter puts on Jinja's include path. Bytecode that an
    installer or a test run left beside the templates is not part of them.
    """
    repo = workdir / "template"
    for layer in layers(starter, task):
        if (layer / SLUG_DIR).is_dir():
            shutil.copytree(layer / SLUG_DIR, repo / SLUG_DIR, dirs_exist_ok=True, ignore=_NOT_TEMPLATES)
        if (layer / "partials").is_dir():
            shutil.copytree(layer / "partials", repo / "templates", dirs_exist_ok=True, ignore=_NOT_TEMPLATES)
    return repo


_NOT_TEMPLATES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def _starter_settings(starter: str) -> dict[str, Any]:
    path = templates_dir() / starter / "cookiecutter.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GenerationError(f"template {starter!r}: cannot read {path.name}: {e}") from e
    # Only cookiecutter's private settings (e.g. _copy_without_render) matter: values come from the catalog.
    return {k: v for k, v in data.items() if k.startswith("_")}


CACHE_ENV = "SCAFFOLD_ML_CACHE_DIR"
"""An absolute folder where compiled templates are kept between runs; opt-in, never a default."""

_COMPILED: dict[str, bytes] = {}  # this process's compiled templates, by stable key


def cache_folder() -> Path | None:
    """The folder ``$SCAFFOLD_ML_CACHE_DIR`` names, or None: scaffold never picks a user's cache by itself.

    Nothing outside the project is written unless asked, so ``$XDG_CACHE_HOME`` and ``~/.cache`` are
    never used; a relative value is ignored rather than resolved against wherever the run happens to be.
    """
    value = os.environ.get(CACHE_ENV, "")
    return Path(value) / f"jinja-{__version__}" if os.path.isabs(value) else None


def _bytecode_cache(starter: str) -> dict[str, Any]:
    """Jinja's compiled templates, reused: compiling is most of a render's time.

    Always kept in memory for the life of the process (a library caller generating many projects
    compiles each template once); also on disk when ``$SCAFFOLD_ML_CACHE_DIR`` asks for it.
    Jinja keys its cache by file path, which is a fresh temporary folder on every run; this keys
    it by starter and template name instead. Each entry is checked against the source's checksum,
    so an edited template is recompiled, never served stale. A disk cache that cannot be read or
    written simply means compiling.
    """
    from jinja2 import BytecodeCache

    folder = cache_folder()

    class StableKeys(BytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return super().get_cache_key(f"{starter}:{name}")

        def load_bytecode(self, bucket: Any) -> None:
            data = _COMPILED.get(bucket.key)
            if data is None and folder is not None:
                with contextlib.suppress(OSError):
                    data = (folder / f"{bucket.key}.cache").read_bytes()
            if data is not None:
                bucket.bytecode_from_string(data)  # rejects an entry whose source checksum differs

        def dump_bytecode(self, bucket: Any) -> None:
            data = bucket.bytecode_to_string()
            _COMPILED[bucket.key] = data
            if folder is not None:
                with contextlib.suppress(OSError):  # a cache that cannot be written is no cache, not a failure
                    folder.mkdir(parents=True, exist_ok=True)
                    write_atomic(folder / f"{bucket.key}.cache", data)

    return {"_jinja2_env_vars": {"bytecode_cache": StableKeys()}}


def record_text(record: Mapping[str, Any]) -> str:
    """``.scaffold.json``'s text: strict JSON (no NaN or Infinity), or UsageError naming the bad value."""
    try:
        return json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except (TypeError, ValueError) as e:
        raise UsageError(f"the answers cannot be recorded in {RECORD} as JSON: {e}") from e


def render(*, fw: Framework, context: dict[str, Any], record: Mapping[str, Any], dest: Destination,
           force: bool = False, dry_run: bool = False, extra_files: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Render ``fw``'s starter with ``context`` and move it, with ``record`` as its ``.scaffold.json``, to ``dest``;
    return the relative paths of the files written.

    The project is rendered complete in a temporary folder beside the destination and moved into
    place with one rename that cannot replace anything that appeared meanwhile: exactly one of
    several concurrent runs wins, and the others raise DestinationError having touched nothing.
    With ``force``, a generated project is swapped out only once the new one is in place. A failure
    or a signal removes only what this run made: its temporary folder, and the folders of
    ``output_dir`` it created, if they are still empty. ``extra_files`` (relative path -> text,
    e.g. ``requirements.lock``) arrive with the project or not at all.
    """
    text = record_text(record)  # before anything is written: a bad answer writes nothing
    if dry_run:
        return _dry_run(fw, context, text, extra_files)
    _sweep(dest.anchor)
    work: Path | None = None
    lock_fd = -1
    created: list[Path] = []
    committed = False
    leftovers: list[str] = []
    kept: Path | None = None
    try:
        with critical():  # a signal held here is raised inside the try, so the folder just made goes too
            work, lock_fd = _make_workdir(dest)
        out = _render_into(fw, context, work, dest.path, cache=True)
        for relative, body in (extra_files or {}).items():
            _write(out / relative, body, out, dest.path)
        # What `scaffold update` merges against: every generated file's hash and mergeable text.
        try:
            base = {"store": base_record.STORE, "sha256": base_record.write_snapshot(out)}
        except OSError as e:
            raise GenerationError(f"cannot write {dest.path / base_record.STORE}: {_cause(e)}") from e
        _write(out / RECORD, record_text({**record, "base": base}), out, dest.path)
        files = _listing(out)
        with critical():
            created = _make_parents(dest)
            _commit(out, dest, work, force)
            committed = True
    finally:
        with critical():
            if work is not None:
                kept = (work / "replaced") if not committed and os.path.lexists(work / "replaced") else None
                if kept is None:
                    leftovers = _remove(work)
            if lock_fd >= 0:
                os.close(lock_fd)
            if not committed:
                for folder in reversed(created):
                    with contextlib.suppress(OSError):
                        os.rmdir(folder)  # only while empty: it is still ours
        if kept is not None:  # the old project was moved aside and could not be put back: never delete it
            raise GenerationError(f"could not put the project back at {dest.path}; it is safe at {kept}: "
                                  "move it back by hand")
    if leftovers:  # only reached once the new project is in place: what is left is the replaced one
        raise GenerationError(f"created {dest.path}, but the replaced project could not be removed completely "
                              f"({leftovers[0]}); delete {work} by hand")
    return files


def build_record(*, fw: Framework, pins: PinSet, name: str, package: str, task: str,
                 answers: Mapping[str, Any]) -> dict[str, Any]:
    """``.scaffold.json``'s content: how the project was made, from the pins the caller resolved and its answers.

    ``scaffold update`` renders again from ``answers``; ``python -m <package> check`` compares the machine with
    ``pins`` (the exact pins that apply on the target, markers evaluated), ``facts`` (the release's or variant's:
    min_driver_*, java) and ``remote_accelerator``. :func:`render` adds ``base``, the hashes of what it wrote.
    """
    requirements = [*pins.requirements, *pins.dev_requirements]
    return {
        "scaffold_version": __version__,
        "starter": fw.starter,
        "framework": fw.id,
        "framework_version": pins.framework_version,
        "task": task,
        "target": pins.target.name,
        "platform": pins.target.platform,
        "python": pins.target.python,
        "package": package,
        "project_name": name,
        "options": thaw(pins.options),
        "requirements": requirements,
        "accelerator": pins.target.accelerator,
        "accelerator_version": pins.target.accelerator_version,
        "pins": exact_pins(requirements, pins.target),
        "facts": thaw(pins.facts),
        # The accelerator is a cloud instance (SageMaker's): `check` asks for the cloud's credentials, no driver.
        "remote_accelerator": fw.remote_accelerator,
        "answers": thaw(answers),
    }


def _dry_run(fw: Framework, context: dict[str, Any], text: str, extra_files: Mapping[str, str] | None) -> tuple[str, ...]:
    """Render every template in memory and list the files a real run would write; write nothing, anywhere.

    Walks the same layers as :func:`_assemble` (the starter's files over the base's) with the
    same Jinja environment cookiecutter builds, without its folder and without a compile cache,
    so a template error shows here as it would for real.
    """
    from cookiecutter.generate import is_copy_only_path
    from cookiecutter.utils import create_env_with_context
    from jinja2 import FileSystemLoader, TemplateError

    laid = layers(fw.starter, context["task"])
    trees = [layer / SLUG_DIR for layer in reversed(laid) if (layer / SLUG_DIR).is_dir()]  # the last layer first
    full = {**_starter_settings(fw.starter), **context}
    ctx = {"cookiecutter": full}
    env = create_env_with_context(ctx)
    env.loader = FileSystemLoader([*map(str, trees), *(str(layer / "partials") for layer in reversed(laid))])
    sources: dict[str, Path] = {}
    for layer in reversed(trees):  # a later layer's file wins, as when they are copied together
        for path in layer.rglob("*"):
            relative = path.relative_to(layer)
            if path.is_file() and not _NOT_TEMPLATES(str(path.parent), [path.name]) and "__pycache__" not in relative.parts:
                sources[relative.as_posix()] = path
    names = set()
    try:
        for relative, path in sorted(sources.items()):
            name = env.from_string(relative).render(**ctx)
            if not name or name.endswith("/"):
                continue  # cookiecutter skips a file whose name renders empty
            copy_only = any(is_copy_only_path(str(Path(*Path(relative).parts[:i + 1])), ctx)
                            for i in range(len(Path(relative).parts)))
            if not copy_only and not _is_binary(path):
                env.get_template(relative).render(**ctx)
            names.add(name)
    except TemplateError as e:
        where = getattr(e, "name", None) or getattr(e, "filename", None) or ""
        raise GenerationError(f"template {fw.starter!r} failed to render{f' in {where}' if where else ''}: {e}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise GenerationError(f"template {fw.starter!r} cannot be read: {e}") from e
    return tuple(sorted({*names, RECORD, base_record.STORE, *(extra_files or {})}))


def _is_binary(path: Path) -> bool:
    from binaryornot.check import is_binary

    return bool(is_binary(str(path)))


def _render_into(fw: Framework, context: dict[str, Any], work: Path, shown: Path, *, cache: bool) -> Path:
    from cookiecutter.exceptions import CookiecutterException  # heavy: only when generating
    from cookiecutter.generate import generate_files
    from jinja2 import TemplateError

    try:
        repo = _assemble(fw.starter, context["task"], work)
    except OSError as e:
        raise GenerationError(f"cannot prepare the template {fw.starter!r} in {work}: {_cause(e)}") from e
    full = {**_starter_settings(fw.starter), **context, **(_bytecode_cache(fw.starter) if cache else {})}
    target = work / "out"
    try:
        return Path(generate_files(repo_dir=repo, context={"cookiecutter": full}, output_dir=target,
                                   accept_hooks=False))
    except OSError as e:
        where = _shown(getattr(e, "filename", None), target / context["project_slug"], shown)
        raise GenerationError(f"cannot write {where}: {_cause(e)}") from e
    except (CookiecutterException, TemplateError) as e:
        where = getattr(e, "name", None) or getattr(e, "filename", None) or ""
        detail = f" in {where}" if where else ""
        raise GenerationError(f"template {fw.starter!r} failed to render{detail}: {e}") from e


def _cause(e: OSError) -> str:
    return e.strerror or str(e)


def _shown(filename: object, out: Path, dest: Path) -> str:
    """A temporary path as the user will know it: the same file under the destination."""
    text = str(filename or out)
    return text.replace(str(out), str(dest), 1) if text.startswith(str(out)) else text


def _write(path: Path, text: str, out: Path, dest: Path) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise GenerationError(f"cannot write {_shown(path, out, dest)}: {_cause(e)}") from e


def _listing(out: Path) -> tuple[str, ...]:
    return tuple(sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()))


def _make_workdir(dest: Destination) -> tuple[Path, int]:
    """This run's temporary folder, locked for as long as the process lives, with a note of its destination."""
    try:
        # The pid in the name lets a later run tell a folder whose maker died before writing its note (SIGKILL
        # between mkdtemp and the lock) from one a live run is still preparing.
        work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=dest.anchor))
    except OSError as e:
        # A folder the user may not write is their choice to change (2); a full disk is not (1).
        error = DestinationError if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else GenerationError
        raise error(f"cannot write to {dest.anchor}: {_cause(e)}") from e
    try:
        fd = -1
        if fcntl is not None:  # where there is no flock (Windows) a leftover folder is only ignored
            fd = os.open(work, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            _lock_own(fd)
        (work / OWNER).write_text(json.dumps({"destination": str(dest.path), "pid": os.getpid()}), encoding="utf-8")
    except OSError as e:
        shutil.rmtree(work, ignore_errors=True)
        raise GenerationError(f"cannot prepare {work}: {_cause(e)}") from e
    return work, fd


def _lock_own(fd: int, patience: float = 10.0) -> None:
    """Lock this run's new folder. Another run's :func:`_sweep` may hold the lock for an instant while it reads
    the (not yet written) note and sees this process alive, so a busy lock is waited for, briefly."""
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _sweep(folder: Path) -> None:
    """Remove the temporary folders of runs that died (SIGKILL, power loss) in ``folder``.

    A folder is taken only when it has this naming, holds the owner note, and its lock can be
    taken: the lock dies with its process, so a live run's folder is never touched. A replaced
    project that a dead run had moved aside but not yet replaced goes back to its place.
    """
    if fcntl is None:
        return
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(TEMP_PREFIX) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for entry in entries:
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with critical():
                try:
                    owner = json.loads(Path(entry.path, OWNER).read_text(encoding="utf-8"))
                except (FileNotFoundError, ValueError):  # no note, or one cut short
                    if _maker_alive(entry.name):
                        continue  # a live run between making its folder and writing its note
                    shutil.rmtree(entry.path, ignore_errors=True)
                    continue
                replaced = Path(entry.path, "replaced")
                destination = Path(str(owner.get("destination", "")))
                if replaced.is_dir() and destination.is_absolute() and not os.path.lexists(destination):
                    os.rename(replaced, destination)
                shutil.rmtree(entry.path, ignore_errors=True)
        except (OSError, ValueError, AttributeError):
            continue  # locked by a live run, not ours, or half made: leave it
        finally:
            os.close(fd)


def _maker_alive(name: str) -> bool:
    """Whether the process named in a temporary folder's name (``.scaffold-tmp-<pid>-...``) may still run."""
    pid = name[len(TEMP_PREFIX):].split("-", 1)[0]
    if not pid.isdigit():
        return True  # not named by this version: never guess
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, but another user's
    return True


def _make_parents(dest: Destination) -> list[Path]:
    made = []
    for folder in dest.missing:
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder) or os.path.islink(folder):
                raise DestinationError(f"{folder} appeared while generating and is not a folder; "
                                       "nothing was written") from None
            continue  # another run made it: it is not ours to remove
        except OSError as e:
            for mine in reversed(made):
                with contextlib.suppress(OSError):
                    os.rmdir(mine)
            raise DestinationError(f"cannot create {folder}: {_cause(e)}") from e
        made.append(folder)
    return made


def _commit(out: Path, dest: Destination, work: Path, force: bool) -> None:
    """Move the rendered project onto the destination in one step that loses nothing.

    The move never replaces a folder that is not empty, a file or a link; with ``force`` a
    generated project is exchanged with the new one atomically (Linux), or moved aside first
    and put back if the new one cannot take its place.
    """
    path = dest.path
    if dest.state == "project" and force:
        try:
            exchanged = _exchange(out, path)
        except FileNotFoundError:
            exchanged = False  # the old project went away meanwhile: place the new one like any other
        except OSError as e:
            raise DestinationError(f"cannot replace {path}: {_cause(e)}") from e
        else:
            if exchanged:
                if not _is_generated(out):  # what was swapped out is no longer a generated project: undo
                    try:
                        _exchange(out, path)
                    except OSError:
                        os.rename(out, work / "replaced")  # kept, never deleted (see render)
                        raise
                    raise DestinationError(f"{path} changed while generating and is no longer a project "
                                           "scaffold-ml generated; it was left as it is")
                return
            if _is_generated(path):
                aside = work / "replaced"
                _rename(path, aside)
                try:
                    _place(out, path)
                except BaseException:
                    os.rename(aside, path)
                    raise
                return
    _place(out, path)


def _place(src: Path, dest: Path) -> None:
    try:
        if not _rename_noreplace(src, dest):
            if os.name == "nt":
                os.rename(src, dest)  # Windows never replaces an existing folder
            else:
                _rename_by_claim(src, dest)
        return
    except FileExistsError:
        pass
    except OSError as e:
        if e.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise DestinationError(f"cannot move the project to {dest}: {_cause(e)}") from e
    # Something is there now. An empty folder may be replaced (the kernel does it only while it is
    # empty); anything else, another run's project or the user's files, is left alone.
    try:
        st = os.lstat(dest)
        if not stat.S_ISDIR(st.st_mode):
            raise FileExistsError
        if os.name == "nt":
            os.rmdir(dest)  # Windows renames only onto nothing; rmdir takes the folder only while it is empty
        os.rename(src, dest)
    except OSError as e:
        raise DestinationError(f"{dest} appeared while generating (another run or program made it); "
                               "it was left untouched and nothing was written") from e


def _rename(src: Path, dest: Path) -> None:
    try:
        os.rename(src, dest)
    except OSError as e:
        raise DestinationError(f"cannot move {src} to {dest}: {_cause(e)}") from e


def _rename_by_claim(src: Path, dest: Path) -> None:
    """Where the kernel has no no-replace rename: claim the name with mkdir, then rename onto the empty claim."""
    os.mkdir(dest)
    try:
        os.rename(src, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rmdir(dest)
        raise


_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100


def _renameat2(src: Path, dest: Path, flags: int) -> bool:
    """Linux's renameat2; False where the kernel, libc or file system does not offer it."""
    fn = _libc_renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dest), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
        return False
    raise OSError(err, os.strerror(err), str(dest))


def _rename_noreplace(src: Path, dest: Path) -> bool:
    return _renameat2(src, dest, _RENAME_NOREPLACE)


def _exchange(a: Path, b: Path) -> bool:
    return _renameat2(a, b, _RENAME_EXCHANGE)


_LIBC: list[Any] = []


def _libc_renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    if not _LIBC:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
        except (OSError, AttributeError):
            fn = None
        _LIBC.append(fn)
    return _LIBC[0]


def _remove(work: Path) -> list[str]:
    """Remove this run's temporary folder; the paths (with causes) that could not be removed."""
    failures: list[str] = []

    def note(function: Any, path: str, exc: BaseException) -> None:
        failures.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(work, onexc=note)
    else:  # pragma: no cover - Python 3.11
        shutil.rmtree(work, onerror=lambda f, p, info: note(f, p, info[1]))
    return failures


def write_lock(project: Path, text: str) -> Path:
    """Write ``requirements.lock`` into ``project`` atomically: the old lock or the new one, never half."""
    path = project / LOCK_FILE
    try:
        write_atomic(path, text)
    except OSError as e:
        raise DestinationError(f"cannot write {path}: {_cause(e)}") from e
    return path

def make_project(*, dest: Path, name: str, package: str, fw: Framework, pins: PinSet, files: tuple[str, ...],
                 steps: tuple[str, ...], recommendation: Recommendation | None, task: str) -> Project:
    return Project(path=str(dest), name=name, package=package, framework=fw.id, starter=fw.starter, pins=pins,
                   next_steps=steps, files=files, recommendation=recommendation, task=task)
