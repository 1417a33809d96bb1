"""The public operations. Each validates its input, calls the pure core, and returns immutable results.

Imports the catalog, the pure core (``pins``, ``gpus``, ``recommender``, ``targets``), ``hardware`` for
``detect()`` (only where ``auto`` or a check against this machine needs it) and ``locking``; the generator,
the only writer, is imported by the functions that write.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any

from . import gpus, hardware, locking, targets
from . import pins as _pins
from .catalog import default_catalog
from .errors import DestinationError, PythonUnsupported, TargetError, UsageError
from .models import (
    PYTHONS,
    SITUATION,
    Catalog,
    FrameworkInfo,
    LockFile,
    Machine,
    PinSet,
    Profile,
    Project,
    Recommendation,
    Variant,
)
from .naming import check_collisions, slugify
from .recommender import make_profile, rank

# ---- argument checks: every public function checks its arguments first, so a wrong type is a
# UsageError naming the argument, never a TypeError from deep inside. Identifiers (framework,
# target, platform, starter options, situation values) match case-insensitively; no value may
# be empty or carry surrounding spaces.

_RELEASE = re.compile(r"^\d+\.\d+(?:\.\d+)?$")


def _kind(value: object) -> str:
    return type(value).__name__


def _text(name: str, value: object, *, optional: bool = True, ident: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a str{' or None' if optional else ''}, not {_kind(value)}")
    if not value.strip():
        raise UsageError(f"{name} is empty; leave it out for the default")
    if value != value.strip():
        raise UsageError(f"{name} {value!r} has surrounding spaces; give {value.strip()!r}")
    return value.lower() if ident else value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, not {_kind(value)}")
    return value


def _path_arg(name: str, value: object) -> str:
    if isinstance(value, PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a str or a path, not {_kind(value)}")
    if not value.strip():
        raise UsageError(f"{name} is empty; give a folder (default: the current directory)")
    return value


def _options_arg(options: object) -> dict[str, str] | None:
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise UsageError(f"options must be a mapping of option name to value (e.g. {{'backend': 'jax'}}), "
                         f"not {_kind(options)}")
    out = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise UsageError(f"options: the option name {key!r} must be a str")
        out[key.replace("-", "_").lower()] = _text(f"--{key.replace('_', '-')}", value, optional=False, ident=True)
    return out


def _machine_arg(machine: object) -> Machine | None:
    if machine is not None and not isinstance(machine, Machine):
        raise UsageError(f"machine must be a scaffold.Machine (e.g. from scaffold.detect()) or None, not {_kind(machine)}")
    return machine


def _needs_arg(needs: object) -> tuple[str, ...]:
    if needs is None or isinstance(needs, str | bytes | Mapping) or not isinstance(needs, Iterable):
        raise UsageError(f"needs must be a list of needs (e.g. ['custom-layers']), not {_kind(needs)}")
    return tuple(_text("--need", n, optional=False, ident=True) or "" for n in needs)


def _situation(**values: object) -> dict[str, str | None]:
    return {k: _text(f"--{k.replace('_', '-')}", v, ident=True) for k, v in values.items()}


def _task_arg(task: object, profile: Profile | None) -> str | None:
    """The task asked for: ``task``, else the profile's (``task`` is what the project does; it wins)."""
    task = _text("--task", task, ident=True)
    if task is not None and task not in SITUATION["task"]:
        raise UsageError(f"--task {task!r} is not one of: {', '.join(SITUATION['task'])}")
    return task or (profile.task if profile is not None else None)


