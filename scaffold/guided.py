"""The guided ``scaffold new``: the questions a person at a terminal answers instead of flags.

Only the CLI calls :func:`guide`, and only when stdin and stdout are terminals and neither ``--no-input`` nor
``--json`` was given. The prompt library (questionary, on prompt_toolkit) is imported inside the functions
that ask, so ``scaffold --help`` and ``scaffold recommend`` never load it.

Every question takes the choice's number or its name (any case) and Enter; Enter alone takes the default shown;
a bad answer says why under the prompt and the same question stays open. Ctrl-C or Ctrl-D anywhere raises
:class:`Cancelled`, before anything is written.

The questions come from the same data as the flags: the situation from ``scaffold.models.SITUATION`` (with
``QUESTION_HINTS``/``VALUE_HINTS``), the starter options from the chosen framework's ``[options.*]`` in the catalog
(choices, default per accelerator, help), each answer checked by the library as the flag would be.

May import: ``scaffold.errors`` and ``models`` at the top; ``api``, ``catalog``, ``recommender``, ``render_text``,
``naming``, ``hardware`` and questionary/prompt_toolkit inside the functions that need them.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import DestinationError, ScaffoldError
from .models import QUESTION_HINTS, SITUATION, VALUE_HINTS, Machine, PinSet, Profile

SKIP = "skip"


class Declined(ScaffoldError):
    """Raised when: the person answered no at the summary; nothing was written, and that is no failure (exit 0)."""

    exit_code = 0


class Cancelled(ScaffoldError):
    """Raised when: the person pressed Ctrl-C (exit 130) or Ctrl-D (exit 1) at a question; nothing was written."""

    def __init__(self, exit_code: int, message: str | None = None) -> None:
        super().__init__(message or ("interrupted; nothing was written" if exit_code == 130
                                     else "input ended; nothing was written"))
        self.exit_code = exit_code


@dataclass(frozen=True)
class Guided:
    """What the person chose; the CLI passes it to :func:`scaffold.generate` as if it had come as flags."""

    name: str
    framework: str
    target: str
    options: Mapping[str, str]
    profile: Profile
    setup: bool
    asked: tuple[str, ...] = field(default=())  # the questions that were put, in order (for the record)


# -- one question ---------------------------------------------------------------------------------------------

def _echo(text: str = "") -> None:
    print(text, flush=True)


def match_choice(answer: str, choices: Sequence[str], default: str | None) -> str:
    """The choice an answer names: its number (1-based), its name in any case, or ``default`` for an empty one.

    Raises ``ValueError`` with the reason a person reads when the answer names none.
    """
    text = answer.strip().lower()
    if not text:
        if default is None:
            raise ValueError("an answer is needed: type a number or a name")
        return default
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(choices):
            return choices[number - 1]
        raise ValueError(f"{text} is not one of the numbers 1-{len(choices)}")
    lowered = {c.lower(): c for c in choices}
    if text in lowered:
        return lowered[text]
    starts = [c for c in choices if c.lower().startswith(text)]
    if len(starts) == 1:  # an unambiguous beginning ("tab" is not one: two tasks start with it)
        return starts[0]
    shown = ", ".join(choices) if len(", ".join(choices)) < 100 else ", ".join(choices[:6]) + ", ..."
    raise ValueError(f"{answer.strip()!r} is not a choice; type a number 1-{len(choices)} or one of: {shown}")


def match_many(answer: str, choices: Sequence[str]) -> tuple[str, ...]:
    """Several choices at once, separated by commas or spaces; empty is none."""
    parts = [p for p in answer.replace(",", " ").split() if p]
    chosen = tuple(dict.fromkeys(match_choice(p, choices, None) for p in parts))  # every part checked, as typed
    return () if SKIP in chosen else chosen  # skip, by its name or its number, means none


def _ask_text(message: str, check: Callable[[str], Any], choices: Iterable[str] = ()) -> Any:
    """Put one question; ``check`` turns the typed text into the answer or raises ValueError (the question stays)."""
    import questionary
    from prompt_toolkit.completion import WordCompleter

    def validate(text: str) -> bool | str:
        try:
            check(text)
        except ValueError as e:
            return str(e)
        return True

    import re

    # The word to complete is everything back to a space or comma ("tabular-c"), not prompt_toolkit's default
    # word, which stops at the hyphen and would turn "tabular-c" into "tabular-clustering". (The text is searched
    # reversed, hence the anchor at the start.)
    completer = WordCompleter(list(choices), ignore_case=True, pattern=re.compile(r"^[^\s,]+")) if choices else None
    try:
        # unsafe_ask: questionary's ask() would swallow Ctrl-C and print its own line; the caller says one line.
        text = questionary.text(message, validate=validate, completer=completer, complete_while_typing=False,
                                qmark="?").unsafe_ask()
    except KeyboardInterrupt:
        raise Cancelled(130) from None
    except EOFError:
        raise Cancelled(1) from None
    return check(text)


def _listing(choices: Sequence[str], hints: Mapping[str, str] | None = None, marks: Mapping[str, str] | None = None,
             width: int = 80) -> None:
    for i, choice in enumerate(choices, 1):
        extra = (hints or {}).get(choice) or ""
        mark = (marks or {}).get(choice) or ""
        line = f"  {i}. {choice}" + (f" ({extra})" if extra else "") + (f"  <- {mark}" if mark else "")
        _echo(line if len(line) <= width else line[: width - 1] + "…")


def ask_choice(label: str, hint: str, choices: Sequence[str], default: str | None, *,
               hints: Mapping[str, str] | None = None, marks: Mapping[str, str] | None = None,
               check: Callable[[str], str | None] | None = None) -> str:
    """A numbered list, its one-line hint, then the prompt; ``check`` may refuse a valid name with a reason."""
    width = shutil.get_terminal_size((80, 24)).columns
    _echo()
    _echo(f"{label}: {hint}")
    _listing(choices, hints, marks, width)

    def parse(text: str) -> str:
        value = match_choice(text, choices, default)
        problem = check(value) if check else None
        if problem:
            raise ValueError(problem)
        return value

    return _ask_text(f"{label} [{default}]:" if default else f"{label}:", parse, choices)


# -- the flow ---------------------------------------------------------------------------------------------------

def given_on_command_line(ctx: Any) -> frozenset[str]:
    """The parameters of the running command that the command line set (not defaults), by name."""
    return frozenset(name for name in ctx.params
                     if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE")


def _taken(output_dir: str | Path, name: str, force: bool) -> str | None:
    """Why ``name``'s folder cannot be generated into (it holds files and there is no --force), else None."""
    from .naming import slugify

    slug, _ = slugify(name)
    dest = Path(output_dir).expanduser() / slug
    try:
        if dest.is_dir() and any(dest.iterdir()) and not force:
            return f"{dest} exists and is not empty; choose another name (or run again with --force to replace it)"
    except OSError:
        return None  # the generator says what is wrong with the folder, once, with the whole reason
    return None


