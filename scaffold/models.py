"""Plain, immutable data shared by every module: frozen dataclasses and the contract's vocabularies.

Imports only ``errors`` (the one lookup that can fail, :meth:`Catalog.framework`, raises a UsageError).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import UsageError


def freeze(value: Any) -> Any:
    """A deeply read-only copy: mappings become read-only views of copies, lists and tuples tuples, sets frozensets."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The JSON-ready (and template-ready) form of a frozen value: dicts and lists again."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(thaw(v) for v in value)
    return value


def _freeze_fields(obj: Any, *names: str) -> None:
    for name in names:
        object.__setattr__(obj, name, freeze(getattr(obj, name)))

# The situation vocabulary of CONTRACT.md: option -> allowed values, in display order.
SITUATION: Mapping[str, tuple[str, ...]] = {
    "experience": ("beginner", "intermediate", "expert"),
    "math": ("weak", "solid"),
    "task": (
        "tabular-classification",
        "tabular-regression",
        "clustering",
        "dimensionality-reduction",
        "time-series",
        "data-analysis",
        "images",
        "text",
        "video",
    ),
    "data_size": ("small", "large", "big-data"),
    "infra": ("laptop", "gpu", "multi-gpu", "spark-cluster", "aws"),
    "time_frame": ("hours", "days", "weeks", "months"),
    "goal": ("learning", "prototype", "research", "production"),
    "need": (
        "custom-layers",
        "dynamic-graphs",
        "distributed",
        "no-infra",
        "managed-api",
        "visualization",
        "fault-tolerance",
        "low-latency",
    ),
}

# What each situation question asks, in one line (the contract's wording), for prompts and help.
QUESTION_HINTS: Mapping[str, str] = {
    "experience": "How familiar are you with ML tools and concepts?",
    "math": "How comfortable are you with linear algebra and calculus?",
    "task": "What will the model do?",
    "data_size": "How much data? small: fits in memory; large: one machine's disk; big-data: a warehouse or cluster",
    "infra": "What will it run on?",
    "time_frame": "How long do you have?",
    "goal": "What is the project for?",
    "need": "Anything it must have? (any number)",
}
# The values whose meaning is not plain from the word (the contract's descriptions).
VALUE_HINTS: Mapping[tuple[str, str], str] = {
    ("data_size", "small"): "it fits in memory",
    ("data_size", "large"): "one machine's disk",
    ("data_size", "big-data"): "a warehouse or cluster",
}



def task_family(task: str) -> str:
    """The template layer a task shares with its kin: ``tabular`` for both tabular tasks, else the task itself.

    A starter's files for a task are laid as ``templates/<starter>/tasks/<family>/`` then ``tasks/<task>/``.
    """
    return "tabular" if task.startswith("tabular-") else task


FRAMEWORK_IDS: tuple[str, ...] = ("sklearn", "pytorch", "keras", "tensorflow", "spark", "sagemaker")
ACCELERATORS: tuple[str, ...] = ("cpu", "cuda", "rocm", "mps")
PYTHONS: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13", "3.14")