def check_task(catalog: Catalog, framework: str, task: str | None) -> str:
    """The task ``framework``'s project is generated for: ``task`` if its starter serves it, else its first task.

    A task the starter does not serve is refused in one line naming the frameworks whose starters do.
    """
    fw = catalog.framework(framework)
    if task is None:
        return fw.tasks[0]
    if task not in fw.tasks:
        able = [fid for fid, f in catalog.frameworks.items() if task in f.tasks]
        if not able:
            served = dict.fromkeys(t for f in catalog.frameworks.values() for t in f.tasks)
            raise UsageError(f"no starter serves the task {task!r} yet; the tasks with a starter: {', '.join(served)}")
        raise UsageError(f"the {framework} starter does not serve the task {task!r} (it serves: "
                         f"{', '.join(fw.tasks)}); frameworks whose starter does: {', '.join(able)}")
    return task


def _answers_arg(answers: object) -> dict[str, Any] | None:
    if answers is None:
        return None
    if not isinstance(answers, Mapping) or not all(isinstance(k, str) for k in answers):
        raise UsageError(f"answers must be a mapping with str keys, not {_kind(answers)}")
    try:  # strict JSON: it goes into .scaffold.json, which other tools read
        json.dumps(answers, allow_nan=False, default=_not_json)
    except (TypeError, ValueError) as e:
        raise UsageError(f"answers must hold only JSON values (str, number, bool, None, lists, mappings): {e}") from e
    return dict(answers)


def _not_json(value: object) -> Any:
    raise TypeError(f"{_kind(value)} {value!r} is not a JSON value")


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
    if profile is not None and not isinstance(profile, Profile):
        raise UsageError(f"profile must be a scaffold.Profile or None, not {_kind(profile)}")
    values = _situation(experience=experience, math=math, task=task, data_size=data_size, infra=infra,
                        time_frame=time_frame, goal=goal)
    wanted = _needs_arg(needs)
    if profile is None:
        profile = make_profile(**values, needs=wanted)
    elif any(v is not None for v in values.values()) or wanted:
        raise UsageError("give either a profile or the situation's options, not both")
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
            tasks=fw.tasks,
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
    ``auto`` probes the GPU only for a framework that can use one.
    """
    framework = _text("--framework", framework, optional=False, ident=True)
    target = _text("--target", target, optional=False, ident=True)
    platform = _text("--platform", platform, ident=True)
    python = _text("--python", python)
    framework_version = _text("--framework-version", framework_version)
    if framework_version is not None and not _RELEASE.match(framework_version):
        raise UsageError(f"--framework-version {framework_version!r} is not a release number; give X.Y or X.Y.Z "
                         "as the catalog lists them (scaffold frameworks), e.g. 2.13 or 2.13.1")
    options = _options_arg(options)
    machine = _machine_arg(machine)
    catalog = default_catalog()
    fw = catalog.framework(framework)
    spec = targets.parse_target(target)
    if platform is None:
        platform = (machine.platform if machine else None) or hardware.this_platform()
        if platform is None:
            raise TargetError("this machine's platform is not supported; pass --platform with one of: "
                              + ", ".join(targets.PLATFORMS))
    # The platform itself is checked once, by the resolver; everything here only compares it.
    auto = spec.accelerator == "auto"
    auto_note: str | None = None  # what `auto` found; completed with what was picked once the pins are known
    if auto and fw.remote_accelerator:
        spec = targets.TargetSpec("cpu")
        auto_note = (f"auto: {fw.name} runs on instances in the cloud, not on this machine; "
                     "pinned for CPU instances (use --target cuda for GPU instances)")
    elif auto and fw.cpu_only:
        spec = targets.TargetSpec("cpu")
        auto_note = f"auto: {fw.name} computes on the CPU only; pinned for the CPU (no GPU probe needed)"
    elif auto:
        # Java matters to no pin: not probed
        machine = machine or hardware.detect(java_version_output="", drivers=catalog)
        spec, auto_note = _auto(machine, platform, catalog)
    elif spec.accelerator == "cuda" and (machine is not None or platform == hardware.this_platform()):
        # An explicit CUDA target is generated whatever this machine has (it may be for another one), but
        # when this machine has an NVIDIA GPU the build cannot use, the user hears it now, not at run time.
        machine = machine or hardware.detect(drivers=catalog)
    pythons = [python] if python else _python_candidates()
    error: PythonUnsupported | None = None
    for py in pythons:
        try:
            pinset, fallback = _resolve_auto_aware(catalog, framework, spec, platform, py, framework_version,
                                                   options, auto=auto)
        except PythonUnsupported as e:
            if python:
                raise
            error = error or e
            continue
        notes = [fallback] if fallback else []
        if not python and py != hardware.this_python():
            notes.append(f"Python {hardware.this_python()} (this interpreter) is not supported by "
                         f"{fw.name} {pinset.framework_version}; pinned for Python {py}")
        if framework_version is not None and framework_version != pinset.framework_version:
            notes.append(f"--framework-version {framework_version} matched {fw.name} {pinset.framework_version}")
        if auto_note is not None:
            notes.insert(0, _auto_outcome(auto_note, spec, pinset, catalog, machine, options))
        pinset = _with_notes(pinset, notes)
        if not auto and machine is not None and machine.platform == pinset.target.platform:
            pinset = _with_warnings(pinset, _will_not_run_here(catalog, pinset, machine))
        return pinset
    assert error is not None  # every candidate Python was refused, and the loop saw at least one
    raise error


def _python_candidates() -> list[str]:
    """This interpreter's Python first, then the others of the contract, newest first."""
    here = hardware.this_python()
    rest = [p for p in reversed(PYTHONS) if p != here]
    return [here, *rest] if here in PYTHONS else rest


