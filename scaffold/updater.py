"""``scaffold update``: bring a generated project to new answers (target, platform, Python, release, starter
options) and to this scaffold-ml's templates and catalog, without losing an edit.

The project is rendered again, with the recorded answers and any the command changes, into a temporary folder
of the system's (removed at once: ``--check`` and ``--dry-run`` write nothing anywhere, so they work on a
read-only checkout); each file is then compared three ways: base (what scaffold-ml generated, from
``.scaffold/base.json.gz``), ours (the file in the project), theirs (the new render):

- untouched since generation (ours == base): replaced by theirs;
- changed by the user and by the template: merged (``git merge-file`` where git is present, else the
  ``merge3`` package); a conflict is written inline with the usual markers and makes the update exit 1;
- changed by the user only: kept;
- deleted by the user: stays deleted, unless the project cannot run without it (then restored, and listed);
- gone from the template: removed only if the user never changed it;
- the user's own files: never touched.

A project without a base (made before scaffold-ml recorded one) has every file that differs from the new render
treated as changed by the user, so nothing is overwritten silently. Applying is atomic: every file about to change
is first copied into ``.scaffold/update/backup`` with a journal of what the update writes there (its SHA-256); an
error or a signal restores them, and an update that was killed outright is rolled back by the next
``scaffold update`` (after its uncommitted-changes guard), file by file, only where a file still holds exactly
what the killed run wrote: an edit made since is never overwritten.

Only inside the project, never through a link: every path is opened from the project's folder one component at
a time without following symbolic links, so a link (or a FIFO, a device, a file too large) of the user's is left
alone and reported. Only the files scaffold-ml generated (its base store's and the new render's) are read. One
update at a time: a real update holds an exclusive ``flock`` on the project's folder (it dies with its process),
``--check`` and ``--dry-run`` a shared one.

May import: ``scaffold.errors``, ``interrupts`` (signals roll back, as under the command), ``atomic`` and
``base_record`` (the snapshot format it merges against) at the top;
``scaffold.models``, ``scaffold.recommender.make_profile`` (the recorded situation is checked against the
vocabulary), ``scaffold.generator.normalise_output_dir`` (the working directory, read under the render lock) and
``scaffold.api.generate`` inside the functions that need them (the new render goes through the same path as
``scaffold new``); git (a subprocess) and ``merge3`` for merging. It reads ``.scaffold.json`` as
:func:`scaffold.generator.build_record` writes it.
"""

from __future__ import annotations

import difflib
import errno
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock between updates
    fcntl = None  # type: ignore[assignment]

from . import __version__, base_record
from .atomic import NEW_FILE_MODE
from .errors import ScaffoldError, UsageError
from .interrupts import critical, unwinding

WORK = ".scaffold/update"
JOURNAL = "journal.json"
MAX_RECORD_BYTES = 1 << 20
MAX_FILE_BYTES = 64 << 20  # a file of the project larger than this is the user's data, never read whole
MAX_JOURNAL_BYTES = 8 << 20
LOCK_WAIT = 120.0  # seconds an update waits for another one on the same project to finish
_JOURNAL_VERSION = 2
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_LINKED = {errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP)}
_DIR_FD = os.open in os.supports_dir_fd and os.stat in os.supports_follow_symlinks  # POSIX: every walk needs it
# Files a project cannot run or be updated without: restored when the user deleted them.
_REQUIRED = ("pyproject.toml", "requirements.txt", "{package}/__init__.py", "{package}/__main__.py")
ACTIONS = ("replaced", "merged", "conflict", "added", "removed", "kept", "restored", "unchanged", "deleted")


class UpdateConflict(ScaffoldError):
    """Raised when: never; an update with conflicts returns a report whose ``conflicts`` is not empty (exit 1)."""


@dataclass(frozen=True)
class FileChange:
    """What the update does (or would do) to one file; ``diff`` is a unified diff of ours -> result."""

    path: str
    action: str  # one of ACTIONS
    why: str = ""
    diff: str = ""


@dataclass(frozen=True)
class UpdateReport:
    project: str
    applied: bool
    changes: tuple[FileChange, ...]
    answers: Mapping[str, Any] = field(default_factory=dict)
    behind: tuple[str, ...] = ()  # what is behind this scaffold-ml (template, pins, version), for --check
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from .models import freeze

        object.__setattr__(self, "answers", freeze(dict(self.answers)))

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.changes if c.action == "conflict")

    def as_dict(self) -> dict[str, Any]:
        return {"project": self.project, "applied": self.applied, "conflicts": list(self.conflicts),
                "behind": list(self.behind), "notes": list(self.notes), "answers": _thaw(self.answers),
                "changes": [{"path": c.path, "action": c.action, "why": c.why} for c in self.changes
                            if c.action != "unchanged"]}


def _thaw(value: Any) -> Any:
    from .models import thaw

    return thaw(value)


# ---- the project's files, never through a link ----

