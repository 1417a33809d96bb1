"""Project names -> slug and import name. Pure; refuses anything that is not a clean identifier."""

from __future__ import annotations

import keyword
import re
import sys

from .errors import UsageError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,63}$")
# Import names that would shadow what a generated project imports itself.
_TAKEN = frozenset({"sklearn", "torch", "keras", "tensorflow", "pyspark", "sagemaker", "boto3", "botocore", "numpy",
                    "pandas", "scipy", "matplotlib", "pyarrow", "joblib", "pytest", "jax", "moto", "tests", "scaffold"})


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
    if not package.isidentifier() or keyword.iskeyword(package) or package in sys.stdlib_module_names \
            or package in _TAKEN:
        raise UsageError(f"the project name {name!r} gives the import name {package!r}, which is a Python keyword or "
                         "shadows a module the project needs; choose another name")
    return slug, package