def _auto(machine: Machine, platform: str, catalog: Catalog) -> tuple[targets.TargetSpec, str]:
    """The target ``auto`` asks the resolver for, and the note that says what was found."""
    driver = machine.details.get("driver_version")
    gpu = str(machine.details.get("gpu", "a GPU"))
    if machine.accelerator in ("cuda", "rocm") and machine.accelerator_version:
        caps = tuple(machine.details.get("compute_capabilities", ()))
        spec = targets.TargetSpec(machine.accelerator, None, at_most=machine.accelerator_version,
                                   compute=caps if machine.accelerator == "cuda" else ())
        if machine.accelerator == "cuda":
            found = f"{_gpu_label(machine)} with driver {driver}" if driver else _gpu_label(machine)
            return spec, (f"auto: found {found}, which runs CUDA {machine.accelerator_version}.x at most "
                          "(NVIDIA's minimum driver per CUDA major)")
        return spec, f"auto: found ROCm {machine.accelerator_version}"
    if driver:  # a GPU whose driver is too old for any CUDA build in the catalog
        oldest = targets.oldest_cuda(catalog)
        return targets.TargetSpec("cpu"), (f"auto: found {gpu} with driver {driver}, too old for CUDA {oldest.major} "
                                           f"(needs >= {targets.minimum_driver(oldest, platform)}); pinned for the "
                                           "CPU. Update the driver, then `scaffold update --target auto` to use the GPU")
    if machine.accelerator == "mps" and platform == "macos-arm64":
        return targets.TargetSpec("mps"), "auto: found an Apple Silicon GPU (MPS)"
    return targets.TargetSpec("cpu"), ("auto: no supported GPU found; pinned for the CPU "
                                    "(for another machine's GPU, give --target cuda or rocm)")


def _gpu_label(machine: Machine) -> str:
    """``Tesla V100-SXM2-32GB (sm_70)``; several models: each with its architecture."""
    listed = machine.details.get("gpus") or ()
    seen = dict.fromkeys(
        f"{g['name']} ({gpus.sm(g['compute_capability'])})" if g.get("compute_capability") else g["name"]
        for g in listed)
    return " and ".join(seen) if seen else str(machine.details.get("gpu", "a GPU"))


