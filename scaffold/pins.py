"""Resolve pins. PURE: (framework, release, target, platform, python, options) -> PinSet.

Never looks at the machine: ``auto`` and the defaults are filled in by the caller (:mod:`scaffold.api`,
from :func:`scaffold.hardware.detect`). Imports ``errors``, ``models``, ``gpus`` and ``targets``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from packaging.requirements import Requirement
from packaging.version import Version

from .errors import PythonUnsupported, TargetError, UsageError
from .gpus import blocker, sentence
from .models import Catalog, Download, Framework, PinSet, Release, Target, Variant, download_key
from .targets import (
    TargetSpec,
    check_contradiction,
    check_platform,
    check_python,
    driver_facts,
    driver_sentence,
    marker_environment,
)


def _sort_key(variant: Variant) -> Version:
    return Version(variant.version or "0")


def _within(version: str, at_most: str) -> bool:
    """``12`` admits every 12.x; ``12.6`` admits up to 12.6."""
    have, limit = Version(version or "0").release, Version(at_most).release
    return have[: len(limit)] <= limit


def _release_matches(release: Release, wanted: str) -> bool:
    """``2.13`` matches 2.13.x; ``2.13.1`` matches exactly."""
    have = Version(release.version).release
    want = Version(wanted).release
    return have[: len(want)] == want


def resolve_options(fw: Framework, options: Mapping[str, str] | None, accelerator: str) -> dict[str, str]:
    """Fill starter options with their defaults and refuse unknown names or values."""
    options = dict(options or {})
    for name in options:
        if name not in fw.options:
            allowed = ", ".join(f"--{o.replace('_', '-')}" for o in fw.options) or "none"
            raise UsageError(f"--{name.replace('_', '-')} does not apply to {fw.name}; its options: {allowed}")
    resolved = {}
    for name, opt in fw.options.items():
        value = options.get(name) or opt.default_by_accelerator.get(accelerator) or opt.default
        if value not in opt.choices:
            raise UsageError(f"--{name.replace('_', '-')} {value!r} is not allowed for {fw.name}; "
                             f"choose one of: {', '.join(opt.choices)}")
        resolved[name] = value
    return resolved


def _fits(variant: Variant, release: Release, spec: TargetSpec, platform: str, python: str,
          options: Mapping[str, str]) -> bool:
    return (
        variant.accelerator == spec.accelerator
        and (spec.version is None or variant.version == spec.version)
        and (spec.at_most is None or _within(variant.version, spec.at_most))
        and platform in variant.platforms
        and python in (variant.python or release.python)
        and all(options.get(k) == v for k, v in variant.options.items())
        and (not spec.compute or blocker(variant, platform, spec.compute) is None)
    )


def _explain(fw: Framework, releases: list[Release], spec: TargetSpec, platform: str, python: str,
             options: Mapping[str, str]) -> TargetError:
    """Say which part of the request no release can serve, and what is allowed instead."""
    label = releases[0].version if len(releases) == 1 else "any release in the catalog"
    what = f"{fw.name} {label}" if len(releases) == 1 else f"{label} of {fw.name}"
    pythons = sorted({py for r in releases for v in r.variants for py in (v.python or r.python)},
                     key=lambda p: tuple(map(int, p.split("."))))
    if python not in pythons:
        return PythonUnsupported(f"--python {python} is not supported by {what}; supported: {', '.join(pythons)}")
    platforms = sorted({p for r in releases for v in r.variants for p in v.platforms})
    if platform not in platforms:
        return TargetError(f"--platform {platform} is not supported by {what}; supported: {', '.join(platforms)}")
    targets = sorted({v.target for r in releases for v in r.variants
                      if platform in v.platforms and python in (v.python or r.python)
                      and all(options.get(k) == val for k, val in v.options.items())})
    asked = spec.accelerator + (f"-{spec.version}" if spec.version else "")
    hint = fw.hints.get(f"{platform}/{spec.accelerator}", "")
    opts = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in options.items())
    where = f"{platform}, Python {python}" + (f", {opts}" if opts else "")
    message = f"--target {asked} is not available for {what} on {where}; available: {', '.join(targets) or 'none'}"
    return TargetError(message + (f" ({hint})" if hint else ""))


def resolve(
    catalog: Catalog,
    framework: str,
    *,
    target: TargetSpec,
    platform: str,
    python: str,
    framework_version: str | None = None,
    options: Mapping[str, str] | None = None,
) -> PinSet:
    """Pick the release and variant for the request and assemble its pins.

    ``target`` must be concrete (not ``auto``). Without ``framework_version`` the newest release
    that serves the target, platform and Python wins.
    """
    fw = catalog.framework(framework)
    check_platform(platform)
    check_python(python)
    if not fw.remote_accelerator:  # SageMaker's GPU is in AWS, whatever this platform has
        check_contradiction(target, platform)
    notes: list[str] = []
    if fw.cpu_only and target.accelerator != "cpu":
        notes.append(fw.cpu_only_note)
        target = TargetSpec("cpu")
    chosen = resolve_options(fw, options, target.accelerator)
    given = {name for name, value in (options or {}).items() if value}

    releases = list(fw.releases)
    if not releases:
        raise TargetError(f"{fw.name} has no pinned releases in the catalog yet")
    if framework_version:
        try:
            matching = [r for r in releases if _release_matches(r, framework_version)]
        except ValueError:
            matching = []
        if not matching:
            raise TargetError(f"--framework-version {framework_version!r} is not in the catalog for {fw.name}; "
                              f"available: {', '.join(r.version for r in releases)}")
        releases = matching
    for candidate in _option_candidates(fw, chosen, given):
        for release in releases:  # newest first
            fits = [v for v in release.variants if _fits(v, release, target, platform, python, candidate)]
            if fits:
                variant = max(fits, key=_sort_key)  # bare `cuda` means the newest CUDA variant
                notes += _fallback_notes(chosen, candidate, target, platform, python)
                return _pinset(catalog, fw, release, variant, platform, python, candidate, notes)
    raise _explain(fw, releases, target, platform, python, chosen)


def _option_candidates(fw: Framework, chosen: dict[str, str], given: set[str]) -> Iterator[dict[str, str]]:
    """The chosen options first; then, for options the user left out, their other choices in order.

    A default serves "where it can" (Keras defaults to the TensorFlow backend); where it has no build
    for the target (Windows CUDA, Python 3.14) another choice steps in instead of an error. Options
    the user gave are never changed.
    """
    yield chosen
    free = [name for name in fw.options if name not in given]
    for values in itertools.product(*(fw.options[name].choices for name in free)):
        candidate = {**chosen, **dict(zip(free, values, strict=True))}
        if candidate != chosen:
            yield candidate


def _fallback_notes(chosen: Mapping[str, str], used: Mapping[str, str], spec: TargetSpec, platform: str,
                    python: str) -> list[str]:
    asked = spec.accelerator + (f"-{spec.version}" if spec.version else "")
    return [f"--{name.replace('_', '-')} {used[name]} was chosen because the default, {chosen[name]}, has no build "
            f"for --target {asked} on {platform} with Python {python}."
            for name in used if used[name] != chosen[name]]


def _for_target(requirements: list[str], platform: str, python: str) -> list[str]:
    """Keep the requirements whose marker holds on the target, without the marker.

    The catalog may say ``numpy==<version>; python_version < '3.11'``; a project is pinned for one
    Python and platform, so it gets the one line that applies, as a plain exact pin.
    """
    env = marker_environment(platform, python)
    kept = []
    for text in requirements:
        req = Requirement(text)
        if req.marker is None:
            kept.append(text)
        elif req.marker.evaluate(env):
            req.marker = None
            kept.append(str(req))
    return kept


def _pinset(catalog: Catalog, fw: Framework, release: Release, variant: Variant, platform: str, python: str,
            options: Mapping[str, str], notes: list[str]) -> PinSet:
    requirements = _for_target([*variant.requirements, *release.requires], platform, python)
    index_lines: list[str] = []
    uv_indexes: list[dict[str, Any]] = []
    uv_sources: dict[str, tuple[dict[str, str], ...]] = {}
    if variant.index:
        index = fw.indexes[variant.index]
        # The variant's own index first so pip picks its build (e.g. +cpu) over PyPI's default one.
        index_lines = [f"--index-url {index.url}", f"--extra-index-url {catalog.pypi_url}"]
        uv_indexes.append({"name": index.name, "url": index.url, "explicit": True})
        uv_sources = {pkg: ({"index": index.name},) for pkg in variant.index_packages}
    # A CUDA variant gets NVIDIA's minimum driver for its major (unless it states its own), so every generated
    # project's `check` can tell a driver too old for its wheels, and its notes say it once, from the facts.
    local_cuda = variant.accelerator == "cuda" and not fw.remote_accelerator
    defaults = driver_facts(variant.version, catalog) if local_cuda else {}
    facts = {**defaults, **release.facts, **variant.facts}
    driver = driver_sentence(facts, platform) if local_cuda else None
    # Which GPUs the build runs on is said from its architecture list for this platform (x86_64 and aarch64
    # builds of one variant differ), never written by hand in a note that covers several platforms.
    arch = variant.architectures.get(platform)
    gpus = sentence(arch) if local_cuda and arch is not None else None
    return PinSet(
        framework=fw.id,
        framework_version=release.version,
        target=Target(platform, python, variant.accelerator, variant.version),
        requirements=tuple(requirements),
        dev_requirements=(*catalog.tooling.values(), *_for_target(list(release.dev_requires), platform, python)),
        index_lines=tuple(index_lines),
        uv_indexes=tuple(uv_indexes),
        uv_sources=uv_sources,
        options=options,
        facts=facts,
        notes=tuple([*notes, *variant.notes, *([gpus] if gpus else []), *([driver] if driver else [])]),
        download=current_download(catalog, fw, release, variant, platform),
    )


def size_fingerprint(catalog: Catalog, fw: Framework, release: Release, variant: Variant, platform: str) -> str:
    """A digest of every catalog pin that decides what a target downloads on ``platform``: the variant's and the
    release's requirements as written (markers and all, so one digest serves every Python), the tooling every
    project gets, and the index. ``scaffold catalog sizes`` records it with each size; a size whose digest is
    not the catalog's any more measured other pins and is not shown."""
    index = fw.indexes[variant.index].url if variant.index else catalog.pypi_url
    decided_by = [platform, index, list(variant.requirements), list(release.requires), list(release.dev_requires),
                  sorted(catalog.tooling.values())]
    return hashlib.sha256(json.dumps(decided_by).encode()).hexdigest()[:16]


def current_download(catalog: Catalog, fw: Framework, release: Release, variant: Variant,
                     platform: str) -> Download | None:
    """The recorded size of a target, when it was measured for the pins the catalog holds now."""
    download = catalog.downloads.get(download_key(fw.id, release.version, variant.target, platform, variant.options))
    if download is None or download.pins != size_fingerprint(catalog, fw, release, variant, platform):
        return None
    return download


def exact_pins(requirements: tuple[str, ...] | list[str], target: Target) -> dict[str, str]:
    """``{distribution: version}`` of the ``==`` pins that apply on ``target`` (markers evaluated for it).

    What a generated project's ``check`` compares with the installed distributions.
    """
    from packaging.requirements import Requirement

    env = marker_environment(target.platform, target.python)
    out: dict[str, str] = {}
    for text in requirements:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        exact = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if exact:
            out[req.name] = exact[0]
    return out
