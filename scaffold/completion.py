"""The identifiers of CONTRACT.md on the command line: their shell completion and their one case rule.

For: the values a shell completes after an option, and lowercasing identifiers before anything checks them.
typer completes commands and option names itself (``scaffold --install-completion``); the values come from here,
attached by parameter name to every command, so the vocabulary lives once (``scaffold.models`` and the catalog,
whose ``[options.*]`` tables give the starter options' values) instead of beside each option's declaration. The
catalog is read only while completing, never on a normal run.

May import: ``scaffold.models`` at the top; ``scaffold.catalog`` only inside the functions that complete.

Case: every identifier is lowercase ASCII, words joined by ``-`` (``big-data``, ``cuda-12.8``). The command line
takes them in any case and lowercases them before anything checks them (``--framework PyTorch`` is ``pytorch``);
completion offers the lowercase form; output and ``.scaffold.json`` always hold it. The library takes them as
written, lowercase.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .models import FRAMEWORK_IDS, PYTHONS, SITUATION
from .targets import PLATFORMS

_TARGET_WORDS = ("auto", "cpu", "cuda", "rocm", "mps")


def _catalog_targets(ctx: Any) -> list[str]:
    from .catalog import default_catalog

    catalog = default_catalog()
    chosen = _chosen_framework(ctx)
    fws = [catalog.get(chosen)] if chosen is not None and chosen in catalog.frameworks \
        else list(catalog.frameworks.values())
    return list(dict.fromkeys([*_TARGET_WORDS, *(t for fw in fws for t in fw.targets)]))


def _chosen_framework(ctx: Any) -> str | None:
    value = (getattr(ctx, "params", None) or {}).get("framework")
    if isinstance(value, list | tuple):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, str) else None


def _versions(ctx: Any) -> list[str]:
    from .catalog import default_catalog

    catalog = default_catalog()
    chosen = _chosen_framework(ctx)
    fws = [catalog.get(chosen)] if chosen is not None and chosen in catalog.frameworks \
        else list(catalog.frameworks.values())
    return list(dict.fromkeys(r.version for fw in fws for r in fw.releases))


def _starter_option(name: str, ctx: Any) -> list[str]:
    """The choices of the starter option ``name`` (``[options.<name>]``): the chosen framework's, else all."""
    from .catalog import default_catalog

    catalog = default_catalog()
    chosen = _chosen_framework(ctx)
    fws = [catalog.get(chosen)] if chosen is not None and chosen in catalog.frameworks \
        else list(catalog.frameworks.values())
    return list(dict.fromkeys(c for fw in fws if name in fw.options for c in fw.options[name].choices))


def _fixed(values: Iterable[str]) -> Callable[[Any], list[str]]:
    listed = list(values)
    return lambda ctx: listed


VALUES: dict[str, Callable[[Any], list[str]]] = {
    "framework": _fixed(FRAMEWORK_IDS),
    "framework_version": _versions,
    "target": _catalog_targets,
    "platform": _fixed(PLATFORMS),
    "python": _fixed(PYTHONS),
    **{option: _fixed(values) for option, values in SITUATION.items()},
}


def candidates(param_name: str, incomplete: str, ctx: Any = None) -> list[str]:
    """The values of ``param_name`` that start with ``incomplete`` (any case); any other name is a starter option."""
    source = VALUES.get(param_name)
    values = source(ctx) if source is not None else _starter_option(param_name, ctx)
    prefix = incomplete.lower()
    return [v for v in values if v.startswith(prefix)]


def lowercase(value: Any) -> Any:
    """The case rule: a value (or each value of a repeated option) in lowercase; anything else as it is."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | tuple):
        return type(value)(lowercase(v) for v in value)
    return value


def hook(param: Any) -> Any:
    """Give one identifier parameter (a click option) its value completion and the case rule; return it."""
    if getattr(param, "_custom_shell_complete", None) is None:
        # click's documented hook (Parameter(shell_complete=...)), set after typer built the command
        param._custom_shell_complete = (lambda ctx, p, incomplete: candidates(p.name, incomplete, ctx))
    process = param.process_value
    # Before typer's conversion and every check of ours, so each check sees the lowercase identifier.
    param.process_value = (lambda ctx, value, process=process: process(ctx, lowercase(value)))
    return param


def attach(command: Any) -> Any:
    """Give every identifier parameter of ``command`` (a click command or group, recursively) its value
    completion and the case rule. (The starter options get theirs where they are built: ``scaffold.cli``.)"""
    for param in getattr(command, "params", ()):
        if param.name in VALUES:
            hook(param)
    for sub in (getattr(command, "commands", None) or {}).values():
        attach(sub)
    return command