def _variant_of(catalog: Catalog, pinset: PinSet) -> Variant:
    """The catalog variant a PinSet was made from."""
    fw = catalog.get(pinset.framework)
    release = next(r for r in fw.releases if r.version == pinset.framework_version)
    return next(v for v in release.variants if v.target == pinset.target.name
                and pinset.target.platform in v.platforms
                and all(pinset.options.get(k) == val for k, val in v.options.items()))


def _auto_outcome(note: str, spec: targets.TargetSpec, pinset: PinSet, catalog: Catalog, machine: Machine | None,
                  options: Mapping[str, str] | None) -> str:
    """Complete the ``auto`` note with what was picked, and what the GPU's architecture ruled out."""
    name = catalog.get(pinset.framework).name
    if not (spec.accelerator in ("cuda", "rocm") and pinset.target.accelerator == spec.accelerator):
        return note
    why = ""
    if spec.compute:  # what the driver alone would have picked, had the architectures not been checked
        try:
            driver_only = _pins.resolve(catalog, pinset.framework, target=replace(spec, compute=()),
                                        platform=pinset.target.platform, python=pinset.target.python,
                                        options=options)
        except TargetError:
            driver_only = pinset
        if driver_only.target.name != pinset.target.name or driver_only.framework_version != pinset.framework_version:
            skipped = _variant_of(catalog, driver_only)
            why = (f"; {gpus.blocker(skipped, pinset.target.platform, spec.compute)} ({name} "
                   f"{driver_only.framework_version}), so not {driver_only.target.name}")
    return (f"{note}{why}; picked {pinset.target.name}, the newest {spec.accelerator.upper()} build of {name} "
            f"{pinset.framework_version} it can run")


def _will_not_run_here(catalog: Catalog, pinset: PinSet, machine: Machine) -> list[str]:
    """Why an explicitly chosen CUDA build cannot use this machine's NVIDIA GPU (empty when it can, or no GPU)."""
    driver = str(machine.details.get("driver_version") or "")
    if pinset.target.accelerator != "cuda" or not driver:
        return []
    runs = targets.cuda_for_driver(driver, machine.platform, catalog)
    major = pinset.target.accelerator_version.split(".")[0]
    out = []
    if runs is None or int(runs) < int(major):
        out.append(f"{pinset.target.name} will not run on this machine: its NVIDIA driver {driver} runs CUDA "
                   f"{runs + '.x' if runs else 'none'} at most; update the driver or choose an older CUDA target")
    caps = tuple(machine.details.get("compute_capabilities", ()))
    reason = gpus.blocker(_variant_of(catalog, pinset), pinset.target.platform, caps) if caps else None
    if reason:
        out.append(f"{pinset.target.name} will not run on this machine's {_gpu_label(machine)}: {reason}; "
                   "use --target auto to get a build it runs")
    return out


def _resolve_auto_aware(catalog: Catalog, framework: str, spec: targets.TargetSpec, platform: str, python: str,
                        framework_version: str | None, options: Mapping[str, str] | None,
                        auto: bool) -> tuple[PinSet, str | None]:
    """The pins, and the note that says why `auto` fell back to the CPU (None when it did not)."""
    try:
        return _pins.resolve(catalog, framework, target=spec, platform=platform, python=python,
                             framework_version=framework_version, options=options), None
    except PythonUnsupported:
        raise  # no accelerator serves a Python the release lacks: the next Python is tried instead
    except TargetError:
        # `auto` never fails for want of a GPU build: it falls back to the CPU and says so.
        if not auto or spec.accelerator == "cpu":
            raise
    arch = f" (none has kernels for compute capability {', '.join(spec.compute)})" if spec.compute else ""
    note = f"auto: {catalog.get(framework).name} has no build for the detected GPU here{arch}; pinned for the CPU"
    return _pins.resolve(catalog, framework, target=targets.TargetSpec("cpu"), platform=platform, python=python,
                         framework_version=framework_version, options=options), note