def _name_problem(name: str, frameworks: Sequence[Any], catalog: Any) -> str | None:
    """Why ``name`` cannot name a project of any of ``frameworks`` (the rules of ``scaffold new``), else None."""
    from .naming import check_collisions, slugify

    try:
        slug, package = slugify(name)
    except ScaffoldError as e:
        return str(e).splitlines()[0]
    problems = []
    for fw in frameworks:
        try:
            check_collisions(slug, package, fw, catalog)
        except ScaffoldError as e:
            problems.append(str(e).splitlines()[0])
    # Refused only when no framework still to choose could take it; the chosen one's rules are checked again.
    return problems[0] if problems and len(problems) == len(frameworks) else None


def _ask_name(output_dir: str | Path, force: bool, frameworks: Sequence[Any], catalog: Any) -> str:
    def parse(text: str) -> str:
        name = text.strip()
        if not name:
            raise ValueError("a name is needed, e.g. Churn Model (its folder is churn-model)")
        problem = _name_problem(name, frameworks, catalog) or _taken(output_dir, name, force)
        if problem:
            raise ValueError(problem)
        return name

    _echo("Project name: what it is called, e.g. Churn Model (its folder is churn-model)")
    return _ask_text("Project name:", parse)


def _ask_situation(profile: Profile, given: frozenset[str]) -> tuple[Profile, list[str]]:
    from .recommender import make_profile

    values: dict[str, Any] = {o: getattr(profile, o) for o in SITUATION if o != "need"}
    needs: tuple[str, ...] = tuple(sorted(profile.needs))
    asked: list[str] = []
    _echo("Your situation chooses the framework. Each question can be skipped (it then weighs neither way).")
    for option, choices in SITUATION.items():
        if option in given or profile.is_set(option):
            continue
        asked.append(option)
        label = option.replace("_", " ").capitalize()
        hints = {v: VALUE_HINTS[(option, v)] for v in choices if (option, v) in VALUE_HINTS}
        if option == "need":
            listed = (*choices, SKIP)
            width = shutil.get_terminal_size((80, 24)).columns
            _echo()
            _echo(f"{label}: {QUESTION_HINTS[option]}; numbers or names, separated by commas")
            _listing(listed, hints, width=width)
            needs = _ask_text(f"{label} [{SKIP}]:", functools.partial(match_many, choices=listed), listed)
            continue
        answer = ask_choice(label, QUESTION_HINTS[option], (*choices, SKIP), SKIP, hints=hints)
        values[option] = None if answer == SKIP else answer
    return make_profile(**values, needs=needs), asked


