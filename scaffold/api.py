"""The public operations. Each validates its input, calls the pure core, and returns immutable results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import hardware, locking
from . import pins as _pins
from .catalog import default_catalog
from .errors import TargetError, UsageError
from .models import PYTHONS, FrameworkInfo, LockFile, Machine, PinSet, Profile, Project, Recommendation
from .naming import check_collisions, slugify
from .recommender import make_profile, rank


def recommend(
    profile: Profile | None = None,
    *,
    experience: str | None = None,
    math: str | None = None,
    task: str | None = None,
    data_size: str | None = None,
    infra: str | None = None,
    time_frame: str | None = None,
    goal: str | None = None,
    needs: Iterable[str] = (),
) -> Recommendation:
    """Rank all six frameworks for a situation (a :class:`Profile`, or its options as keywords)."""
    if profile is None:
        profile = make_profile(experience=experience, math=math, task=task, data_size=data_size, infra=infra,
                               time_frame=time_frame, goal=goal, needs=needs)
    return rank(profile, default_catalog())


def detect() -> Machine:
    """Describe this machine: platform, Python, accelerator (and its version)."""
    return hardware.detect()


def frameworks() -> tuple[FrameworkInfo, ...]:
    """The frameworks of the catalog with their starter, releases and supported targets."""
    out = []
    for fw in default_catalog().frameworks.values():
        pythons = {py for r in fw.releases for v in r.variants for py in (v.python or r.python)}
        out.append(FrameworkInfo(
            id=fw.id,
            name=fw.name,
            starter=fw.starter,
            summary=fw.summary,
            package=fw.package,
            versions=tuple(r.version for r in fw.releases),
            targets=fw.targets,
            platforms=tuple(sorted({p for r in fw.releases for v in r.variants for p in v.platforms})),
            pythons=tuple(p for p in PYTHONS if p in pythons),
            options={name: opt.choices for name, opt in fw.options.items()},
            cpu_only=fw.cpu_only,
        ))
    return tuple(out)


def resolve_pins(
    framework: str,
    *,
    target: str = "auto",
    platform: str | None = None,
    python: str | None = None,
    framework_version: str | None = None,
    options: Mapping[str, str] | None = None,
    machine: Machine | None = None,
) -> PinSet:
    """Pins for ``framework`` on a target; ``auto``, platform and Python default to this machine.

    ``machine`` replaces detection (e.g. a recorded :class:`Machine`), so ``auto`` is testable.
    """
    catalog = default_catalog()
    if framework not in catalog.frameworks:
        raise UsageError(f"--framework {framework!r} is not allowed; choose one of: {', '.join(catalog.frameworks)}")
    spec = hardware.parse_target(target)
    if platform is None:
        platform = (machine.platform if machine else None) or hardware.this_platform()
        if platform is None:
            raise TargetError("this machine's platform is not supported; pass --platform with one of: "
                              + ", ".join(hardware.PLATFORMS))
    hardware.check_platform(platform)
    notes: list[str] = []
    auto = spec.accelerator == "auto"
    if auto and catalog.get(framework).remote_accelerator:
        spec = hardware.TargetSpec("cpu")
        notes.append(f"auto: {catalog.get(framework).name} runs on instances in the cloud, not on this machine; "
                     "pinned for CPU instances (use --target cuda for GPU instances)")
    elif auto:
        machine = machine or hardware.detect()
        spec, note = _auto(machine, platform)
        notes.append(note)
    pythons = [python] if python else _python_candidates(framework)
    error: TargetError | None = None
    for py in pythons:
        try:
            pinset = _resolve_auto_aware(catalog, framework, spec, platform, py, framework_version, options, notes,
                                         auto=auto)
        except TargetError as e:
            if python or not str(e).startswith("--python"):
                raise
            error = error or e
            continue
        if not python and py != hardware.this_python():
            notes.append(f"Python {hardware.this_python()} (this interpreter) is not supported by "
                         f"{catalog.get(framework).name} {pinset.framework_version}; pinned for Python {py}")
        if auto:
            notes[0] = _auto_outcome(notes[0], spec, pinset, catalog.get(framework).name)
        return _with_notes(pinset, notes)
    assert error is not None
    raise error


def _python_candidates(framework: str) -> list[str]:
    """This interpreter's Python first, then the others the framework supports, newest first."""
    here = hardware.this_python()
    rest = [p for p in reversed(PYTHONS) if p != here]
    return [here, *rest] if here in PYTHONS else rest


def _auto(machine: Machine, platform: str) -> tuple[hardware.TargetSpec, str]:
    """The target ``auto`` asks the resolver for, and the note that says what was found."""
    driver = machine.details.get("driver_version")
    gpu = str(machine.details.get("gpu", "a GPU"))
    if machine.accelerator in ("cuda", "rocm") and machine.accelerator_version:
        spec = hardware.TargetSpec(machine.accelerator, None, at_most=machine.accelerator_version)
        if machine.accelerator == "cuda":
            found = f"{gpu} with driver {driver}" if driver else gpu
            return spec, (f"auto: found {found}, which runs CUDA {machine.accelerator_version}.x at most "
                          "(NVIDIA's minimum driver per CUDA major)")
        return spec, f"auto: found ROCm {machine.accelerator_version}"
    if driver:  # a GPU whose driver is too old for any CUDA build in the catalog
        minimum = hardware.driver_facts("12")["min_driver_windows" if platform.startswith("windows")
                                               else "min_driver_linux"]
        return hardware.TargetSpec("cpu"), (f"auto: found {gpu} with driver {driver}, too old for CUDA 12 (needs >= "
                                            f"{minimum}); pinned for the CPU. Update the driver and generate "
                                            "again to use the GPU")
    if machine.accelerator == "mps" and platform == "macos-arm64":
        return hardware.TargetSpec("mps"), "auto: found an Apple Silicon GPU (MPS)"
    return hardware.TargetSpec("cpu"), "auto: no supported GPU found; pinned for the CPU"


