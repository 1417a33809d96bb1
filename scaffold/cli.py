"""The ``scaffold`` command: parse arguments, call the library, print the result.

For: turning a command line into one library call (``scaffold.api``, ``scaffold.updater``, ``scaffold.maintain``)
and its result into text or JSON, and every failure into one line and an exit status (:func:`run`). It holds no
vocabulary of its own: the option values and their help come from ``scaffold.models`` and, for the starter options
(the Keras backend, the Spark cluster, ...), from the catalog's ``[options.*]`` tables, so a new ``[options.x]`` in
``frameworks/<id>.toml`` is ``--x`` here with no change to this file.

May import: typer, ``scaffold.errors``, ``scaffold.models`` and ``scaffold.targets`` (pure, no I/O) at the top;
everything else inside the command that needs it. Kept cheap to import: the heavy parts (cookiecutter, jinja2,
questionary, rich tables) load only in the command that needs them, so ``scaffold --help`` starts fast and
``scaffold recommend`` never loads them; the catalog is read for ``new`` and ``update`` (their options), never for
``--help`` of the whole program.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from typer.core import TyperCommand

from .errors import CatalogError, ScaffoldError, UsageError
from .models import FRAMEWORK_IDS, PYTHONS, SITUATION
from .targets import PLATFORMS

app = typer.Typer(
    name="scaffold",
    help="Recommend an ML framework for your situation and generate a starter pinned for your hardware.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

SITUATION_HELP = "Situation (each optional; a left-out option weighs neither way)"


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"scaffold-ml {__version__}")
        raise typer.Exit(0)


@app.callback()
def _program(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="print scaffold-ml's version and exit")) -> None:
    """Recommend an ML framework for your situation and generate a starter pinned for your hardware."""


_JSON_ERRORS = False  # the command line asked for --json: its failures are JSON too (set by run)


def _failure(message: str, exit_code: int) -> str:
    """A failure as its one line: ``error: ...`` (bad input, 2) or ``failed: ...``; with --json, a JSON object."""
    if _JSON_ERRORS:
        return json.dumps({"error": message, "exit_code": exit_code})
    return f"{'error' if exit_code == 2 else 'failed'}: {message}"


def _fail(error: ScaffoldError) -> None:
    # One line on stderr, never a traceback; the exit code lives on the error class.
    lines = str(error).splitlines() or [type(error).__name__]
    if _JSON_ERRORS:
        typer.echo(_failure(" ".join(line.strip() for line in lines), error.exit_code), err=True)
        raise typer.Exit(error.exit_code)
    typer.echo(_failure(lines[0], error.exit_code), err=True)
    if lines[1:] and error.exit_code != 2:
        typer.echo("\n".join(lines[1:]), err=True)
    raise typer.Exit(error.exit_code)


def _profile(experience, math, task, data_size, infra, time_frame, goal, need):
    from .api import _needs_arg, _situation
    from .recommender import make_profile

    # The library's checks: empty values refused, identifiers matched whatever their case.
    values = _situation(experience=experience, math=math, task=task, data_size=data_size, infra=infra,
                        time_frame=time_frame, goal=goal)
    return make_profile(**values, needs=_needs_arg(list(need or ())))


def _choices(values) -> str:
    return " | ".join(values)


# What a value means, where the word alone does not say it; the values themselves come from SITUATION.
_SITUATION_GLOSS = {"math": " (linear algebra and calculus)"}


def _situation_option(option: str, **kwargs: Any) -> Any:
    repeatable = "repeatable: " if option == "need" else ""
    return typer.Option(None, f"--{option.replace('_', '-')}", **kwargs,
                        help=repeatable + _choices(SITUATION[option]) + _SITUATION_GLOSS.get(option, ""))


_exp = _situation_option("experience", rich_help_panel=SITUATION_HELP)
_math = _situation_option("math")
_task = _situation_option("task")
_size = _situation_option("data_size")
_infra = _situation_option("infra")
_time = _situation_option("time_frame")
_goal = _situation_option("goal")
_need = _situation_option("need")


# -- the starter options: declared by the catalog, not here ---------------------------------------------------

STARTER_OPTIONS = "scaffold.starter_options"  # the key in click's ctx.meta where the given values wait


def _starter_option_help(owners: list[tuple[Any, Any]]) -> str:
    """One option's help from its declarations: per framework, its choices, default and the catalog's own words."""
    parts = []
    for fw, opt in owners:
        by_acc = "".join(f"; on {acc}: {value}" for acc, value in opt.default_by_accelerator.items())
        line = f"{fw.name}: {_choices(opt.choices)} (default: {opt.default}{by_acc})"
        parts.append(f"{line}. {opt.help}" if opt.help else line)
    return " ".join(parts)


def starter_options() -> list[Any]:
    """A click option per ``[options.<name>]`` of the catalog (``--<name>``, ``_`` as ``-``), help from its data.

    An option that several frameworks declare is one flag; which values a framework takes is checked by the
    library (``scaffold.pins.resolve_options``), so the error names the framework and its choices.
    """
    from typer._click.types import STRING
    from typer.core import TyperOption

    from .catalog import default_catalog
    from .completion import hook

    owners: dict[str, list[tuple[Any, Any]]] = {}
    for fw in default_catalog().frameworks.values():
        for name, opt in fw.options.items():
            owners.setdefault(name, []).append((fw, opt))
    return [hook(TyperOption(param_decls=[f"--{name.replace('_', '-')}", name], type=STRING, default=None,
                             help=_starter_option_help(declared)))
            for name, declared in owners.items()]


class StarterCommand(TyperCommand):
    """A command that also takes the starter options of :func:`starter_options`, after ``--framework-version``.

    They are built when this command parses, shows its help or completes, so no other command reads the catalog
    for them. Their values reach the callback through ``ctx.meta[STARTER_OPTIONS]`` (the given ones only): the
    callback's signature cannot name options that only the catalog knows.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starter: list[Any] | None = None

    def starter_params(self) -> list[Any]:
        if self._starter is None:
            taken = {p.name for p in self.params}
            built = starter_options()
            clash = [p.name for p in built if p.name in taken]
            if clash:
                raise CatalogError(f"[options.{clash[0]}] in frameworks/ has the name of a `scaffold {self.name}` "
                                   "option; rename the starter option")
            self._starter = built
        return self._starter

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        names = [p.name for p in params]
        at = names.index("framework_version") + 1 if "framework_version" in names else len(self.params)
        return [*params[:at], *self.starter_params(), *params[at:]]

    def invoke(self, ctx: Any) -> Any:
        given = {}
        for param in self.starter_params():
            value = ctx.params.pop(param.name, None)
            if value is not None:
                given[param.name] = value
        ctx.meta[STARTER_OPTIONS] = given
        return super().invoke(ctx)


