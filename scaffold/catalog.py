"""Load ``frameworks/*.toml`` into a typed, validated :class:`Catalog`.

Every problem is collected (not just the first) and reported with its file and key path, so a
maintainer fixes a broken catalog in one pass. Reads only ``frameworks/``; imports ``errors``, ``models``
and the platform names of ``targets``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ._paths import frameworks_dir
from .errors import CatalogError
from .models import (
    ACCELERATORS,
    FRAMEWORK_IDS,
    PYTHONS,
    SITUATION,
    Architectures,
    Catalog,
    Download,
    DriverMinimum,
    Framework,
    Index,
    Release,
    Rule,
    StarterOption,
    Variant,
)
from .targets import PLATFORMS

TOOLING_FILE = "_tooling.toml"
GPU_FILE = "_gpu.toml"  # catalog-wide GPU facts: architectures of each family of CUDA builds, driver minimums
SIZES_FILE = "_sizes.toml"  # written by `scaffold catalog sizes`: what each target's pins download
DATA_FILES = (TOOLING_FILE, GPU_FILE, SIZES_FILE)
_CAPABILITY = re.compile(r"^\d+\.\d+$")
_DRIVER = re.compile(r"^\d+(?:\.\d+){0,2}$")


@dataclass(frozen=True)
class Companions:
    """A named set of pins several releases or variants share (``[companions.<name>]``), written once.

    ``newest`` says the set promises the newest release of each pinned distribution that covers the
    Pythons its pin applies to; ``scaffold catalog check`` holds it to that.
    """

    name: str
    requires: tuple[str, ...]
    newest: bool
    source: str


@dataclass(frozen=True)
class Shared:
    """What ``_tooling.toml`` declares once for the whole catalog: companion sets and package indexes."""

    companions: dict[str, Companions]
    indexes: dict[str, Index]


class _Reader:
    """Typed access to one TOML document that records errors instead of raising."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{self.path.name}: {where}: {message}")

    def get(self, table: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...],
            default: Any = ..., ) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in table:
            if default is ...:
                self.error(path, "missing")
                return None
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            self.error(path, f"expected {_kind_name(kind)}, got {type(value).__name__}")
            return None if default is ... else default
        return value

    def strings(self, table: dict[str, Any], key: str, where: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(table, key, where, list, default)
        if value is None:
            return ()
        path = f"{where}.{key}" if where else key
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            self.error(path, "expected a list of strings")
            return ()
        return tuple(value)

    def choice(self, value: str | None, allowed: tuple[str, ...], where: str) -> None:
        if value is not None and value not in allowed:
            self.error(where, f"{value!r} is not one of {', '.join(allowed)}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", float: "a number", list: "a list", dict: "a table", bool: "true/false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_requirement(r: _Reader, text: str, where: str) -> None:
    try:
        Requirement(text)
    except InvalidRequirement as e:
        r.error(where, f"invalid requirement {text!r}: {e}")


def _companion_sets(r: _Reader, doc: dict[str, Any]) -> dict[str, Companions]:
    """``[companions.<name>]``: ``requires`` (pins, markers allowed), ``source`` and optionally ``newest``."""
    out = {}
    for name, raw in r.get(doc, "companions", "", dict, {}).items():
        where = f"companions.{name}"
        if not isinstance(raw, dict):
            r.error(where, "expected a table with requires and source")
            continue
        requires = r.strings(raw, "requires", where)
        for req in requires:
            _check_requirement(r, req, f"{where}.requires")
        if not requires:
            r.error(f"{where}.requires", "a companion set needs at least one pin")
        out[name] = Companions(name, requires, r.get(raw, "newest", where, bool, False),
                               r.get(raw, "source", where, str) or "")
    return out


def _indexes(r: _Reader, doc: dict[str, Any]) -> dict[str, Index]:
    indexes: dict[str, Index] = {}
    for name, raw in r.get(doc, "indexes", "", dict, {}).items():
        url = r.get(raw, "url", f"indexes.{name}", str)
        if url:
            indexes[name] = Index(name, url, r.get(raw, "source", f"indexes.{name}", str) or "")
    return indexes


def _with_companions(r: _Reader, own: tuple[str, ...], raw: dict[str, Any], where: str,
                     sets: dict[str, Companions]) -> tuple[str, ...]:
    """``own`` followed by the pins of the companion sets ``raw`` names in ``companions``.

    A distribution that ``own`` pins itself is left out of the shared sets: that is how a release
    that needs another version (say an older NumPy) overrides the shared pin. ``"numpy@3.10"`` names
    the set as it applies on Python 3.10, for every Python of the release: one NumPy for all of them
    where a dependency caps it (the version stays written once, in the set).
    """
    names = r.strings(raw, "companions", where, ())
    if not names:
        return own
    mine = {_name(req) for req in own}
    extra: list[str] = []
    for ref in names:
        pins = _companion_pins(ref, sets)
        if isinstance(pins, str):
            r.error(f"{where}.companions", pins)
            continue
        extra.extend(req for req in pins if _name(req) not in mine)
    return (*own, *extra)


_MARKER_WORDS = frozenset({"and", "or", "not", "in"})


def _companion_pins(ref: str, sets: dict[str, Companions]) -> tuple[str, ...] | str:
    """The pins ``ref`` (``name`` or ``name@X.Y``) stands for, or why it is wrong."""
    name, _, python = ref.partition("@")
    if name not in sets:
        return f"{name!r} is not under [companions]; declared: {', '.join(sets) or 'none'}"
    if not python:
        return sets[name].requires
    if python not in PYTHONS:
        return f"{ref!r}: {python!r} is not one of {', '.join(PYTHONS)}"
    env = {"python_version": python, "python_full_version": f"{python}.0"}
    picked = []
    for text in sets[name].requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue  # reported where the set is read
        if req.marker is None:
            picked.append(text)
            continue
        # Only a Python marker can be settled here; any other would depend on the machine that loads the catalog.
        words = set(re.findall(r"[A-Za-z_]+", re.sub(r"'[^']*'|\"[^\"]*\"", "", str(req.marker)))) - _MARKER_WORDS
        if not words <= {"python_version", "python_full_version"}:
            return f"{ref!r}: the set's marker {str(req.marker)!r} is not only about the Python version"
        if req.marker.evaluate(env):
            req.marker = None
            picked.append(str(req))
    if not picked:
        return f"{ref!r}: none of the set's pins applies on Python {python}"
    return tuple(picked)


def _name(text: str) -> str:
    try:
        return Requirement(text).name.lower().replace("_", "-")
    except InvalidRequirement:
        return text


def _rules(r: _Reader, rec: dict[str, Any]) -> tuple[Rule, ...]:
    rules = []
    for i, raw in enumerate(r.get(rec, "rules", "recommend", list, [])):
        where = f"recommend.rules[{i}]"
        if not isinstance(raw, dict):
            r.error(where, "expected a table")
            continue
        when = r.get(raw, "when", where, dict) or {}
        conditions = []
        for option, value in when.items():
            if option not in SITUATION:
                r.error(f"{where}.when.{option}", f"unknown option; allowed: {', '.join(SITUATION)}")
            elif not isinstance(value, str) or value not in SITUATION[option]:
                r.error(f"{where}.when.{option}", f"{value!r} is not one of {', '.join(SITUATION[option])}")
            else:
                conditions.append((option, value))
        if not when:
            r.error(f"{where}.when", "a rule needs at least one condition")
        score = r.get(raw, "score", where, float)
        reason = r.get(raw, "reason", where, str, None)
        caution = r.get(raw, "caution", where, str, None)
        source = r.get(raw, "source", where, str)
        if (reason is None) == (caution is None):
            r.error(where, "give exactly one of reason or caution")
            continue
        if score is None or source is None:
            continue
        kind = "reason" if reason is not None else "caution"
        if (kind == "reason" and score < 0) or (kind == "caution" and score > 0):
            r.error(f"{where}.score", f"a {kind} with score {score} points the wrong way")
        rules.append(Rule(tuple(sorted(conditions)), score, reason or caution or "", kind, source))
    return tuple(rules)


def _architectures(r: _Reader, doc: dict[str, Any]) -> dict[str, Architectures]:
    """``[architectures.<name>]``: the GPU architectures of a family of builds, each with its source."""
    out: dict[str, Architectures] = {}
    for name, raw in r.get(doc, "architectures", "", dict, {}).items():
        where = f"architectures.{name}"
        sass = r.strings(raw, "sass", where, ())
        ptx = r.get(raw, "ptx", where, str, None)
        minimum = r.get(raw, "minimum", where, str, None)
        for cap in (*sass, *(c for c in (ptx, minimum) if c)):
            if not _CAPABILITY.match(cap):
                r.error(where, f"{cap!r} is not a compute capability like 8.6")
        if not (sass or ptx or minimum):
            r.error(where, "give sass, ptx or minimum (leave a build out of the table when nobody publishes its list)")
        out[name] = Architectures(sass, ptx, minimum, r.get(raw, "source", where, str) or "")
    return out


def _variant_architectures(r: _Reader, raw: dict[str, Any], where: str, platforms: tuple[str, ...],
                           table: dict[str, Architectures]) -> dict[str, Architectures]:
    """A variant's ``architectures``: a name from the table, or ``{ default = name, <platform> = name }``."""
    ref = raw.get("architectures")
    if ref is None:
        return {}
    by_platform = {"default": ref} if isinstance(ref, str) else ref if isinstance(ref, dict) else None
    if by_platform is None:
        r.error(f"{where}.architectures", "give a name from [architectures] or a table of platform = name")
        return {}
    out = {}
    for key, name in by_platform.items():
        if key != "default" and key not in platforms:
            r.error(f"{where}.architectures.{key}", f"not one of the variant's platforms: {', '.join(platforms)}")
        elif name not in table:
            r.error(f"{where}.architectures.{key}", f"{name!r} is not under [architectures]; declared: "
                    f"{', '.join(table) or 'none'}")
    for platform in platforms:
        name = by_platform.get(platform, by_platform.get("default"))
        if name in table:
            out[platform] = table[name]
    return out


def _tasks(r: _Reader, rec: dict[str, Any]) -> tuple[str, ...]:
    """``recommend.tasks``: the tasks the starter serves, the default first; at least one, each once."""
    tasks = r.strings(rec, "tasks", "recommend")
    if not tasks:
        r.error("recommend.tasks", "list the tasks the starter serves, the default first")
    for task in tasks:
        r.choice(task, SITUATION["task"], "recommend.tasks")
    if len(set(tasks)) != len(tasks):
        r.error("recommend.tasks", "each task once")
    return tuple(tasks)


def _variant(r: _Reader, raw: dict[str, Any], where: str, indexes: dict[str, Index],
             options: dict[str, StarterOption], archs: dict[str, Architectures],
             sets: dict[str, Companions]) -> Variant | None:
    accelerator = r.get(raw, "accelerator", where, str)
    r.choice(accelerator, ACCELERATORS, f"{where}.accelerator")
    version = r.get(raw, "version", where, str, "")
    if accelerator in ("cuda", "rocm") and not version:
        r.error(f"{where}.version", f"a {accelerator} variant needs its version, e.g. 12.6")
    platforms = r.strings(raw, "platforms", where)
    for p in platforms:
        r.choice(p, PLATFORMS, f"{where}.platforms")
    requirements = r.strings(raw, "requirements", where)
    for req in requirements:
        _check_requirement(r, req, f"{where}.requirements")
    requirements = _with_companions(r, requirements, raw, where, sets)
    index = r.get(raw, "index", where, str, None)
    if index is not None and index not in indexes:
        r.error(f"{where}.index", f"{index!r} is not declared under [indexes]; declared: {', '.join(indexes) or 'none'}")
    python = r.strings(raw, "python", where, None) or None
    for py in python or ():
        r.choice(py, PYTHONS, f"{where}.python")
    variant_options = r.get(raw, "options", where, dict, {})
    for name, value in variant_options.items():
        if name not in options:
            r.error(f"{where}.options.{name}", f"not declared under [options]; declared: {', '.join(options) or 'none'}")
        elif value not in options[name].choices:
            r.error(f"{where}.options.{name}", f"{value!r} is not one of {', '.join(options[name].choices)}")
    if accelerator is None:
        return None
    return Variant(
        accelerator=accelerator,
        version=version,
        platforms=platforms,
        requirements=requirements,
        index=index,
        index_packages=r.strings(raw, "index_packages", where, ()),
        python=python,
        options=dict(variant_options),
        notes=r.strings(raw, "notes", where, ()),
        facts=r.get(raw, "facts", where, dict, {}),
        source=r.get(raw, "source", where, str) or "",
        architectures=_variant_architectures(r, raw, where, platforms, archs),
    )


def _release(r: _Reader, raw: dict[str, Any], where: str, indexes: dict[str, Index],
             options: dict[str, StarterOption], archs: dict[str, Architectures],
             sets: dict[str, Companions]) -> Release | None:
    version = r.get(raw, "version", where, str)
    try:
        Version(version or "")
    except InvalidVersion:
        r.error(f"{where}.version", f"{version!r} is not a version")
    python = r.strings(raw, "python", where)
    for py in python:
        r.choice(py, PYTHONS, f"{where}.python")
    requires = r.strings(raw, "requires", where, ())
    dev_requires = r.strings(raw, "dev_requires", where, ())
    for key, reqs in (("requires", requires), ("dev_requires", dev_requires)):
        for req in reqs:
            _check_requirement(r, req, f"{where}.{key}")
    requires = _with_companions(r, requires, raw, where, sets)
    r.get(raw, "newest", where, bool, False)
    variants = []
    for j, v in enumerate(r.get(raw, "variants", where, list, [])):
        variant = (_variant(r, v, f"{where}.variants[{j}]", indexes, options, archs, sets)
                   if isinstance(v, dict) else None)
        if variant:
            variants.append(variant)
    if not variants:
        r.error(f"{where}.variants", "a release needs at least one variant")
    if version is None:
        return None
    return Release(
        version=version,
        released=r.get(raw, "released", where, str) or "",
        python=python,
        requires=requires,
        variants=tuple(variants),
        facts=r.get(raw, "facts", where, dict, {}),
        source=r.get(raw, "source", where, str) or "",
        dev_requires=dev_requires,
    )


def _framework(path: Path, archs: dict[str, Architectures], shared: Shared) -> tuple[Framework | None, list[str]]:
    r = _Reader(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        return None, [f"{path.name}: {e}"]
    fid = r.get(doc, "id", "", str)
    if fid is not None and fid != path.stem:
        r.error("id", f"{fid!r} does not match the file name {path.stem!r}")
    own_indexes = _indexes(r, doc)
    own_sets = _companion_sets(r, doc)
    for kind, own, common in (("indexes", own_indexes, shared.indexes), ("companions", own_sets, shared.companions)):
        for name in own.keys() & common.keys():
            r.error(f"{kind}.{name}", f"already declared in {TOOLING_FILE}: use that one (each fact once)")
    indexes = {**shared.indexes, **own_indexes}
    sets = {**shared.companions, **own_sets}
    options: dict[str, StarterOption] = {}
    for name, raw in r.get(doc, "options", "", dict, {}).items():
        where = f"options.{name}"
        choices = r.strings(raw, "choices", where)
        default = r.get(raw, "default", where, str)
        r.choice(default, choices, f"{where}.default")
        by_acc = r.get(raw, "default_by_accelerator", where, dict, {})
        for acc, value in by_acc.items():
            r.choice(acc, ACCELERATORS, f"{where}.default_by_accelerator")
            r.choice(value, choices, f"{where}.default_by_accelerator.{acc}")
        options[name] = StarterOption(name, choices, default or "", r.get(raw, "help", where, str) or "", by_acc)
    rec = r.get(doc, "recommend", "", dict) or {}
    rules = _rules(r, rec)
    releases = []
    for i, raw in enumerate(r.get(doc, "releases", "", list, [])):
        release = _release(r, raw, f"releases[{i}]", indexes, options, archs, sets) if isinstance(raw, dict) else None
        if release:
            releases.append(release)
    cpu_only = r.get(doc, "cpu_only", "", bool, False)
    cpu_only_note = r.get(doc, "cpu_only_note", "", str, "")
    if cpu_only and not cpu_only_note:
        r.error("cpu_only_note", "a cpu_only framework must say so in cpu_only_note")
    fw = Framework(
        id=fid or path.stem,
        name=r.get(doc, "name", "", str) or "",
        starter=r.get(doc, "starter", "", str) or "",
        package=r.get(doc, "package", "", str) or "",
        summary=r.get(doc, "summary", "", str) or "",
        base_score=r.get(rec, "base", "recommend", float) or 0.0,
        rules=rules,
        cautions=r.strings(rec, "cautions", "recommend", ()),
        tasks=_tasks(r, rec),
        releases=tuple(sorted(releases, key=lambda rel: Version(rel.version), reverse=True)),
        # its own indexes and those of the shared ones its variants use
        indexes={**own_indexes, **{v.index: indexes[v.index] for rel in releases for v in rel.variants
                                   if v.index in shared.indexes and v.index not in own_indexes}},
        options=options,
        cpu_only=cpu_only,
        cpu_only_note=cpu_only_note,
        hints={k: v for k, v in (r.get(doc, "hints", "", dict, {})).items() if isinstance(v, str)},
        remote_accelerator=r.get(doc, "remote_accelerator", "", bool, False),
    )
    return fw, r.errors


def load_catalog(directory: Path | None = None) -> Catalog:
    """Read and validate every framework file; raise :class:`CatalogError` listing all problems."""
    return _load(directory or frameworks_dir())[0]


def _load(directory: Path) -> tuple[Catalog, Shared]:
    errors: list[str] = []
    frameworks: dict[str, Framework] = {}
    archs, drivers = _gpu(directory / GPU_FILE, errors)
    tooling_path = directory / TOOLING_FILE
    tooling_doc = _read_toml(tooling_path, errors)  # read once: it holds both the shared sets and the tooling pins
    shared = _shared(tooling_path, tooling_doc or {}, errors)
    for fid in FRAMEWORK_IDS:
        path = directory / f"{fid}.toml"
        if not path.is_file():
            errors.append(f"{path.name}: missing (every framework of the contract needs a file)")
            continue
        fw, errs = _framework(path, archs, shared)
        errors.extend(errs)
        if fw:
            frameworks[fid] = fw
    extra = sorted(p.name for p in directory.glob("*.toml") if p.stem not in FRAMEWORK_IDS and p.name not in DATA_FILES)
    errors.extend(f"{name}: not a framework of the contract ({', '.join(FRAMEWORK_IDS)})" for name in extra)
    tooling = _tooling(tooling_path, tooling_doc, errors) if tooling_doc is not None else {"tooling": {}}
    downloads = _downloads(directory / SIZES_FILE, errors)
    if errors:
        raise CatalogError("the framework catalog is invalid:\n  " + "\n  ".join(errors))
    return Catalog(frameworks=frameworks, downloads=downloads, drivers=drivers, **tooling), shared


def _downloads(path: Path, errors: list[str]) -> dict[str, Download]:
    """``frameworks/_sizes.toml`` (optional): measured download sizes per framework/release/target/platform."""
    if not path.is_file():
        return {}
    r = _Reader(path)
    doc = _read_toml(path, errors)
    if doc is None:
        return {}
    out = {}
    for key, raw in r.get(doc, "downloads", "", dict, {}).items():
        where = f"downloads.{key}"
        size, packages = r.get(raw, "bytes", where, int), r.get(raw, "packages", where, int)
        python, measured = r.get(raw, "python", where, str), r.get(raw, "measured", where, str)
        if None not in (size, packages, python, measured):
            out[key] = Download(size, python, packages, measured)
    errors.extend(r.errors)
    return out


def _read_toml(path: Path, errors: list[str]) -> dict[str, Any] | None:
    """A catalog file's tables, or None with the problem added to ``errors``."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        errors.append(f"{path.name}: {e}")
        return None


def _gpu(path: Path, errors: list[str]) -> tuple[dict[str, Architectures], dict[str, DriverMinimum]]:
    r = _Reader(path)
    doc = _read_toml(path, errors)
    if doc is None:
        return {}, {}
    archs = _architectures(r, doc)
    drivers = _drivers(r, doc)
    errors.extend(r.errors)
    return archs, drivers


def _drivers(r: _Reader, doc: dict[str, Any]) -> dict[str, DriverMinimum]:
    """``[drivers.<CUDA major>]``: the minimum NVIDIA driver on Linux and on Windows, with its source."""
    out: dict[str, DriverMinimum] = {}
    for major, raw in r.get(doc, "drivers", "", dict, {}).items():
        where = f"drivers.{major}"
        if not major.isdigit() or not isinstance(raw, dict):
            r.error(where, "expected a table named by a CUDA major (e.g. [drivers.13]) with linux, windows, source")
            continue
        linux, windows = r.get(raw, "linux", where, str), r.get(raw, "windows", where, str)
        source = r.get(raw, "source", where, str)
        for key, value in (("linux", linux), ("windows", windows)):
            if value is not None and not _DRIVER.match(value):
                r.error(f"{where}.{key}", f"{value!r} is not a driver version (dotted numbers, e.g. 570.133.20)")
        if linux and windows and source:
            out[major] = DriverMinimum(major, linux, windows, source)
    if not out:
        r.error("drivers", "the minimum NVIDIA driver per CUDA major is missing (every CUDA variant needs it)")
    return out


def load_shared(directory: Path | None = None, errors: list[str] | None = None) -> Shared:
    """The companion sets and indexes of ``_tooling.toml``; problems go to ``errors`` (raised when it is None)."""
    path = (directory or frameworks_dir()) / TOOLING_FILE
    collected: list[str] = []
    shared = _shared(path, _read_toml(path, collected) or {}, collected)
    if errors is None:
        if collected:
            raise CatalogError("the framework catalog is invalid:\n  " + "\n  ".join(collected))
    else:
        errors.extend(collected)
    return shared


def _shared(path: Path, doc: dict[str, Any], errors: list[str]) -> Shared:
    r = _Reader(path)
    shared = Shared(_companion_sets(r, doc), _indexes(r, doc))
    errors.extend(r.errors)
    return shared


def _tooling(path: Path, doc: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """Pins every generated project shares (test runner, build backend) and the PyPI URL."""
    r = _Reader(path)
    pins = r.get(doc, "pins", "", dict) or {}
    for name, req in pins.items():
        if isinstance(req, str):
            _check_requirement(r, req, f"pins.{name}")
        else:
            r.error(f"pins.{name}", "expected a requirement string")
    build = r.strings(doc, "build_requires", "")
    for req in build:
        _check_requirement(r, req, "build_requires")
    pypi = r.get(doc, "pypi", "", str) or ""
    r.get(doc, "source", "", str)
    errors.extend(r.errors)
    return {"tooling": dict(pins), "build_requires": build, "pypi_url": pypi}


@dataclass(frozen=True)
class NewestClaim:
    """A pin the catalog says is the newest release covering every Python it applies to."""

    framework: str
    release: str
    requirement: str  # as written, marker included
    pythons: tuple[str, ...]  # the Pythons the release (or variant) claims; the marker narrows them
    where: str  # the file and table that makes the claim


def newest_claims(directory: Path | None = None) -> tuple[NewestClaim, ...]:
    """Every pin the catalog promises is the newest: a release's own ``requires`` where the release says
    ``newest = true``, and the pins of a companion set marked ``newest`` that a release or variant names
    (less those it overrides with its own pin). Raises :class:`CatalogError` for an invalid catalog."""
    directory = directory or frameworks_dir()
    shared = _load(directory)[1]  # validates everything read below
    claims: list[NewestClaim] = []
    for fid in FRAMEWORK_IDS:
        path = directory / f"{fid}.toml"
        r = _Reader(path)
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        own_sets = _companion_sets(r, doc)
        sets = {**shared.companions, **own_sets}
        for i, raw in enumerate(doc.get("releases", [])):
            version, pythons = raw["version"], tuple(raw.get("python", ()))
            own = tuple(raw.get("requires", ()))
            if raw.get("newest") is True:
                claims += [NewestClaim(fid, version, req, pythons, f"{path.name} releases[{i}]") for req in own]
            for where_raw, own_reqs, py in ((raw, own, pythons),
                                            *((v, tuple(v.get("requirements", ())), tuple(v.get("python", ())) or pythons)
                                              for v in raw.get("variants", []))):
                mine = {_name(req) for req in own_reqs}
                for ref in where_raw.get("companions", ()):
                    name = ref.partition("@")[0]
                    pins = _companion_pins(ref, sets)
                    if not sets[name].newest or isinstance(pins, str):
                        continue
                    home = path.name if name in own_sets else TOOLING_FILE
                    claims += [NewestClaim(fid, version, req, py, f"{home} companions.{name}")
                               for req in pins if _name(req) not in mine]
    return tuple(dict.fromkeys(claims))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The bundled catalog, loaded once per process."""
    return load_catalog()