def _target_order(name: str) -> tuple[str, tuple[int, ...]]:
    # cuda before cuda-12.6 before cuda-12.9 before cuda-13.0: as a person scans a list of versions
    accelerator, _, version = name.partition("-")
    return accelerator, tuple(int(p) for p in version.split(".") if p.isdigit())


def _machine_line(machine: Machine) -> str:
    facts = machine.as_dict()
    accel = facts.get("accelerator") or "cpu"
    version = facts.get("accelerator_version")
    gpus = facts.get("gpus") or ()
    gpu = "; " + ", ".join(g["name"] for g in gpus) if gpus else ""
    return (f"This machine: {facts.get('platform')}, Python {facts.get('python')}, accelerator {accel}"
            f"{' ' + str(version) if version else ''}{gpu}; {facts.get('cpu_cores')} CPU cores, "
            f"{facts.get('memory_gib')} GiB memory")


def guide(
    *,
    name: str | None,
    framework: str | None,
    framework_version: str | None,
    target: str,
    platform: str | None,
    python: str | None,
    options: Mapping[str, str],
    profile: Profile,
    given: frozenset[str],
    dry_run: bool,
    setup: bool,
    output_dir: str | Path = ".",
    force: bool = False,
) -> Guided:
    """Ask, one by one, for everything the command line did not give; return the choices.

    ``given`` names the command's parameters that came from the command line: those are never asked again.
    """
    try:
        return _guide(name=name, framework=framework, framework_version=framework_version, target=target,
                      platform=platform, python=python, options=options, profile=profile, given=given,
                      dry_run=dry_run, setup=setup, output_dir=output_dir, force=force)
    except KeyboardInterrupt:  # between two questions (detection, ranking): the same one line
        raise Cancelled(130) from None