@dataclass(frozen=True)
class Profile:
    """A person's situation. ``None`` (or an empty ``needs``) means "left out": it weighs neither way."""

    experience: str | None = None
    math: str | None = None
    task: str | None = None
    data_size: str | None = None
    infra: str | None = None
    time_frame: str | None = None
    goal: str | None = None
    needs: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs", frozenset(self.needs))

    def matches(self, option: str, value: str) -> bool:
        """True when this profile sets ``option`` to ``value`` (for ``need``: includes it)."""
        if option == "need":
            return value in self.needs
        return getattr(self, option) == value

    def is_set(self, option: str) -> bool:
        return bool(self.needs) if option == "need" else getattr(self, option) is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; left-out options are omitted."""
        out: dict[str, Any] = {}
        for option in SITUATION:
            if option == "need":
                if self.needs:
                    out["need"] = sorted(self.needs)
            elif getattr(self, option) is not None:
                out[option] = getattr(self, option)
        return out


@dataclass(frozen=True)
class Rule:
    """One weight of the recommender: when every condition holds, add ``score``."""

    when: tuple[tuple[str, str], ...]
    score: float
    text: str
    kind: str  # "reason" or "caution"
    source: str


@dataclass(frozen=True)
class Architectures:
    """The NVIDIA GPU architectures a build carries kernels for, as compute capabilities (``"8.6"``).

    A compiled kernel (``sass``) runs on GPUs of the same major and the same or a higher minor (sm_80 code
    runs on an 8.6 GPU, not on 9.0); PTX (``ptx``) is compiled by the driver for that capability and every
    newer one; ``minimum`` is for frameworks that compile their kernels at run time (any GPU at least that).
    None of the three known: the framework does not publish it, and the build is assumed to run.
    """

    sass: tuple[str, ...] = ()
    ptx: str | None = None
    minimum: str | None = None
    source: str = ""

    @property
    def known(self) -> bool:
        return bool(self.sass or self.ptx or self.minimum)


@dataclass(frozen=True)
class Variant:
    """One build of a release for an accelerator on some platforms."""

    accelerator: str
    version: str
    platforms: tuple[str, ...]
    requirements: tuple[str, ...]
    index: str | None = None
    index_packages: tuple[str, ...] = ()
    python: tuple[str, ...] | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    # platform -> the GPU architectures its wheels carry (CUDA variants; empty where nobody published it)
    architectures: Mapping[str, Architectures] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """The target identifier this variant serves, e.g. ``cuda-12.6`` or ``cpu``."""
        return f"{self.accelerator}-{self.version}" if self.version else self.accelerator


@dataclass(frozen=True)
class Release:
    version: str
    released: str
    python: tuple[str, ...]
    requires: tuple[str, ...]
    variants: tuple[Variant, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    dev_requires: tuple[str, ...] = ()  # the starter's own test tools (e.g. moto), beside the shared tooling


@dataclass(frozen=True)
class Index:
    name: str
    url: str
    source: str = ""


@dataclass(frozen=True)
class StarterOption:
    """A starter-specific choice such as the Keras backend or the Spark cluster kind."""

    name: str
    choices: tuple[str, ...]
    default: str
    help: str
    default_by_accelerator: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    starter: str
    package: str
    summary: str
    base_score: float
    rules: tuple[Rule, ...]
    cautions: tuple[str, ...]
    releases: tuple[Release, ...]
    # The tasks its starter serves (`recommend.tasks`), the first the default: generation accepts exactly these,
    # and the recommender counts the framework as fitting a task exactly when it is listed here.
    tasks: tuple[str, ...] = ()
    indexes: Mapping[str, Index] = field(default_factory=dict)
    options: Mapping[str, StarterOption] = field(default_factory=dict)
    cpu_only: bool = False
    cpu_only_note: str = ""
    # "<platform>/<accelerator>" -> advice shown when that combination is refused (e.g. WSL2 for TF GPU on Windows)
    hints: Mapping[str, str] = field(default_factory=dict)
    # The accelerator is somewhere else (SageMaker's instances): any platform may ask for it, and
    # `auto` does not look at this machine.
    remote_accelerator: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        """Every target some release offers, plus the generic ``cuda``/``rocm`` forms."""
        seen: dict[str, None] = {}
        for release in self.releases:
            for variant in release.variants:
                if variant.version:
                    seen.setdefault(variant.accelerator, None)
                seen.setdefault(variant.target, None)
        return tuple(seen)


@dataclass(frozen=True)
class Download:
    """How much a target's pins download (every wheel of the resolved tree), as measured by the maintainers."""

    bytes: int
    python: str  # the Python it was measured for (sizes differ little between Pythons)
    packages: int
    measured: str  # date, YYYY-MM-DD

    def human(self) -> str:
        return f"~{self.bytes / 1e9:.1f} GB" if self.bytes >= 1e9 else f"~{max(1, round(self.bytes / 1e6))} MB"