def _with_notes(pinset: PinSet, notes: list[str]) -> PinSet:
    return replace(pinset, notes=tuple(dict.fromkeys([*notes, *pinset.notes]))) if notes else pinset


def _with_warnings(pinset: PinSet, warnings: list[str]) -> PinSet:
    return replace(pinset, warnings=(*pinset.warnings, *warnings)) if warnings else pinset


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
    task: str | None = None,
) -> Project:
    """Generate a starter project named ``name`` under ``output_dir``, for ``task``.

    Without ``framework`` it recommends from ``profile`` and generates the top pick (the result's
    ``recommendation`` says why). The task is ``task``, else the profile's, else the framework's first;
    a framework whose starter does not serve it is refused, naming those that do. Every input is checked
    before anything is written; an existing non-empty destination is refused unless ``force``. ``dry_run`` renders and lists the files
    without writing them. ``lock`` also resolves the full dependency tree for the target with uv
    (network needed) and writes it, hash-pinned, as ``requirements.lock``; if that fails, nothing
    is written.
    """
    # Loaded here, not at the top: it is the only path that needs the generator.
    from .generator import build_context, build_record, check_destination, make_project, next_steps, render

    if not isinstance(name, str):
        raise UsageError(f"name must be a str, not {_kind(name)}")
    framework = _text("--framework", framework, ident=True)
    _text("--target", target, optional=False)
    output_dir = _path_arg("--output-dir", output_dir)
    if profile is not None and not isinstance(profile, Profile):
        raise UsageError(f"profile must be a scaffold.Profile or None, not {_kind(profile)}")
    force, dry_run, lock = _flag("force", force), _flag("dry_run", dry_run), _flag("lock", lock)
    answers = _answers_arg(answers)
    options = _options_arg(options)
    _machine_arg(machine)
    slug, package = slugify(name)
    catalog = default_catalog()
    recommendation: Recommendation | None = None
    task = _task_arg(task, profile)
    if framework is None:
        if task is not None:  # the recommendation is for the task the project will do
            profile = replace(profile or Profile(), task=task)
        recommendation = rank(profile or Profile(), catalog)
        framework = recommendation.best.framework
    task = check_task(catalog, framework, task)
    pinset = resolve_pins(framework, target=target, platform=platform, python=python,
                          framework_version=framework_version, options=options, machine=machine)
    fw = catalog.get(framework)
    check_collisions(slug, package, fw, catalog)
    dest = check_destination(output_dir, slug, force)
    extra: dict[str, str] = {}
    if lock:  # before anything is written: no network, no project
        extra[locking.LOCK_FILE] = "" if dry_run else locking.compile_lock(
            locking.pin_lines(pinset), platform=pinset.target.platform, python=pinset.target.python)
    # The README's quick start starts beside the project (what it says never depends on where `new` ran); the steps
    # the command prints start where the person is.
    steps = next_steps(slug, package, pinset, locked=lock)
    context = build_context(name=name, slug=slug, package=package, fw=fw, pins=pinset, task=task,
                            build_requires=catalog.build_requires, steps=steps, locked=lock)
    recorded = dict(answers or {})
    recorded.setdefault("name", name)
    recorded.setdefault("framework", framework)
    recorded.setdefault("target", target)
    recorded.setdefault("task", task)
    if framework_version is not None:  # a release the caller chose: `scaffold update` keeps it
        recorded.setdefault("framework_version", framework_version)
    if profile is not None:
        recorded.setdefault("situation", profile.as_dict())
    record = build_record(fw=fw, pins=pinset, name=name, package=package, task=task, answers=recorded)
    files = render(fw=fw, context=context, record=record, dest=dest, force=force, dry_run=dry_run,
                   extra_files=extra)
    shown = next_steps(slug, package, pinset, locked=lock, output_dir=output_dir)
    return make_project(dest=dest.path, name=name, package=package, fw=fw, pins=pinset, files=files, steps=shown,
                        recommendation=recommendation, task=task)