class _Blocked(Exception):  # noqa: N818 - a path this update leaves alone, not an error
    """A path the update does not read or write: a link, not a regular file, or too large."""

    def __init__(self, rel: str, why: str) -> None:
        super().__init__(f"{rel}: {why}")
        self.rel, self.why = rel, why


def check_rel(rel: object, where: str) -> str:
    """A path relative to the project as scaffold-ml writes them (``a/b.py``), else UsageError naming ``where``."""
    if (not isinstance(rel, str) or not rel or len(rel) > 4096 or any(ord(c) < 32 for c in rel) or "\\" in rel
            or rel.startswith("/") or any(part in ("", ".", "..") for part in rel.split("/"))):
        raise UsageError(f"{where} names {rel!r}, which is not a path inside the project; it is not what "
                         "scaffold-ml writes")
    return rel


class _Tree:
    """A project folder, opened once; every path below it is walked one component at a time from its descriptor
    with ``O_NOFOLLOW``, so nothing is read or written through a link or outside the folder, whatever the paths
    and links in it say (and however they change meanwhile)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not _DIR_FD:  # pragma: no cover - Windows
            raise ScaffoldError("scaffold update needs a system that opens files relative to a folder (Linux, "
                                "macOS, BSD); on Windows run it under WSL")
        try:
            self.fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise UsageError(f"{root} is not a folder: run `scaffold update` in a project generated by scaffold-ml, "
                             "or pass --project DIR") from None
        except OSError as e:
            raise UsageError(f"cannot open {root}: {e.strerror or e}") from None
        self.ino = os.fstat(self.fd).st_ino

    def close(self) -> None:
        os.close(self.fd)

    def lock(self, exclusive: bool) -> None:
        """One update at a time; ``--check`` and ``--dry-run`` (shared) never see one half-applied. The lock is the
        kernel's, on the open folder: a killed run holds none. A busy lock is waited for, in steps a signal can cut."""
        if fcntl is None:  # pragma: no cover - Windows
            return
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(self.fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ScaffoldError(f"another `scaffold update` has been running in {self.root} for over "
                                        f"{LOCK_WAIT:.0f} s; let it finish, then run this again") from None
                time.sleep(0.05)

    def _dir(self, parts: list[str], rel: str, create: bool = False) -> int:
        fd = os.dup(self.fd)
        try:
            for i, part in enumerate(parts):
                try:
                    new = os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(part, 0o777, dir_fd=fd)
                    except FileExistsError:
                        pass
                    # Opened again without following: a link put there since the mkdir is refused, not entered.
                    try:
                        new = os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW, dir_fd=fd)
                    except OSError as e:
                        if e.errno in _LINKED:
                            raise _Blocked(rel, f"{'/'.join(parts[:i + 1])} is a symbolic link or not a folder") \
                                from None
                        raise
                except OSError as e:
                    if e.errno in _LINKED:
                        raise _Blocked(rel, f"{'/'.join(parts[:i + 1])} is a symbolic link or not a folder") from None
                    raise
                os.close(fd)
                fd = new
            return fd
        except BaseException:
            os.close(fd)
            raise

    def read(self, rel: str, limit: int | None = None) -> bytes | None:
        """The bytes of a regular file of at most ``limit`` bytes (default: MAX_FILE_BYTES); None when absent;
        _Blocked for anything else."""
        limit = MAX_FILE_BYTES if limit is None else limit
        parts = rel.split("/")
        try:
            folder = self._dir(parts[:-1], rel)
        except FileNotFoundError:
            return None
        try:
            try:
                # Non-blocking: a FIFO put in a file's place neither hangs the read nor counts as the file.
                fd = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | _NOFOLLOW,
                             dir_fd=folder)
            except FileNotFoundError:
                return None
            except OSError as e:
                if e.errno in _LINKED:
                    raise _Blocked(rel, "a symbolic link") from None
                raise
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise _Blocked(rel, "not a regular file")
                if st.st_size > limit:
                    raise _Blocked(rel, f"larger than {limit} bytes")
                chunks, size = [], 0
                while chunk := os.read(fd, 1 << 20):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > limit:
                        raise _Blocked(rel, f"larger than {limit} bytes")
                return b"".join(chunks)
            finally:
                os.close(fd)
        finally:
            os.close(folder)

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry itself (a link is a link); None when absent; _Blocked when the way to it goes through a link."""
        parts = rel.split("/")
        try:
            folder = self._dir(parts[:-1], rel)
        except FileNotFoundError:
            return None
        try:
            return os.stat(parts[-1], dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            return None
        finally:
            os.close(folder)

    def mode(self, rel: str) -> int | None:
        st = self.lstat(rel)
        return None if st is None else stat.S_IMODE(st.st_mode)

    def write(self, rel: str, data: bytes, mode: int | None = None) -> None:
        """Replace ``rel`` whole (a temporary file beside it, then one rename); a link or a non-file there is
        _Blocked, never written through; the folders on the way are made (never through a link either)."""
        parts = rel.split("/")
        folder = self._dir(parts[:-1], rel, create=True)
        name, tmp = parts[-1], None
        try:
            try:
                st = os.stat(name, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None and not stat.S_ISREG(st.st_mode):
                raise _Blocked(rel, "not a regular file (a link, a folder or a device)")
            keep = mode if mode is not None else stat.S_IMODE(st.st_mode) if st is not None else NEW_FILE_MODE
            with critical():  # a signal between creating the temporary file and remembering its name would orphan it
                tmp = f".{name[:64]}.{secrets.token_hex(4)}.scaffold-tmp"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=folder)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fchmod(fd, keep)
            finally:
                os.close(fd)
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
            tmp = None
        finally:
            if tmp is not None:
                with critical():
                    try:
                        os.unlink(tmp, dir_fd=folder)
                    except OSError:
                        pass
            os.close(folder)

    def remove(self, rel: str) -> None:
        """Remove a regular file (absent: nothing to do); a link or anything else there is _Blocked."""
        parts = rel.split("/")
        try:
            folder = self._dir(parts[:-1], rel)
        except FileNotFoundError:
            return
        try:
            try:
                st = os.stat(parts[-1], dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                return
            if not stat.S_ISREG(st.st_mode):
                raise _Blocked(rel, "not a regular file")
            os.unlink(parts[-1], dir_fd=folder)
        finally:
            os.close(folder)

    def remove_work(self) -> None:
        """Remove ``.scaffold/update`` (shutil's fd-based rmtree: it never follows a link out of it)."""
        try:
            folder = self._dir([".scaffold"], WORK)
        except (FileNotFoundError, _Blocked):
            return
        try:
            shutil.rmtree(WORK.split("/")[1], dir_fd=folder)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise ScaffoldError(f"cannot remove {self.root / WORK}: {e.strerror or e}") from None
        finally:
            os.close(folder)


def _read_or_none(tree: _Tree, rel: str, overlay: Mapping[str, bytes | None], limit: int | None = None) -> bytes | None:
    return overlay[rel] if rel in overlay else tree.read(rel, limit)


# ---- reading the project ----

def read_record(project: Path | _Tree, overlay: Mapping[str, bytes | None] | None = None) -> dict[str, Any]:
    """``.scaffold.json``: a regular file of sane size holding the fields an update needs, else UsageError."""
    tree = project if isinstance(project, _Tree) else _Tree(Path(project))
    path = tree.root / base_record.RECORD
    try:
        data = _read_or_none(tree, base_record.RECORD, overlay or {}, MAX_RECORD_BYTES)
        if data is None:
            raise UsageError(f"no .scaffold.json in {tree.root}: run `scaffold update` in a project generated by "
                             "scaffold-ml, or pass --project DIR")
        record = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except _Blocked as e:
        raise UsageError(f"{path} is {e.why}: not a scaffold-ml record; it must be the file scaffold-ml wrote") from None
    except (OSError, ValueError, RecursionError) as e:
        why = "nested too deeply" if isinstance(e, RecursionError) else getattr(e, "strerror", None) or e
        raise UsageError(f"cannot read {path} ({why}); it is the record `scaffold update` starts from") from None
    finally:
        if tree is not project:
            tree.close()
    if not isinstance(record, dict):
        raise UsageError(f"{path} is not a JSON object: not a scaffold-ml record")
    for key in ("framework", "framework_version", "target", "platform", "python", "package", "project_name"):
        if not isinstance(record.get(key), str) or not record[key]:
            raise UsageError(f"{path}: {key!r} must be a non-empty string; regenerate the project or fix the record")
    for key in ("answers", "options"):
        if not isinstance(record.get(key, {}), dict):
            raise UsageError(f"{path}: {key!r} must be an object")
    for key, value in (record.get("options") or {}).items():
        if not isinstance(value, str):
            raise UsageError(f"{path}: the option {key!r} must be a string, not {type(value).__name__}")
    _check_situation(path, record)
    return record


def _task_of(record: Mapping[str, Any]) -> str:
    """The task the project was generated for; a project made before tasks were recorded did its framework's first."""
    task = record.get("task")
    if task is None:
        from .catalog import default_catalog

        return default_catalog().framework(record["framework"]).tasks[0]
    if not isinstance(task, str) or not task:
        raise UsageError(f"{base_record.RECORD}: 'task' must be a non-empty string; regenerate the project or fix "
                         "the record")
    return task


def _check_situation(path: Path, record: Mapping[str, Any]) -> None:
    """The recorded situation (and the project's task) hold only the vocabulary's options and values: they go into
    a render, and a value such as ``"../../etc"`` is not one."""
    from .models import SITUATION
    from .recommender import make_profile

    situation = (record.get("answers") or {}).get("situation")
    values = dict(situation) if isinstance(situation, dict) else {}
    needs = values.pop("need", [])
    if (situation is not None and not isinstance(situation, dict)) or not set(values) <= set(SITUATION) or \
            not isinstance(needs, list) or not all(isinstance(v, str) for v in [*values.values(), *needs]):
        raise UsageError(f"{path}: answers.situation must map the situation's options ({', '.join(SITUATION)}) to "
                         "strings (need: a list of strings)")
    try:
        make_profile(**values, needs=needs)
        if "task" in record:  # the project's own task
            if not isinstance(record["task"], str):
                raise UsageError(f"'task' must be a string, not {type(record['task']).__name__}")
            make_profile(task=record["task"])
    except UsageError as e:
        raise UsageError(f"{path}: {e}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _git(project: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    if shutil.which("git") is None:
        return None
    try:  # bytes: paths and messages in any encoding, whatever the locale
        return subprocess.run(["git", "-C", str(project), *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def _dirty(project: Path) -> list[str]:
    """Uncommitted changes when the project is in a git work tree (empty when it is not, or git is missing):
    paths relative to the project."""
    inside = _git(project, "rev-parse", "--is-inside-work-tree", "--show-prefix")
    lines = inside.stdout.decode("utf-8", "surrogateescape").splitlines() if inside and inside.returncode == 0 else []
    if not lines or lines[0].strip() != "true":
        return []
    prefix = lines[1] if len(lines) > 1 else ""
    status = _git(project, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    if status is None or status.returncode != 0:
        return []
    out, fields = [], status.stdout.split(b"\0")
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        if b"R" in entry[:2] or b"C" in entry[:2]:  # a rename or copy: the original path follows
            i += 1
        rel = os.fsdecode(entry[3:])
        rel = rel[len(prefix):] if prefix and rel.startswith(prefix) else rel
        if not (rel + "/").startswith(WORK + "/"):
            out.append(rel)
    return out


# ---- the three-way merge ----

def merge_text(ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """Merge with ``git merge-file`` (or the merge3 package without git); return (text, had conflicts).

    As UTF-8 bytes, never through the locale's encoding; a file with Windows line endings (ours) is merged with
    LF everywhere and gets its CRLF back, so its lines match the template's instead of all conflicting.
    """
    crlf = "\r\n" in ours and ours.count("\r\n") == ours.count("\n")
    if crlf:
        ours, base, theirs = (t.replace("\r\n", "\n") for t in (ours, base, theirs))
    text, conflicted = _merge_lf(ours, base, theirs)
    return (text.replace("\n", "\r\n") if crlf else text), conflicted


def _merge_lf(ours: str, base: str, theirs: str) -> tuple[str, bool]:
    if shutil.which("git"):
        with tempfile.TemporaryDirectory(prefix="scaffold-merge-") as tmp:
            paths = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                p = Path(tmp) / name
                p.write_bytes(text.encode("utf-8", "surrogateescape"))
                paths.append(str(p))
            done = subprocess.run(["git", "merge-file", "-p", "-L", "yours", "-L", "generated", "-L", "new template",
                                   *paths], capture_output=True, timeout=60, check=False)
            if done.returncode < 0 or done.returncode > 127:
                raise ScaffoldError(f"git merge-file failed: "
                                    f"{done.stderr.decode('utf-8', 'replace').strip() or done.returncode}")
            return done.stdout.decode("utf-8", "surrogateescape"), done.returncode > 0
    try:
        import merge3
    except ImportError:  # pragma: no cover - merge3 is a dependency
        raise ScaffoldError("merging needs git or the merge3 package (pip install merge3)") from None
    m = merge3.Merge3(base.splitlines(True), ours.splitlines(True), theirs.splitlines(True))
    lines = list(m.merge_lines(name_a="yours", name_b="new template", name_base="generated"))
    return "".join(lines), any(line.startswith("<<<<<<< ") for line in lines)


# ---- the plan ----

def _diff(rel: str, before: bytes | None, after: bytes | None) -> str:
    def lines(data: bytes | None) -> list[str]:
        if data is None:
            return []
        text = base_record.mergeable(rel, data)
        return text.splitlines(True) if text is not None else [f"(binary, {len(data)} bytes)\n"]
    return "".join(difflib.unified_diff(lines(before), lines(after), f"a/{rel}", f"b/{rel}"))


def plan(ours: Mapping[str, bytes], base: Mapping[str, Mapping[str, Any]] | None, theirs: Mapping[str, bytes],
         *, required: set[str], blocked: Mapping[str, str] | None = None) -> list[tuple[FileChange, bytes | None]]:
    """For every path, what happens and the resulting bytes (None: the file is absent afterwards).

    ``blocked`` (path -> why): paths the update does not go through (a link, a FIFO, a file too large); kept.
    """
    out: list[tuple[FileChange, bytes | None]] = []
    known = base or {}
    blocked = blocked or {}
    for rel in sorted(set(theirs) | set(known) | set(blocked)):
        if rel in blocked:
            out.append((FileChange(rel, "kept", f"{blocked[rel]}: scaffold-ml does not read or write through it; "
                                   "left as it is"), None))
            continue
        mine, new, entry = ours.get(rel), theirs.get(rel), known.get(rel)
        was = entry.get("sha256") if entry else None
        base_text = entry.get("text") if entry else None
        if new is not None and mine is None:
            if entry is None:
                out.append((FileChange(rel, "added", "new in the template"), new))
            elif rel in required:
                out.append((FileChange(rel, "restored", "deleted, but the project needs it"), new))
            else:
                out.append((FileChange(rel, "deleted", "you deleted it: it stays deleted"), None))
        elif new is not None and mine is not None:
            if mine == new:
                out.append((FileChange(rel, "unchanged"), mine))
            elif was is not None and base_record.digest(mine) == was:
                out.append((FileChange(rel, "replaced", "you had not changed it"), new))
            elif was is not None and base_record.digest(new) == was:
                out.append((FileChange(rel, "kept", "only you changed it"), mine))
            else:
                text_mine, text_new = base_record.mergeable(rel, mine), base_record.mergeable(rel, new)
                if text_mine is None or text_new is None:
                    out.append((FileChange(rel, "kept", "changed by you and by the template; not a text file: "
                                           "compare by hand"), mine))
                    continue
                try:
                    merged, conflicted = merge_text(text_mine, base_text if isinstance(base_text, str) else "",
                                                    text_new)
                except (ScaffoldError, OSError, subprocess.SubprocessError) as e:  # this file only, not the update
                    out.append((FileChange(rel, "kept", f"changed by you and by the template; it could not be "
                                           f"merged ({e}): compare by hand"), mine))
                    continue
                why = ("changed by you and by the template" if entry else
                       "no record of what was generated: merged with the new render")
                out.append((FileChange(rel, "conflict" if conflicted else "merged", why),
                            merged.encode("utf-8", "surrogateescape")))
        elif new is None and mine is not None:  # the template no longer has it
            if was is not None and base_record.digest(mine) == was:
                out.append((FileChange(rel, "removed", "no longer in the template, and you had not changed it"), None))
            else:
                out.append((FileChange(rel, "kept", "no longer in the template, but you changed it"), mine))
    return [(replace_diff(change, ours.get(change.path), result), result) for change, result in out]


def replace_diff(change: FileChange, before: bytes | None, after: bytes | None) -> FileChange:
    if change.action in ("unchanged", "kept", "deleted"):
        return change
    return FileChange(change.path, change.action, change.why, _diff(change.path, before, after))


# ---- applying, atomically, and the journal ----

def _write_atomic(tree: _Tree, rel: str, data: bytes, mode: int | None = None) -> None:
    tree.write(rel, data, mode)


def _any_limit() -> int:
    """The bound for a file an update writes: a project file, the record or the store."""
    return max(MAX_FILE_BYTES, MAX_RECORD_BYTES, base_record.STORE_BYTES)


def _journal_error(tree: _Tree, why: str) -> UsageError:
    return UsageError(f"{tree.root / WORK / JOURNAL} is not a journal this scaffold-ml wrote ({why}); if no "
                      f"`scaffold update` was interrupted here, remove {tree.root / WORK} and run it again")


def _read_journal(tree: _Tree) -> list[dict[str, Any]] | None:
    """The journal of an interrupted update, validated as strictly as ``.scaffold.json``; None when there is none."""
    try:
        data = tree.read(f"{WORK}/{JOURNAL}", MAX_JOURNAL_BYTES)
    except _Blocked as e:
        raise _journal_error(tree, e.why) from None
    if data is None:
        return None
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise _journal_error(tree, "not JSON") from None
    if not (isinstance(doc, dict) and set(doc) == {"version", "root", "entries"} and doc["version"] == _JOURNAL_VERSION
            and isinstance(doc["entries"], list)):
        raise _journal_error(tree, f"not a version {_JOURNAL_VERSION} journal")
    # It names the folder it was written in: one that arrived with a copy or a clone is not this project's.
    if doc["root"] != tree.ino:
        raise _journal_error(tree, "it was written in another folder, e.g. before a copy or a clone")
    seen = set()
    for entry in doc["entries"]:
        if not (isinstance(entry, dict) and set(entry) == {"path", "backup", "mode", "wrote"}):
            raise _journal_error(tree, "an entry is not {path, backup, mode, wrote}")
        rel = entry["path"]
        try:
            check_rel(rel, "the journal")
        except UsageError:
            raise _journal_error(tree, f"{rel!r} is not a path inside the project") from None
        if rel in seen or (rel + "/").startswith(WORK + "/") or ".git" in rel.split("/"):
            raise _journal_error(tree, f"{rel!r} is not a file an update writes")
        seen.add(rel)
        if not (entry["backup"] is None or (isinstance(entry["backup"], str) and entry["backup"].isdigit()
                                            and entry["backup"].isascii() and len(entry["backup"]) < 10)):
            raise _journal_error(tree, f"the backup of {rel!r} is not a backup's name")
        if not (entry["mode"] is None or (type(entry["mode"]) is int and 0 <= entry["mode"] <= 0o7777)):
            raise _journal_error(tree, f"the mode of {rel!r} is not a file mode")
        if not (entry["wrote"] is None or (isinstance(entry["wrote"], str) and _SHA256.match(entry["wrote"]))):
            raise _journal_error(tree, f"what was written to {rel!r} is not a SHA-256")
    return doc["entries"]


def _undo_plan(tree: _Tree, entries: list[dict[str, Any]]) -> tuple[dict[str, bytes | None], dict[str, int], list[str]]:
    """What rolling back restores: only a file that still holds exactly what the update wrote there (or, for one
    it removed, is still absent) gets its backup back. Returns (path -> bytes or None to remove, path -> mode,
    the paths changed since, which are left as they are)."""
    restore: dict[str, bytes | None] = {}
    modes: dict[str, int] = {}
    left: list[str] = []
    for entry in entries:
        rel, wrote = entry["path"], entry["wrote"]
        try:
            now = tree.read(rel, _any_limit())
            before = (tree.read(f"{WORK}/backup/{entry['backup']}", _any_limit()) if entry["backup"] is not None
                      else None)
        except _Blocked:
            left.append(rel)
            continue
        if entry["backup"] is not None and before is None:
            raise _journal_error(tree, f"the backup of {rel!r} is missing")
        if now == before:
            continue  # the update had not reached it (or wrote what was there)
        ours = now is None if wrote is None else now is not None and base_record.digest(now) == wrote
        if ours:
            restore[rel] = before
            if entry["mode"] is not None:
                modes[rel] = entry["mode"] & 0o777  # never a set-id bit, whatever the journal says
        else:
            left.append(rel)  # changed since the update stopped: the user's now
    return restore, modes, left


def _restore(tree: _Tree, restore: Mapping[str, bytes | None], modes: Mapping[str, int]) -> None:
    for rel, data in restore.items():
        if data is None:
            tree.remove(rel)
        else:
            _write_atomic(tree, rel, data, modes.get(rel))


def rollback(project: Path) -> bool:
    """Undo an update that was interrupted (see :func:`update`, which does this after its guards). True if it did.

    Only files that still hold exactly what the interrupted update wrote are restored; one changed since is left.
    """
    tree = _Tree(Path(project))
    try:
        tree.lock(exclusive=True)
        entries = _read_journal(tree)
        if entries is None:
            tree.remove_work()
            return False
        restore, modes, _ = _undo_plan(tree, entries)
        with critical():
            _restore(tree, restore, modes)
            tree.remove_work()
        return True
    finally:
        tree.close()


def apply(tree: _Tree, writes: Mapping[str, bytes | None], modes: Mapping[str, int] | None = None) -> None:
    """Write (bytes) or remove (None) each path so that the project ends fully updated or exactly as before.

    ``modes``: the mode of a file that is new (an existing file keeps its own).
    """
    modes = modes or {}
    # The backups are inside the rollback too: a signal while they are copied leaves no half-made work folder.
    with unwinding():
        entries: list[dict[str, Any]] = []
        try:
            tree.remove_work()
            for i, rel in enumerate(sorted(writes)):
                current = tree.read(rel, _any_limit())
                if current is not None:
                    _write_atomic(tree, f"{WORK}/backup/{i}", current, 0o600)
                data = writes[rel]
                entries.append({"path": rel, "backup": None if current is None else str(i),
                                "mode": tree.mode(rel), "wrote": None if data is None else base_record.digest(data)})
            _write_atomic(tree, f"{WORK}/{JOURNAL}",
                          json.dumps({"version": _JOURNAL_VERSION, "root": tree.ino, "entries": entries}).encode())
            for rel, data in writes.items():
                if data is None:
                    tree.remove(rel)
                else:
                    _write_atomic(tree, rel, data, None if tree.mode(rel) is not None else modes.get(rel))
        except BaseException:
            with critical():
                restore, keep_modes, _ = _undo_plan(tree, entries)
                _restore(tree, restore, keep_modes)
                tree.remove_work()
            raise
    tree.remove_work()


# ---- the render's temporary folder ----

RENDER_PREFIX = "scaffold-update-"


def _render_dir() -> tuple[Path, int]:
    """A fresh folder in the system's temporary folder for the new render, locked for as long as this process
    lives (-1 where there is no flock), after sweeping those of runs that were killed (SIGKILL) mid-render."""
    _sweep_renders()
    folder = Path(tempfile.mkdtemp(prefix=f"{RENDER_PREFIX}{os.getpid()}-"))
    if fcntl is None:  # pragma: no cover - Windows
        return folder, -1
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, fd


def _sweep_renders() -> None:
    """Remove the render folders that killed updates left: this user's, named with a pid that no longer runs, and
    not locked (the lock dies with its process; the pid check covers the instant before a live run locks)."""
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        entries = [e for e in os.scandir(tempfile.gettempdir()) if e.name.startswith(RENDER_PREFIX)]
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(RENDER_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or not entry.is_dir(follow_symlinks=False) or \
                    entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
            continue  # alive (or reused): never guess
        except ProcessLookupError:
            pass
        except OSError:
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue
        finally:
            os.close(fd)


# ---- the operation ----

def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def update(
    project_dir: str | Path = ".",
    *,
    target: str | None = None,
    platform: str | None = None,
    python: str | None = None,
    framework_version: str | None = None,
    options: Mapping[str, str] | None = None,
    dry_run: bool = False,
    check: bool = False,
    allow_dirty: bool = False,
    machine: Any = None,
) -> UpdateReport:
    """Update a generated project (see the module's docstring); returns what was (or would be) done.

    ``dry_run`` and ``check`` write nothing, anywhere, and never touch an interrupted update's journal (they plan
    as if it had been rolled back). Raises :class:`UsageError` for a project without a readable record or base
    store, a git work tree with uncommitted changes (unless ``allow_dirty``) or answers the catalog refuses.
    """
    from .generator import normalise_output_dir

    for name, value in (("target", target), ("platform", platform), ("python", python),
                        ("framework_version", framework_version)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise UsageError(f"--{name.replace('_', '-')} must be a non-empty string")
    if options is not None and not (isinstance(options, Mapping)
                                    and all(isinstance(k, str) and isinstance(v, str) for k, v in options.items())):
        raise UsageError("options must map option names to strings, e.g. {'backend': 'jax'}")
    dry_run, check, allow_dirty = _flag("dry_run", dry_run), _flag("check", check), _flag("allow_dirty", allow_dirty)
    if not isinstance(project_dir, str | os.PathLike) or not os.fspath(project_dir):
        raise UsageError(f"project_dir must be a path, not {type(project_dir).__name__}")
    project = normalise_output_dir(project_dir)  # the working directory read under the generator's lock
    real = not (dry_run or check)
    tree = _Tree(project)
    try:
        tree.lock(exclusive=real)
        return _update(tree, real=real, allow_dirty=allow_dirty, target=target, platform=platform,
                       python=python, framework_version=framework_version, options=options, machine=machine,
                       dry_run=dry_run, check=check)
    finally:
        tree.close()


def _update(tree: _Tree, *, real: bool, allow_dirty: bool, target: str | None,
            platform: str | None, python: str | None, framework_version: str | None,
            options: Mapping[str, str] | None, machine: Any, dry_run: bool, check: bool) -> UpdateReport:
    from .api import generate  # loaded here: generating imports the template machinery
    from .models import Profile

    project = tree.root
    notes = []
    for folder in (".scaffold", WORK):  # where the store, the journal and the backups live: never through a link
        try:
            st = tree.lstat(folder)
            bad = st is not None and not stat.S_ISDIR(st.st_mode)
        except _Blocked:
            bad = True
        if bad:
            raise UsageError(f"{project / folder} is a symbolic link or not a folder; scaffold-ml keeps its store and "
                             "journal there and does not write through links: make it a folder, or remove it")
    entries = _read_journal(tree)
    restore: dict[str, bytes | None] = {}
    modes: dict[str, int] = {}
    left: list[str] = []
    if entries is not None:
        restore, modes, left = _undo_plan(tree, entries)
    overlay = {} if real else restore  # a plan sees the project as the rollback will leave it
    record = read_record(tree, overlay)
    if real and not allow_dirty:
        # The interrupted update's own writes are not the user's changes: the rollback takes them back.
        dirty = [rel for rel in _dirty(project) if rel not in restore]
        if dirty:
            raise UsageError(f"{project} has uncommitted changes ({len(dirty)} paths, e.g. {dirty[0]}): commit "
                             "or stash them first, or pass --allow-dirty")
    if entries is not None:
        changed = f"; left as they are, changed since: {', '.join(left[:5])}" if left else ""
        if real:
            with critical():
                _restore(tree, restore, modes)
                tree.remove_work()
            record = read_record(tree)
            notes.append(f"an interrupted update was found and rolled back first ({len(restore)} files){changed}")
        else:
            notes.append(f"an interrupted update was found; `scaffold update` rolls it back first ({len(restore)} "
                         f"files{changed}), and this plan is made as if it had")

    old_answers = dict(record.get("answers") or {})
    new_options = {**(record.get("options") or {}), **dict(options or {})}
    changed_answers = {k: v for k, v in {"target": target, "platform": platform, "python": python,
                                         "framework_version": framework_version, **dict(options or {})}.items()
                       if v is not None}
    answers = {**old_answers, **changed_answers}
    situation = old_answers.get("situation")
    profile = Profile(**{k: v for k, v in situation.items() if k != "need"},
                      needs=frozenset(situation.get("need", ()))) if isinstance(situation, dict) else None
    # The new render goes to a temporary folder of the system's, never into the project: --check and --dry-run
    # write nothing there, and a real update touches the project only through apply. It goes on any signal.
    with unwinding():
        with critical():  # a signal between making the folder and remembering it would leave it behind
            render_dir, render_fd = _render_dir()
        try:
            try:
                fresh = generate(record["project_name"], framework=record["framework"],
                                 framework_version=framework_version or old_answers.get("framework_version"),
                                 target=target or record["target"], platform=platform or record["platform"],
                                 python=python or record["python"], output_dir=render_dir,
                                 options=new_options or None, profile=profile, answers=answers, machine=machine,
                                 task=_task_of(record))
            except (TypeError, ValueError, KeyError) as e:
                raise UsageError(f"the recorded answers cannot be used: {e}") from None
            new_tree = Path(fresh.path)
            theirs = base_record.files_of(new_tree)
            new_modes = {rel: stat.S_IMODE((new_tree / rel).stat().st_mode) for rel in theirs}
            new_record_bytes = (new_tree / base_record.RECORD).read_bytes()
            new_store = (new_tree / base_record.STORE).read_bytes()
        finally:
            with critical():
                shutil.rmtree(render_dir, ignore_errors=True)
                if render_fd >= 0:
                    os.close(render_fd)

    try:
        store = _read_or_none(tree, base_record.STORE, overlay, base_record.STORE_BYTES + 1)
        base = base_record.parse_snapshot(store) if store is not None else None
    except _Blocked as e:
        raise UsageError(f"{project / base_record.STORE}: {e.why}; scaffold-ml does not read through it: remove it "
                         "or make it the file scaffold-ml wrote") from None
    except base_record.StoreError as e:
        raise UsageError(f"{project}: {e}; the base of the merge cannot be trusted: restore it from version control "
                         f"or remove {base_record.STORE} (then every file is merged, never overwritten)") from None
    if base is None:
        notes.append("this project has no record of what was generated (.scaffold/base.json.gz): every file that "
                     "differs from the new render is treated as yours and merged, never overwritten")
    # Only the files scaffold-ml generated (then, or now) are read: never a .venv, data or the user's own files.
    ours: dict[str, bytes] = {}
    blocked: dict[str, str] = {}
    for rel in sorted(set(theirs) | set(base or {})):
        check_rel(rel, str(project / base_record.STORE))
        if (rel + "/").startswith(".scaffold/") or rel == base_record.RECORD:
            continue
        try:
            data = _read_or_none(tree, rel, overlay)
        except _Blocked as e:
            blocked[rel] = e.why
            continue
        except OSError as e:
            raise ScaffoldError(f"cannot read {project / rel}: {e.strerror or e}") from None
        if data is not None:
            ours[rel] = data
    theirs = {rel: data for rel, data in theirs.items() if not (rel + "/").startswith(".scaffold/")}
    required = {r.format(package=record["package"]) for r in _REQUIRED}
    steps = plan(ours, base, theirs, required=required, blocked=blocked)
    if blocked:
        notes.append(f"left alone, not files scaffold-ml writes through: {', '.join(sorted(blocked)[:5])}"
                     f"{', ...' if len(blocked) > 5 else ''}")
    new_record = json.loads(new_record_bytes)
    behind = _behind(record, new_record, steps)
    report_changes = tuple(change for change, _ in steps)
    if tree.mode("requirements.lock") is not None and any(c.path == "requirements.txt" and c.action in ("replaced", "merged", "conflict")
                      for c in report_changes):
        notes.append("requirements.txt changed: requirements.lock is stale; run `scaffold lock` again")
    if not real:
        return UpdateReport(str(project), False, report_changes, answers, behind, tuple(notes))
    writes = {change.path: result for change, result in steps
              if change.action in ("replaced", "merged", "conflict", "added", "removed", "restored")}
    writes[base_record.RECORD] = new_record_bytes
    writes[base_record.STORE] = new_store
    try:
        apply(tree, writes, new_modes)
    except _Blocked as e:
        raise ScaffoldError(f"cannot update {project}: {e.rel} is {e.why} (it changed while updating); "
                            "the project was left as it was") from None
    except OSError as e:
        raise ScaffoldError(f"cannot update {project}: {e.strerror or e} ({e.filename or ''}); "
                            "the project was left as it was") from None
    return UpdateReport(str(project), True, report_changes, answers, behind, tuple(notes))


def _behind(old: Mapping[str, Any], new: Mapping[str, Any], steps: list[tuple[FileChange, bytes | None]]) -> tuple[str, ...]:
    """What this scaffold-ml would generate differently: its version, the pins, the template's files."""
    out = []
    if old.get("scaffold_version") != __version__:
        out.append(f"generated by scaffold-ml {old.get('scaffold_version')}, this is {__version__}")
    if old.get("framework_version") != new.get("framework_version"):
        out.append(f"pins: {old.get('framework')} {old.get('framework_version')} -> {new.get('framework_version')}")
    elif old.get("pins") != new.get("pins"):
        moved = sorted(set((old.get("pins") or {}).items()) ^ set((new.get("pins") or {}).items()))
        out.append(f"pins: {len({name for name, _ in moved})} distributions would change "
                   f"({', '.join(sorted({name for name, _ in moved})[:5])})")
    template = [c.path for c, _ in steps if c.action in ("replaced", "merged", "conflict", "added", "removed",
                                                           "restored")]
    if template:
        out.append(f"template: {len(template)} files would change ({', '.join(template[:5])}"
                   f"{', ...' if len(template) > 5 else ''})")
    return tuple(out)