def _given_options(ctx: Any) -> dict[str, str]:
    return dict(ctx.meta.get(STARTER_OPTIONS) or {})


@app.command()
def recommend(
    experience: str | None = _exp,
    math: str | None = _math,
    task: str | None = _task,
    data_size: str | None = _size,
    infra: str | None = _infra,
    time_frame: str | None = _time,
    goal: str | None = _goal,
    need: list[str] | None = _need,
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
    explain: bool = typer.Option(False, "--explain", help="also print every rule that applied, with its weight and "
                                 "its source in docs/FRAMEWORKS.md"),
) -> None:
    """Rank the six frameworks for your situation, with reasons and cautions."""
    from .catalog import default_catalog
    from .recommender import rank

    try:
        result = rank(_profile(experience, math, task, data_size, infra, time_frame, goal, need), default_catalog())
    except ScaffoldError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    import shutil

    from .render_text import recommendation_text

    typer.echo(recommendation_text(result, shutil.get_terminal_size((80, 24)).columns, explain=explain))


@app.command(cls=StarterCommand)
def new(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="project name, e.g. \"Churn Model\" (the folder is its slug: "
                                      "churn-model); asked at a terminal when left out"),
    framework: str | None = typer.Option(None, "--framework", "-f", help=f"{_choices(FRAMEWORK_IDS)} "
                                         "(default: the top recommendation for the situation)"),
    framework_version: str | None = typer.Option(None, "--framework-version", "--spark-version",
                                                    help="release, e.g. 2.13 or 2.13.0 (default: the newest that fits)"),
    target: str = typer.Option("auto", "--target", "-t",
                               help="cpu | cuda | cuda-X.Y | rocm | rocm-X.Y | mps | auto (detect this machine)"),
    platform: str | None = typer.Option(None, "--platform", help=f"{_choices(PLATFORMS)} (default: this machine's)"),
    python: str | None = typer.Option(None, "--python", help=f"{PYTHONS[0]} ... {PYTHONS[-1]} (whatever the release "
                                      "supports; default: this interpreter's)"),
    output_dir: str = typer.Option(".", "--output-dir", "-o", help="where the project folder is created"),
    force: bool = typer.Option(False, "--force", help="replace an existing, non-empty project folder"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list the files that would be written; write nothing"),
    lock: bool = typer.Option(False, "--lock", help="also write requirements.lock: the full tree, hash-pinned for "
                              "the target, resolved with uv (needs the network)"),
    no_input: bool = typer.Option(False, "--no-input", help="never prompt"),
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
    setup: bool = typer.Option(False, "--setup", help="then create .venv in the project, install the pins (uv, else "
                               "pip; SCAFFOLD_INSTALLER=pip|uv chooses), train once and print the metrics"),
    experience: str | None = _exp,
    math: str | None = _math,
    task: str | None = _task,
    data_size: str | None = _size,
    infra: str | None = _infra,
    time_frame: str | None = _time,
    goal: str | None = _goal,
    need: list[str] | None = _need,
) -> None:
    """Generate a starter project, pinned for the target hardware (at a terminal: asks for what is not given)."""
    from .api import generate

    options = _given_options(ctx)
    try:
        profile = _profile(experience, math, task, data_size, infra, time_frame, goal, need)
        interactive = not no_input and not as_json and _isatty(sys.stdin) and _isatty(sys.stdout)
        if interactive:
            from .guided import Declined, given_on_command_line, guide

            try:
                chosen = guide(name=name, framework=framework, framework_version=framework_version, target=target,
                               platform=platform, python=python, options=options, profile=profile,
                               given=given_on_command_line(ctx), dry_run=dry_run, setup=setup,
                               output_dir=output_dir, force=force)
            except Declined as e:
                typer.echo(f"{str(e)[0].upper()}{str(e)[1:]}.")
                return
            name, framework, target, options = chosen.name, chosen.framework, chosen.target, dict(chosen.options)
            profile, setup = chosen.profile, chosen.setup
        elif name is None:
            raise UsageError("missing the project NAME: scaffold new NAME [options] (at a terminal, without "
                             "--no-input, it is asked)")
        answers = {k: v for k, v in {
            "name": name, "framework": framework, "framework_version": framework_version, "target": target,
            "platform": platform, "python": python, **options, "situation": profile.as_dict() or None,
        }.items() if v is not None}
        project = generate(name, framework=framework, framework_version=framework_version, target=target,
                           platform=platform, python=python, output_dir=output_dir, options=options,
                           profile=profile, force=force, dry_run=dry_run, answers=answers, lock=lock)
    except ScaffoldError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(project.as_dict(), indent=2))
        if setup and not dry_run:
            _setup(project, err=True)
        return
    if project.recommendation is not None:
        best = project.recommendation.best
        typer.echo(f"Recommended {best.name} for your situation: " + "; ".join(best.reasons[:2]))
    pins = project.pins
    for warning in pins.warnings:
        typer.echo(f"warning: {warning}", err=True)
    verb = "Would write" if dry_run else "Created"
    typer.echo(f"{verb} {project.path} ({project.starter} for {project.task}: {project.framework} "
               f"{pins.framework_version}, {pins.target.name}, {pins.target.platform}, Python {pins.target.python})")
    if pins.download is not None:
        typer.echo(f"Installing its pins downloads {pins.download.human()} ({pins.download.packages} packages, "
                   f"measured {pins.download.measured})")
    if dry_run:
        for f in project.files:
            typer.echo(f"  {f}")
        return
    if setup:
        _setup(project, err=False)
        return
    typer.echo("Next steps:")
    for step in project.next_steps:
        typer.echo(f"  {step}")