def lock(project_dir: str | PathLike[str] = ".", *, env: Mapping[str, str] | None = None) -> LockFile:
    """Lock a generated project: resolve its requirements.txt for the target in its ``.scaffold.json``.

    Writes ``requirements.lock`` (every package of the tree, with hashes) atomically; a failure
    (no network, pins that do not resolve) raises :class:`ToolError` and leaves no file behind.
    ``env`` replaces the environment uv runs with (e.g. to point it at another index). A
    ``.scaffold.json`` or ``requirements.txt`` that is not a small regular UTF-8 file with the
    expected fields, or a requirements file without packages, raises :class:`UsageError`.
    """
    _path_arg("--project", project_dir)
    if env is not None and not (isinstance(env, Mapping) and all(isinstance(k, str) and isinstance(v, str)
                                                                 for k, v in env.items())):
        raise UsageError(f"env must be a mapping of str to str, not {_kind(env)}")
    from .generator import normalise_output_dir

    project = normalise_output_dir(project_dir)
    record_path, requirements = project / ".scaffold.json", project / "requirements.txt"
    text = _read_small(record_path, missing=f"no .scaffold.json in {project}: run `scaffold lock` inside a project "
                       "generated by scaffold-ml, or pass --project DIR")
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except ValueError as e:
        raise UsageError(f"{record_path} is not valid JSON ({e}); regenerate the project or fix the file") from e
    if not isinstance(record, dict):
        raise UsageError(f"{record_path} must hold a JSON object, not {_kind(record)}")
    platform, python = record.get("platform"), record.get("python")
    if not isinstance(platform, str) or platform not in locking.UV_PLATFORMS:
        raise UsageError(f"{record_path}: \"platform\" is {platform!r}; it must be one of: "
                         f"{', '.join(locking.UV_PLATFORMS)}")
    if not isinstance(python, str) or python not in PYTHONS:
        raise UsageError(f"{record_path}: \"python\" is {python!r}; it must be one of: {', '.join(PYTHONS)}")
    lines = locking.requirements_lines(_read_small(requirements, missing=f"no requirements.txt in {project}; "
                                                   "the lock is made from it"))
    if not any(not line.startswith("-") for line in lines):
        raise UsageError(f"{requirements} lists no packages; there is nothing to lock")
    if not os.access(project, os.W_OK | os.X_OK):  # before the network: the lock could not be written anyway
        raise DestinationError(f"cannot write {project / locking.LOCK_FILE}: {project} is read-only")
    lock_text = locking.compile_lock(lines, platform=platform, python=python,
                                     env=dict(env) if env is not None else None)
    from .generator import write_lock  # the only writer; loaded only when a lock is written

    path = write_lock(project, lock_text)
    return LockFile(path=str(path), platform=platform, python=python, packages=locking.count_packages(lock_text),
                    install=locking.INSTALL_FROM_LOCK)


_SMALL = 1 << 20  # a .scaffold.json or requirements.txt is a few kB; more is not one scaffold-ml wrote


def _read_small(path: Path, *, missing: str) -> str:
    """The UTF-8 text of a regular file of at most 1 MiB; UsageError (one line) for anything else.

    Opened non-blocking and checked again after opening, so a FIFO or a device (``/dev/zero``)
    put in its place can neither hang the read nor fill the memory.
    """
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(missing) from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{path} is not a regular file; it must be the file scaffold-ml wrote")
        if st.st_size > _SMALL:
            raise UsageError(f"{path} is {st.st_size} bytes; a file scaffold-ml wrote is far below {_SMALL} bytes")
        chunks, size = [], 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > _SMALL:
                raise UsageError(f"{path} is larger than {_SMALL} bytes; a file scaffold-ml wrote is far smaller")
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from e
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path} is not UTF-8 text (byte {e.start}: {e.reason}); save it as UTF-8") from e


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