def _guide(*, name, framework, framework_version, target, platform, python, options, profile, given, dry_run,
           setup, output_dir, force) -> Guided:
    from . import api
    from .catalog import default_catalog
    from .recommender import rank
    from .render_text import recommendation_text

    catalog = default_catalog()
    if framework is not None:
        catalog.framework(framework)
    asked: list[str] = []
    candidates = [catalog.framework(framework)] if framework is not None else list(catalog.frameworks.values())
    if name is None:
        name = _ask_name(output_dir, force, candidates, catalog)
        asked.append("name")
    elif (problem := _taken(output_dir, name, force)) is not None:
        raise DestinationError(problem)  # before any question: no answer would be used

    if framework is None:
        profile, situation_asked = _ask_situation(profile, given)
        asked += situation_asked
        ranking = rank(profile, catalog)
        _echo()
        _echo(recommendation_text(ranking, shutil.get_terminal_size((80, 24)).columns, start=False))
        ids = [r.framework for r in ranking.ranking]
        names = {r.framework: r.name for r in ranking.ranking}
        framework = ask_choice("Framework", "which one to generate (the recommended one is the default)", ids, ids[0],
                               hints=names, marks={ids[0]: "recommended"})
        asked.append("framework")
    fw = catalog.get(framework)
    if "name" in asked and _name_problem(name, [fw], catalog):  # a name another framework could take, not this one
        _echo()
        _echo(f"The name {name!r} cannot name a {fw.name} project: {_name_problem(name, [fw], catalog)}")
        name = _ask_name(output_dir, force, [fw], catalog)
    if profile.task not in fw.tasks and "task" not in given:  # a task given on the command line is checked later
        if len(fw.tasks) == 1:
            _echo(f"Task: {fw.tasks[0]} (the only one the {fw.starter} starter serves)")
            task = fw.tasks[0]
        else:
            task = ask_choice("Task", "what the project does", fw.tasks, fw.tasks[0])
            asked.append("task")
        profile = replace(profile, task=task)

    from .hardware import detect

    machine = detect()
    options = dict(options)

    def resolve(t: str, opts: Mapping[str, str]) -> PinSet:
        return api.resolve_pins(framework, target=t, platform=platform, python=python,
                                framework_version=framework_version, options=opts, machine=machine)

    if "target" not in given:
        proposal = resolve("auto", options)
        _echo()
        _echo(_machine_line(machine))
        reason = next((n for n in proposal.notes if n.startswith("auto:")), "")
        proposed = proposal.target.name
        _echo(f"Proposed target: {proposed}" + (f" ({reason.removeprefix('auto: ')})" if reason else ""))
        def target_problem(t: str) -> str | None:
            try:
                resolve(t, options)
            except ScaffoldError as e:
                return str(e).splitlines()[0]
            return None

        # Only the targets this platform and Python can have (no mps on Linux): a choice offered is one that works.
        choices = [t for t in dict.fromkeys([proposed, "cpu", *sorted(fw.targets, key=_target_order)])
                   if t == proposed or target_problem(t) is None]
        if len(choices) == 1:
            _echo(f"Target: {proposed} (the only one here)")
            picked = proposed
        else:
            picked = ask_choice("Target", "the hardware the pins are for", choices, proposed,
                                marks={proposed: "detected"}, check=target_problem)
            asked.append("target")
        # The proposal itself is recorded as `auto`: the project then says it was matched to this machine.
        target = "auto" if picked == proposed else picked

    accelerator = resolve(target, options).target.accelerator
    for key, opt in fw.options.items():
        if key in options or key in given:
            continue
        default = opt.default_by_accelerator.get(accelerator, opt.default)

        def option_problem(value: str, key: str = key) -> str | None:
            try:
                resolve(target, {**options, key: value})
            except ScaffoldError as e:
                return str(e).splitlines()[0]
            return None

        options[key] = ask_choice(key.replace("_", " ").capitalize(), opt.help, opt.choices, default,
                                  check=option_problem)
        asked.append(key)

    pins = resolve(target, options)
    from .naming import slugify

    slug, _ = slugify(name)
    _echo()
    _echo("Summary:")
    rows = [("name", f"{name} (folder {slug}/)"), ("framework", f"{fw.name} {pins.framework_version} ({fw.starter})"),
            ("task", profile.task or fw.tasks[0]),
            ("target", f"{pins.target.name}, {pins.target.platform}, Python {pins.target.python}")]
    rows += [(k.replace("_", " "), v) for k, v in options.items()]
    situation = profile.as_dict()
    if situation:
        rows.append(("situation", ", ".join(f"{k.replace('_', '-')} {'+'.join(v) if isinstance(v, list) else v}"
                                            for k, v in situation.items())))
    if pins.download is not None:
        rows.append(("download", f"{pins.download.human()} ({pins.download.packages} packages)"))
    for key, value in rows:
        _echo(f"  {key + ':':<11} {value}")
    go = ask_choice("Go on", "list the files it would write" if dry_run else "generate this project",
                    ("yes", "no"), "yes")
    if go == "no":
        raise Declined("not generated (answered no); nothing was written")
    if not setup and not dry_run and "setup" not in given:
        size = f"; its pins download {pins.download.human()}" if pins.download else ""
        setup = ask_choice("Set up", f"create .venv, install the pins and train once now{size}",
                           ("yes", "no"), "yes") == "yes"
        asked.append("setup")
    return Guided(name=name, framework=framework, target=target, options=options, profile=profile, setup=setup,
                  asked=tuple(asked))