def _auto_outcome(note: str, spec: hardware.TargetSpec, pinset: PinSet, name: str) -> str:
    """Complete the ``auto`` note with what was picked, so the user sees why this build."""
    if spec.accelerator in ("cuda", "rocm") and pinset.target.accelerator == spec.accelerator:
        return (f"{note}; picked {pinset.target.name}, the newest {spec.accelerator.upper()} build of {name} "
                f"{pinset.framework_version} it can run")
    return note


def _resolve_auto_aware(catalog: Any, framework: str, spec: hardware.TargetSpec, platform: str, python: str,
                        framework_version: str | None, options: Mapping[str, str] | None, notes: list[str],
                        auto: bool) -> PinSet:
    try:
        return _pins.resolve(catalog, framework, target=spec, platform=platform, python=python,
                             framework_version=framework_version, options=options)
    except TargetError as e:
        # `auto` never fails for want of a GPU build: it falls back to the CPU and says so.
        if not auto or spec.accelerator == "cpu" or str(e).startswith("--python"):
            raise
        notes.append(f"auto: {catalog.get(framework).name} has no build for the detected GPU here; pinned for the CPU")
        return _pins.resolve(catalog, framework, target=hardware.TargetSpec("cpu"), platform=platform, python=python,
                             framework_version=framework_version, options=options)


def _with_notes(pinset: PinSet, notes: list[str]) -> PinSet:
    from dataclasses import replace

    return replace(pinset, notes=tuple(dict.fromkeys([*notes, *pinset.notes]))) if notes else pinset


def generate(
    name: str,
    *,
    framework: str | None = None,
    framework_version: str | None = None,
    target: str = "auto",
    platform: str | None = None,
    python: str | None = None,
    output_dir: str | Path = ".",
    options: Mapping[str, str] | None = None,
    profile: Profile | None = None,
    force: bool = False,
    dry_run: bool = False,
    answers: Mapping[str, Any] | None = None,
    machine: Machine | None = None,
    lock: bool = False,
) -> Project:
    """Generate a starter project named ``name`` under ``output_dir``.

    Without ``framework`` it recommends from ``profile`` and generates the top pick (the result's
    ``recommendation`` says why). Every input is checked before anything is written; an existing
    non-empty destination is refused unless ``force``. ``dry_run`` renders and lists the files
    without writing them. ``lock`` also resolves the full dependency tree for the target with uv
    (network needed) and writes it, hash-pinned, as ``requirements.lock``; if that fails, nothing
    is written.
    """
    # Loaded here, not at the top: it is the only path that needs the generator.
    from .generator import build_context, check_destination, make_project, next_steps, render

    slug, package = slugify(name)
    catalog = default_catalog()
    recommendation: Recommendation | None = None
    if framework is None:
        recommendation = rank(profile or Profile(), catalog)
        framework = recommendation.best.framework
    pinset = resolve_pins(framework, target=target, platform=platform, python=python,
                          framework_version=framework_version, options=options, machine=machine)
    fw = catalog.get(framework)
    check_collisions(slug, package, fw, catalog)
    dest = check_destination(output_dir, slug, force)
    extra: dict[str, str] = {}
    if lock:  # before anything is written: no network, no project
        extra[locking.LOCK_FILE] = "" if dry_run else locking.compile_lock(
            locking.pin_lines(pinset), platform=pinset.target.platform, python=pinset.target.python)
    steps = next_steps(slug, package, pinset, locked=lock)
    context = build_context(name=name, slug=slug, package=package, fw=fw, pins=pinset,
                            build_requires=catalog.build_requires, steps=steps, locked=lock)
    recorded = dict(answers or {})
    recorded.setdefault("name", name)
    recorded.setdefault("framework", framework)
    recorded.setdefault("target", target)
    if profile is not None:
        recorded.setdefault("situation", profile.as_dict())
    files = render(fw=fw, context=context, answers=recorded, dest=dest, force=force, dry_run=dry_run,
                   extra_files=extra)
    return make_project(dest=dest.path, name=name, package=package, fw=fw, pins=pinset, files=files, steps=steps,
                        recommendation=recommendation)


def lock(project_dir: str | Path = ".", *, env: Mapping[str, str] | None = None) -> LockFile:
    """Lock a generated project: resolve its requirements.txt for the target in its ``.scaffold.json``.

    Writes ``requirements.lock`` (every package of the tree, with hashes) atomically; a failure
    (no network, pins that do not resolve) raises :class:`ToolError` and leaves no file behind.
    ``env`` replaces the environment uv runs with (e.g. to point it at another index).
    """
    import json

    project = Path(project_dir).expanduser().absolute()
    record_path, requirements = project / ".scaffold.json", project / "requirements.txt"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        platform, python = record["platform"], record["python"]
    except FileNotFoundError:
        raise UsageError(f"no .scaffold.json in {project}: run `scaffold lock` inside a project generated by "
                         "scaffold-ml, or pass --project DIR") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"cannot read {record_path} ({e}); it needs the platform and python of the target") from e
    try:
        text = requirements.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read {requirements} ({e}); the lock is made from it") from e
    lock_text = locking.compile_lock(locking.requirements_lines(text), platform=platform, python=python,
                                     env=dict(env) if env is not None else None)
    from .generator import write_lock  # the only writer; loaded only when a lock is written

    path = write_lock(project, lock_text)
    return LockFile(path=str(path), platform=platform, python=python, packages=locking.count_packages(lock_text),
                    install=locking.INSTALL_FROM_LOCK)
