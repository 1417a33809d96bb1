"""Project names -> slug and import name, and the names a project must not take.

:func:`slugify` is pure and refuses anything that is not a clean identifier. :func:`check_collisions` refuses a
name that collides with what the starter installs, imports or holds; it takes the framework and the catalog as
parameters and reads the bundled template files (read-only), never the machine.

May import: ``errors`` and ``_paths`` of ours, ``packaging`` (inside the functions), and the standard library.
"""

from __future__ import annotations

import functools
import keyword
import re
import sys
from typing import Any

from .errors import UsageError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,63}$")


def slugify(name: str) -> tuple[str, str]:
    """Return ``(slug, package)`` for a project name, e.g. ``Churn Model`` -> ``churn-model``, ``churn_model``.

    Raises :class:`UsageError` for empty, path-like or non-identifier names. The name is never
    evaluated as a template: it is only checked against a plain pattern.
    """
    if not name or not name.strip():
        raise UsageError("the project name is empty; give a name of letters, digits, spaces, '-' or '_', starting with a letter")
    if any(sep in name for sep in ("/", "\\", "..")) or name.startswith((".", "~")):
        raise UsageError(f"the project name {name!r} looks like a path; give a plain name "
                         "(letters, digits, spaces, '-' or '_') and use --output-dir for the location")
    if not _NAME.match(name.strip()):
        raise UsageError(f"the project name {name!r} is not allowed; use 1-64 letters, digits, spaces, '-' or '_', "
                         "starting with a letter")
    slug = re.sub(r"[ _-]+", "-", name.strip().lower()).strip("-")
    package = slug.replace("-", "_")
    if not package.isidentifier() or keyword.iskeyword(package) or package in sys.stdlib_module_names:
        raise UsageError(f"the project name {name!r} gives the import name {package!r}, which is a Python keyword or "
                         "shadows a module the project needs; choose another name")
    return slug, package


# The installer and the build front ends: never in the catalog (they install it), yet a project that
# takes one of their names shadows it (`pip install -e .` of a project named pip removes pip).
INSTALLERS = frozenset({"pip", "setuptools", "wheel", "uv", "build", "pkg_resources", "distutils", "_distutils_hack",
                        "virtualenv", "pipx"})
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)


def check_collisions(slug: str, package: str, fw: Any, catalog: Any) -> None:
    """Refuse a name that breaks the project it names, for this starter; :class:`UsageError` says why.

    Taken from the data, not from a list kept by hand: the distributions the catalog pins for the
    framework (every release and variant), the shared tooling and build backend, the modules the
    starter's templates import, and the starter's own top-level folders and ``.gitignore`` d names.
    Folders compare case-insensitively, as they do on macOS and Windows.
    """
    from packaging.utils import canonicalize_name

    dist = canonicalize_name(slug)
    distributions = _distributions(fw, catalog)
    if dist in distributions or package in INSTALLERS or dist in {canonicalize_name(n) for n in INSTALLERS}:
        raise UsageError(f"the project name {slug!r} is the name of a package the project installs or is installed "
                         f"with ({distributions.get(dist, dist)}); choose another name")
    modules = _template_imports(fw.starter)
    if package in modules or package in {d.replace("-", "_") for d in distributions}:
        raise UsageError(f"the project name gives the import name {package!r}, which the {fw.starter} starter imports "
                         "itself; choose another name")
    folders = _starter_names(fw.starter)
    for name in (slug.lower(), package.lower()):
        if name in folders:
            raise UsageError(f"the project name gives {name!r}, which collides with {folders[name]} in the "
                             f"{fw.starter} starter; choose another name")


def _distributions(fw: Any, catalog: Any) -> dict[str, str]:
    """Canonical distribution name -> how the catalog writes it, for everything a project of ``fw`` installs."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    # Every framework's own package too: a project named torch or pyspark collides the day it meets one.
    texts = [*catalog.tooling.values(), *catalog.build_requires, *(f.package for f in catalog.frameworks.values())]
    for release in fw.releases:
        texts += [*release.requires, *release.dev_requires]
        for variant in release.variants:
            texts += variant.requirements
    out: dict[str, str] = {}
    for text in texts:
        try:
            name = Requirement(text).name
        except InvalidRequirement:
            continue
        out.setdefault(canonicalize_name(name), name)
    return out


@functools.lru_cache(maxsize=16)
def _template_imports(starter: str) -> frozenset[str]:
    """Top-level modules that the starter's Python templates (and the shared base's) import."""
    from ._paths import templates_dir

    found: set[str] = set()
    for layer in ("_base", starter):
        for path in (templates_dir() / layer).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            try:
                found.update(_IMPORT.findall(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return frozenset(found)


@functools.lru_cache(maxsize=16)
def _starter_names(starter: str) -> dict[str, str]:
    """Lower-cased top-level names of a generated project -> what they are (a folder, an ignored name)."""
    from ._paths import templates_dir

    root = templates_dir()
    names: dict[str, str] = {}
    for layer in ("_base", starter):
        for entry in (root / layer / "{{cookiecutter.project_slug}}").iterdir() if (
                root / layer / "{{cookiecutter.project_slug}}").is_dir() else ():
            if "{{" not in entry.name and entry.name != "__pycache__":
                names.setdefault(entry.name.lower(), f"its top-level {'folder' if entry.is_dir() else 'file'} "
                                                      f"{entry.name!r}")
    ignores = [root / "_base" / "{{cookiecutter.project_slug}}" / ".gitignore", root / starter / "partials" / "gitignore_extra"]
    for path in ignores:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "{", "!")) or any(c in line for c in "*?["):
                continue
            name = line.strip("/").split("/")[0]
            names.setdefault(name.lower(), f"a name its .gitignore ignores ({line})")
    return names