def _setup(project, err: bool) -> None:
    from .setup_run import run_with_progress

    try:
        run_with_progress(project.path, project.package, project.pins.target.python,
                          echo=lambda line: typer.echo(line, err=err), err=err)
    except ScaffoldError as e:
        _fail(e)
    except KeyboardInterrupt:
        typer.echo(f"interrupted: setup stopped; the project is kept at {project.path}", err=True)
        raise typer.Exit(130) from None


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # closed or detached
        return False


@app.command()
def frameworks(as_json: bool = typer.Option(False, "--json", help="print JSON for machines")) -> None:
    """List the frameworks with their starter, releases and supported targets."""
    from .api import frameworks as list_frameworks

    try:
        items = list_frameworks()
    except ScaffoldError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({"frameworks": [f.as_dict() for f in items]}, indent=2))
        return
    for f in items:
        versions = ", ".join(f.versions) or "(no releases pinned yet)"
        typer.echo(f"{f.id:<11} {f.name:<17} starter: {f.starter}")
        typer.echo(f"{'':<11} tasks: {', '.join(f.tasks)}")
        typer.echo(f"{'':<11} releases: {versions}")
        typer.echo(f"{'':<11} targets: {', '.join(f.targets) or '-'}; python: {', '.join(f.pythons) or '-'}")