def download_key(framework: str, version: str, target: str, platform: str,
                 options: Mapping[str, str] | None = None) -> str:
    """``pytorch/2.15.0/cuda-13.2/linux-x86_64`` (plus ``/backend=jax`` for a variant's own options)."""
    extra = "".join(f"/{k}={v}" for k, v in sorted((options or {}).items()))
    return f"{framework}/{version}/{target}/{platform}{extra}"


@dataclass(frozen=True)
class DriverMinimum:
    """The oldest NVIDIA driver that runs every minor release of one CUDA major (minor-version compatibility)."""

    major: str
    linux: str
    windows: str
    source: str = ""


@dataclass(frozen=True)
class Catalog:
    frameworks: Mapping[str, Framework]
    tooling: Mapping[str, str]
    build_requires: tuple[str, ...] = ()
    pypi_url: str = "https://pypi.org/simple"
    downloads: Mapping[str, Download] = field(default_factory=dict)  # download_key -> size (frameworks/_sizes.toml)
    # CUDA major -> minimum NVIDIA driver (frameworks/_gpu.toml [drivers])
    drivers: Mapping[str, DriverMinimum] = field(default_factory=dict)

    def get(self, framework_id: str) -> Framework:
        return self.frameworks[framework_id]

    def framework(self, framework_id: str) -> Framework:
        """The framework ``framework_id`` names; UsageError naming the allowed ids when there is none."""
        found = self.frameworks.get(framework_id) if isinstance(framework_id, str) else None
        if found is None:
            raise UsageError(f"--framework {framework_id!r} is not allowed; choose one of: "
                             f"{', '.join(self.frameworks)}")
        return found


@dataclass(frozen=True)
class Change:
    """A change of the situation (options set to values) and the framework that would then rank first."""

    set: tuple[tuple[str, str], ...]
    framework: str
    name: str

    @property
    def text(self) -> str:
        """``with --data-size big-data (a warehouse or cluster): Spark MLlib``."""
        parts = [f"--{o.replace('_', '-')} {v}" + (f" ({VALUE_HINTS[(o, v)]})" if (o, v) in VALUE_HINTS else "")
                 for o, v in self.set]
        return f"with {' and '.join(parts)}: {self.name}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for option, value in self.set:
            if option == "need":
                out.setdefault("need", []).append(value)
            else:
                out[option] = value
        return {"set": out, "framework": self.framework, "text": self.text}


@dataclass(frozen=True)
class Ranked:
    framework: str
    name: str
    score: float
    reasons: tuple[str, ...]
    cautions: tuple[str, ...]
    starter: str
    # False when the framework's own catalog entry says it cannot do the situation's task well: it then ranks
    # below every framework that can, whatever its score.
    fits_task: bool = True
    matched: tuple[Rule, ...] = ()  # every rule that applied, strongest first (what --explain prints)
    # For the top pick: the smallest change that would put another framework first; for the others: the smallest
    # change that would put this one first. None when no single change does.
    would_change: Change | None = None
    # For the top pick: every single change (of the answers the person controls, never the task) that puts another
    # framework first, the closest first, one per framework it would put first.
    changes: tuple[Change, ...] = ()

    def __post_init__(self) -> None:
        _freeze_fields(self, "reasons", "cautions", "changes")

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "name": self.name,
            "score": self.score,
            "reasons": list(self.reasons),
            "cautions": list(self.cautions),
            "starter": self.starter,
            "fits_task": self.fits_task,
            "what_would_change": self.would_change.as_dict() if self.would_change else None,
            "changes": [c.as_dict() for c in self.changes],
            "rules": [{"when": dict(r.when), "score": r.score, "kind": r.kind, "text": r.text, "source": r.source}
                      for r in self.matched],
        }


@dataclass(frozen=True)
class Recommendation:
    profile: Profile
    ranking: tuple[Ranked, ...]

    def __post_init__(self) -> None:
        _freeze_fields(self, "ranking")

    @property
    def best(self) -> Ranked:
        return self.ranking[0]

    def as_dict(self) -> dict[str, Any]:
        return {"profile": self.profile.as_dict(), "ranking": [r.as_dict() for r in self.ranking]}