@app.command("lock")
def lock_command(
    project: str = typer.Option(".", "--project", "-p", help="the generated project's folder (default: here)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
) -> None:
    """Write requirements.lock: the project's full dependency tree, hash-pinned for its target (uv; needs network)."""
    from .api import lock

    try:
        result = lock(project)
    except ScaffoldError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    typer.echo(f"Wrote {result.path}: {result.packages} packages with hashes for {result.platform}, "
               f"Python {result.python}")
    typer.echo("Install with:")
    for step in result.install:
        typer.echo(f"  {step}")


@app.command(cls=StarterCommand)
def update(
    ctx: typer.Context,
    project: str = typer.Option(".", "--project", help="the generated project (default: this folder)"),
    target: str | None = typer.Option(None, "--target", "-t", help="move to another target, e.g. cuda-13.0 or cpu"),
    platform: str | None = typer.Option(None, "--platform", help="move to another platform"),
    python: str | None = typer.Option(None, "--python", help="move to another Python, e.g. 3.12"),
    framework_version: str | None = typer.Option(None, "--framework-version", "--spark-version",
                                                    help="move to another release of the framework"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the plan and a unified diff; write nothing"),
    check: bool = typer.Option(False, "--check", help="exit 1 when the project's template, pins or scaffold-ml "
                               "version are behind this scaffold-ml; write nothing"),
    allow_dirty: bool = typer.Option(False, "--allow-dirty", help="update a git work tree with uncommitted changes"),
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
) -> None:
    """Bring a generated project to new answers and to this scaffold-ml's templates, keeping every edit."""
    from .updater import update as run_update

    options = _given_options(ctx)
    try:
        report = run_update(project, target=target, platform=platform, python=python,
                            framework_version=framework_version, options=options or None, dry_run=dry_run,
                            check=check, allow_dirty=allow_dirty)
    except ScaffoldError as e:
        _fail(e)
    except KeyboardInterrupt as e:  # SIGINT, or SIGTERM/SIGHUP turned into it by the update
        signum = e.args[0] if e.args and isinstance(e.args[0], int) else 2
        typer.echo("error: interrupted; the project is as it was before the update", err=True)
        raise typer.Exit(128 + signum) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        if check:
            for line in report.behind or ("up to date with this scaffold-ml",):
                typer.echo(line)
        else:
            verb = "Would update" if dry_run else "Updated"
            typer.echo(f"{verb} {report.project}")
            for c in report.changes:
                if c.action != "unchanged":
                    typer.echo(f"  {c.action:<9} {c.path}" + (f"  ({c.why})" if c.why else ""))
            for note in report.notes:
                typer.echo(f"note: {note}")
            if dry_run:
                for c in report.changes:
                    if c.diff:
                        typer.echo(c.diff.rstrip("\n"))
            if report.conflicts:
                typer.echo(f"{len(report.conflicts)} conflict(s), marked inline with <<<<<<< yours / >>>>>>> "
                           f"new template: {', '.join(report.conflicts)}", err=True)
    if (check and report.behind) or report.conflicts:
        raise typer.Exit(1)


@app.command()
def detect(as_json: bool = typer.Option(False, "--json", help="print JSON for machines")) -> None:
    """Show what this machine is: platform, Python, accelerator and its version."""
    from .hardware import detect as probe

    machine = probe()
    downloads = _downloads(machine)
    if as_json:
        sizes = {fid: [{"target": target, "bytes": d.bytes if d else None, "packages": d.packages if d else None}
                       for target, d in builds] for fid, builds in downloads.items()}
        typer.echo(json.dumps({**machine.as_dict(), "downloads": sizes}, indent=2))
        return
    for key, value in machine.as_dict().items():
        if key == "gpus":  # one line per GPU: what `auto` matches builds against
            for i, gpu in enumerate(value):
                cap = f", compute capability {gpu['compute_capability']}" if gpu.get("compute_capability") else ""
                typer.echo(f"gpu {i}: {gpu['name']}, {gpu['memory']}{cap}")
        elif isinstance(value, list):
            typer.echo(f"{key}: {', '.join(map(str, value))}")
        elif value not in (None, ""):  # a fact this machine does not have (no accelerator version) is left out
            typer.echo(f"{key}: {value}")
    for fid, builds in downloads.items():
        shown = [f"{target}: {d.human() if d else 'size not measured'}" for target, d in builds]
        typer.echo(f"download ({fid}): " + "; ".join(shown))


def _downloads(machine) -> dict[str, list[tuple[str, Any]]]:
    """What the builds of each framework that runs on a local GPU download here (``auto``'s, then the CPU's), so a
    person can weigh the choice first. Which frameworks those are is the catalog's (not cpu_only, not remote)."""
    from .api import resolve_pins
    from .catalog import default_catalog

    out: dict[str, list[tuple[str, Any]]] = {}
    for fid, fw in default_catalog().frameworks.items():
        if fw.cpu_only or fw.remote_accelerator:
            continue
        seen: dict[str, Any] = {}  # target -> its Download (None: not measured)
        for target in ("auto", "cpu"):
            try:
                pins = resolve_pins(fid, target=target, machine=machine, platform=machine.platform)
            except ScaffoldError:
                continue
            seen.setdefault(pins.target.name, pins.download)
        if seen:
            out[fid] = list(seen.items())
    return out


catalog_app = typer.Typer(name="catalog", help="Maintainer commands for the framework catalog.",
                          no_args_is_help=True, rich_markup_mode=None)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("check")
def catalog_check_command(
    framework: list[str] | None = typer.Option(None, "--framework", "-f", help="repeatable (default: all six)"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any framework has a newer release "
                                "or a companion pinned as the newest is not"),
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
) -> None:
    """List releases on PyPI newer than the catalog's newest pins, and companion pins the catalog calls the
    newest that have a newer release for the same Pythons (needs the network)."""
    from .catalog import default_catalog
    from .maintain import catalog_check, companion_check

    try:
        report = catalog_check(default_catalog(), framework or None)
        companions = companion_check(default_catalog(), framework or None)
    except ScaffoldError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({"frameworks": [r.as_dict() for r in report],
                               "companions": [c.as_dict() for c in companions]}, indent=2))
    else:
        for r in report:
            pinned = f"newest pinned {r.newest_pinned}" if r.newest_pinned else "nothing pinned yet"
            if not r.newer:
                typer.echo(f"{r.framework:<11} {r.package:<14} {pinned}: up to date")
                continue
            shown = ", ".join(f"{v} ({d})" for v, d in r.newer[:8]) + (" ..." if len(r.newer) > 8 else "")
            typer.echo(f"{r.framework:<11} {r.package:<14} {pinned}; newer on PyPI: {shown}")
        for c in companions:
            typer.echo(f"{c.framework:<11} {c.package:<14} {c.pinned} pinned as the newest for Python "
                       f"{', '.join(c.pythons)} in {c.release} ({c.where}); newer: {c.newest}")
    if strict and (any(r.newer for r in report) or companions):
        raise typer.Exit(1)


@catalog_app.command("prove")
def catalog_prove_command(
    framework: list[str] | None = typer.Option(None, "--framework", "-f", help="repeatable (default: all six)"),
    jobs: int = typer.Option(4, "--jobs", "-j", min=1, help="resolutions at once (at least 1)"),
    cache: str | None = typer.Option(None, "--cache", metavar="DIR",
                                     help="keep uv's cache of the proof in this folder and reuse it for a day "
                                           "(default: a temporary one, removed afterwards)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
) -> None:
    """Resolve every combination the catalog claims with uv; print claimed/resolved/unverified/failed.

    Exits 1 when any combination fails; an unreachable index counts as unverified, never as resolved.
    """
    from pathlib import Path

    from .catalog import default_catalog
    from .maintain import format_table, prove_pins

    try:
        report = prove_pins(default_catalog(), framework or None, jobs=jobs, cache=Path(cache) if cache else None)
    except ScaffoldError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        typer.echo(format_table(report.counts()))
        unverified: dict[str, list[str]] = {}
        for c in report.combinations:
            if c.outcome == "unverified":
                unverified.setdefault(c.detail, []).append(c.framework)
        for reason, fids in unverified.items():
            typer.echo(f"unverified: {len(fids)} combinations ({', '.join(dict.fromkeys(fids))}): {reason}")
        for c in report.failed:
            typer.echo(f"failed: {c.label}: {c.detail}", err=True)
    if report.failed:
        raise typer.Exit(1)


@catalog_app.command("sizes")
def catalog_sizes_command(
    framework: list[str] | None = typer.Option(None, "--framework", "-f",
                                               help="repeatable (default: pytorch, tensorflow, keras)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON for machines"),
) -> None:
    """Measure what each target's pins download and record it, dated, in frameworks/_sizes.toml (needs the network)."""
    import datetime

    from ._paths import frameworks_dir
    from .catalog import SIZES_FILE, default_catalog
    from .sizes import measure, write_sizes

    catalog = default_catalog()
    try:
        measured = measure(catalog, framework or ("pytorch", "tensorflow", "keras"),
                           today=datetime.date.today().isoformat())
    except ScaffoldError as e:
        _fail(e)
    path = frameworks_dir() / SIZES_FILE
    try:
        path.write_text(write_sizes(measured, catalog.downloads), encoding="utf-8")
    except OSError as e:
        _fail(ScaffoldError(f"cannot write {path}: {e.strerror or e}"))
    if as_json:
        typer.echo(json.dumps([{"key": m.key, "bytes": m.download.bytes if m.download else None, "detail": m.detail}
                               for m in measured], indent=2))
        return
    for m in measured:
        typer.echo(f"{m.key}: {m.download.human() if m.download else 'not measured (' + m.detail + ')'}")
    typer.echo(f"wrote {path}")


def main() -> None:
    """Entry point of the ``scaffold`` console script and ``python -m scaffold``."""
    from .interrupts import install

    install()
    sys.exit(run(sys.argv[1:]))


def run(argv: list[str]) -> int:
    """Run the command line ``argv``; return its exit status. The one place that turns failures into lines.

    Whatever happens (a ScaffoldError, a usage error, an OSError from the OS or from writing the
    output, an encoding the terminal cannot show, a signal) ends as one line on stderr and an
    exit status: 2 for bad input, 1 for other failures, 128+N for signal N. Never a traceback.
    """
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
    from typer._click.exceptions import UsageError as ClickUsageError
    from typer.exceptions import Abort, Exit

    from .interrupts import Interrupted, ignore_further

    global _JSON_ERRORS
    _JSON_ERRORS = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
    if not _standard_streams():
        _say(_failure("standard output is closed; run scaffold with somewhere to print (e.g. > out.txt)", 1))
        return 1
    real_stdout = sys.stdout
    _tolerate_encoding(real_stdout)
    sys.stdout = _Output(real_stdout)
    try:
        _refuse_repeats(argv)
        import typer.main

        from .completion import attach

        # Built here rather than by app() so that option values complete too (scaffold/completion.py).
        command = attach(typer.main.get_command(app))
        result = command(args=argv, prog_name="scaffold", standalone_mode=False)
        sys.stdout.flush()
        return result if isinstance(result, int) else 0
    except Interrupted as e:
        ignore_further()
        _say(f"interrupted: {e.name}; stopped without leaving anything half-written")
        return e.exit_code
    except KeyboardInterrupt:
        ignore_further()
        _say("interrupted: SIGINT; stopped without leaving anything half-written")
        return 130
    except Exit as e:
        return e.exit_code
    except Abort:
        _say(_failure("aborted (no answer to the question)", 1))
        return 1
    except NoArgsIsHelpError as e:  # `scaffold` alone: the help is the answer
        _say(e.format_message().rstrip())
        return 2
    except ClickException as e:
        code = 2 if isinstance(e, ClickUsageError) else e.exit_code
        _say(_failure(_one_line(e.format_message()), code))
        return code
    except ScaffoldError as e:
        _say(_failure(_one_line(str(e)) or type(e).__name__, e.exit_code))
        return e.exit_code
    except UnicodeEncodeError as e:
        _silence_stdout()
        text = e.object[e.start:e.end] if isinstance(e.object, str) else ""
        _say(_failure(f"the output's encoding ({e.encoding}) cannot show {text!r}; set PYTHONIOENCODING=utf-8 "
                      "or use --json", 1))
        return 1
    except OSError as e:
        if isinstance(e, _OutputError):
            _silence_stdout()
            _say(_failure(f"cannot write to standard output: {e.strerror or e}", 1))
            return 1
        where = f"{e.filename}: " if e.filename else ""
        _say(_failure(f"{where}{e.strerror or e}", 1))
        return 1
    except Exception as e:  # noqa: BLE001 - the last resort of the one handler: a bug is still one line
        _say(_failure(f"unexpected {type(e).__name__}: {_one_line(str(e))} (a bug in scaffold-ml; please report it)",
                      1))
        return 1
    finally:
        sys.stdout = real_stdout
        _JSON_ERRORS = False


def _tolerate_encoding(stream) -> None:
    """An output that cannot show every character (PYTHONIOENCODING=ascii) shows "?" for those, not an error."""
    try:
        "█é—".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            pass
    except AttributeError:
        pass


class _OutputError(OSError):
    """Writing to standard output failed (a full disk, /dev/full, a closed pipe)."""


class _Output:
    """Standard output that says so when a write fails, so the one line can name it."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:
            raise
        except OSError as e:
            raise _OutputError(e.errno, e.strerror) from e

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise _OutputError(e.errno, e.strerror) from e

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _say(line: str) -> None:
    """One line on stderr; when stderr itself is gone, the exit status must speak alone."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    except UnicodeEncodeError:
        try:
            sys.stderr.write(line.encode("ascii", "backslashreplace").decode("ascii") + "\n")
            sys.stderr.flush()
        except (OSError, ValueError, UnicodeError):
            pass


def _standard_streams() -> bool:
    """Give closed descriptors 0-2 /dev/null, so no file this run opens takes their number.

    A file opened as descriptor 1 would receive what a child process prints. Returns False when
    standard output was closed: the result has nowhere to go.
    """
    import os

    stdout_open = True
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            if fd == 1:
                stdout_open = False
            try:
                os.open(os.devnull, os.O_RDWR)  # takes the lowest free number: this one
            except OSError:
                return False
    return stdout_open and sys.stdout is not None


def _silence_stdout() -> None:
    """After a failed write, send what is still buffered to /dev/null: no second error at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _refuse_repeats(argv: list[str]) -> None:
    """A single-valued option given twice with different values is an error, not "the last one wins"."""
    from typer._click.core import Context
    from typer._click.exceptions import UsageError as ClickUsageError
    from typer.core import TyperOption
    from typer.main import get_command

    command = get_command(app)
    rest = list(argv)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    if hasattr(command, "commands"):
        return
    valued: dict[str, TyperOption] = {}
    for param in command.get_params(Context(command)):
        if isinstance(param, TyperOption) and not param.is_flag and not param.count:
            for opt in (*param.opts, *param.secondary_opts):
                valued[opt] = param
    seen: dict[str, tuple[str, str]] = {}
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token == "--":
            break
        if token.startswith("--") and "=" in token:
            opt, value = token.split("=", 1)
        elif token in valued:
            if i >= len(rest):
                break
            opt, value = token, rest[i]
            i += 1
        elif token.startswith("-") and not token.startswith("--") and token[:2] in valued:
            opt, value = token[:2], token[2:]
        else:
            continue
        param = valued.get(opt)
        if param is None or param.multiple:
            continue
        if param.name in seen and seen[param.name][1] != value:
            first, before = seen[param.name]
            raise ClickUsageError(f"{first} is given twice with different values ({before!r} and {value!r}); "
                                   "give it once")
        seen.setdefault(param.name, (opt, value))