@dataclass(frozen=True)
class Target:
    """Where a project will run: platform, Python and accelerator (``version`` empty for cpu/mps)."""

    platform: str
    python: str
    accelerator: str = "cpu"
    accelerator_version: str = ""

    @property
    def name(self) -> str:
        if self.accelerator_version:
            return f"{self.accelerator}-{self.accelerator_version}"
        return self.accelerator


@dataclass(frozen=True)
class Machine:
    """What :func:`scaffold.detect` found on this machine."""

    platform: str
    python: str
    accelerator: str
    accelerator_version: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, "details")

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "python": self.python,
            "accelerator": self.accelerator,
            "accelerator_version": self.accelerator_version,
            **thaw(self.details),
        }


@dataclass(frozen=True)
class PinSet:
    """Everything a starter needs to pin itself for one target."""

    framework: str
    framework_version: str
    target: Target
    requirements: tuple[str, ...]
    dev_requirements: tuple[str, ...]
    index_lines: tuple[str, ...]
    uv_indexes: tuple[Mapping[str, Any], ...]
    uv_sources: Mapping[str, tuple[Mapping[str, str], ...]]
    options: Mapping[str, str]
    facts: Mapping[str, Any]
    notes: tuple[str, ...]
    # Why this build will not run on the machine that asked for it (an explicit target for another GPU)
    warnings: tuple[str, ...] = ()
    download: Download | None = None  # what these pins download, where the maintainers measured it

    def __post_init__(self) -> None:
        _freeze_fields(self, "requirements", "dev_requirements", "index_lines", "uv_indexes", "uv_sources", "options",
                       "facts", "notes")

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework_version": self.framework_version,
            "target": self.target.name,
            "requirements": list(self.requirements),
            "dev_requirements": list(self.dev_requirements),
            "index_lines": list(self.index_lines),
            "options": dict(self.options),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "download": None if self.download is None else {
                "bytes": self.download.bytes, "human": self.download.human(), "python": self.download.python,
                "packages": self.download.packages, "measured": self.download.measured},
        }


@dataclass(frozen=True)
class Project:
    """The result of :func:`scaffold.generate`."""

    path: str
    name: str
    package: str
    framework: str
    starter: str
    pins: PinSet
    next_steps: tuple[str, ...]
    files: tuple[str, ...] = ()
    recommendation: Recommendation | None = None
    task: str = ""  # what the project does (one of the framework's tasks)

    def __post_init__(self) -> None:
        _freeze_fields(self, "next_steps", "files")

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "framework": self.framework,
            "starter": self.starter,
            "task": self.task,
            "target": self.pins.target.name,
            "platform": self.pins.target.platform,
            "python": self.pins.target.python,
            "pins": self.pins.as_dict(),
            "next_steps": list(self.next_steps),
        }


@dataclass(frozen=True)
class FrameworkInfo:
    """What :func:`scaffold.frameworks` lists for one framework."""

    id: str
    name: str
    starter: str
    summary: str
    package: str
    versions: tuple[str, ...]
    targets: tuple[str, ...]
    platforms: tuple[str, ...]
    pythons: tuple[str, ...]
    options: Mapping[str, tuple[str, ...]]
    cpu_only: bool
    tasks: tuple[str, ...] = ()  # the tasks its starter serves, the default first

    def __post_init__(self) -> None:
        _freeze_fields(self, "versions", "targets", "platforms", "pythons", "options", "tasks")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "starter": self.starter,
            "summary": self.summary,
            "package": self.package,
            "versions": list(self.versions),
            "targets": list(self.targets),
            "platforms": list(self.platforms),
            "pythons": list(self.pythons),
            "options": {k: list(v) for k, v in self.options.items()},
            "cpu_only": self.cpu_only,
            "tasks": list(self.tasks),
        }


@dataclass(frozen=True)
class LockFile:
    """The result of :func:`scaffold.lock`: where the lock is and what it holds."""

    path: str
    platform: str
    python: str
    packages: int
    install: tuple[str, ...]

    def __post_init__(self) -> None:
        _freeze_fields(self, "install")

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "platform": self.platform, "python": self.python, "packages": self.packages,
                "install": list(self.install)}
