"""Command line: ``python -m {{ cookiecutter.package_name }} {train,evaluate,predict,experiment,make-data,check}``.

Settings come from ``config.toml`` (``--config FILE`` for another) and the options of each command,
which win over the file. Data problems are one ``error:`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

# `python -m` runs the package's __init__ (which sets KERAS_BACKEND) before this file, and the
# commands import Keras lazily so that `--help` and config errors answer without loading a backend.
from .config import DEFAULT_CONFIG_PATH, REGRESSION, Config, load_config, override
from .runtime import DataError, run, setup_logging

log = logging.getLogger(__name__)
PROG = "python -m {{ cookiecutter.package_name }}"
# The options of `train` that change what is trained; `--resume` refuses them (it continues the saved run).
#: The metrics each log line shows (metrics.json holds them all).
SCORES = ("r2", "rmse", "mae", "loss") if REGRESSION else ("accuracy", "f1_macro", "loss")
_TRAINING_OPTIONS = ("path", "target", "drop", "epochs", "batch_size", "learning_rate", "seed")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise DataError(f"{message} (see {PROG} --help)")


def _config(args: argparse.Namespace) -> Config:
    given = getattr(args, "config", None)
    path = Path(given) if given else DEFAULT_CONFIG_PATH
    if path.is_file():
        return load_config(path)
    if given:
        raise DataError(f"{path}: no such config file")
    return Config()


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    data = getattr(args, "data", None)
    return {
        # A path on the command line is relative to where the command runs.
        "path": str(Path(data).resolve()) if data else None,
        "target": getattr(args, "target", None),
        "drop": tuple(args.drop) if getattr(args, "drop", None) else None,
        "epochs": getattr(args, "epochs", None),
        "batch_size": getattr(args, "batch_size", None),
        "learning_rate": getattr(args, "learning_rate", None),
        "seed": getattr(args, "seed", None),
    }


def _shown(metrics: dict[str, float], names: tuple[str, ...]) -> str:
    return " ".join(f"{name}={metrics[name]:.4f}" for name in names if name in metrics)


def _model_path(config: Config, args: argparse.Namespace) -> Path:
    from .artifacts import MODEL_FILE

    return Path(args.model) if args.model else Path(config.training.artifacts_dir) / MODEL_FILE


def _train(config: Config, args: argparse.Namespace) -> None:
    from .artifacts import prepare

    changes = _overrides(args)
    if args.resume:
        flags = {name: "--data" if name == "path" else f"--{name.replace('_', '-')}" for name in _TRAINING_OPTIONS}
        conflicting = [flags[name] for name in _TRAINING_OPTIONS if changes[name] is not None]
        if conflicting:
            raise DataError(
                f"--resume continues the interrupted run with its saved settings; drop {', '.join(conflicting)}"
            )
    else:
        config = override(config, **changes)
    # The data is read and checked before Keras starts: a refused file costs no backend start-up.
    prepared = prepare(config, resume=args.resume)
    import keras

    from .train import train

    log.info("Keras %s, backend %s", keras.__version__, keras.backend.backend())
    result = train(prepared.config, resume=args.resume, prepared=prepared)
    metrics = result.metrics
    log.info(
        "test %s on %d held-out rows; %s; epochs=%d",
        _shown(metrics, SCORES),
        metrics["test_rows"],
        _shown(metrics, tuple(f"val_{name}" for name in SCORES)),
        metrics["epochs"],
    )
    log.info("model: %s (card: %s)", result.model_path, result.model_path.with_suffix(".json"))


def _evaluate(config: Config, args: argparse.Namespace) -> None:
    from .predict import evaluate

    metrics = evaluate(_model_path(config, args), args.data, tuple(args.drop or ()))
    scored = args.data or "the held-out test rows"
    log.info("%s on %d rows of %s", _shown(metrics, SCORES), metrics["rows"], scored)


def _predict(config: Config, args: argparse.Namespace) -> None:
    from .predict import predict

    output = args.output or Path(config.training.artifacts_dir) / "predictions.csv"
    predict(_model_path(config, args), args.data, output, tuple(args.drop or ()))


def _experiment(config: Config, args: argparse.Namespace) -> None:
    from .experiment import format_table, run_sweep, write_trials

    config = override(config, **_overrides(args))
    trials = run_sweep(config)
    print(format_table(trials))  # the table is this command's result, not progress
    log.info("results: %s", write_trials(trials, Path(config.training.artifacts_dir) / "experiments.csv"))


def _make_data(config: Config, args: argparse.Namespace) -> None:
    from .data import spirals_table, used_cars_table, write_table

    data = config.data
    if args.samples is not None:
        data = override(config, samples=args.samples).data
    table = used_cars_table(args.samples or 800, data.seed) if REGRESSION else spirals_table(data)
    log.info("wrote %d rows to %s", len(table.rows), write_table(args.output, table.header, table.rows))


def _check(config: Config, args: argparse.Namespace) -> None:
    # Reached only when an option comes before `check` (`-v check`); __main__ dispatches the usual form.
    from .check import main as check

    raise SystemExit(check(args.args))


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", help="CSV or Parquet file (default: [data] path, or synthetic spirals)")
    parser.add_argument("--target", help="the label column to predict (default: [data] target)")
    parser.add_argument("--drop", action="append", metavar="COLUMN", help="a column not to use as a feature (repeat)")
    parser.add_argument("--seed", type=int, help="seed of the split and of the weights")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--config", default=argparse.SUPPRESS, help=f"TOML file of settings (default: {DEFAULT_CONFIG_PATH})"
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging")
    parser = _Parser(prog=PROG, description=__doc__, parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run_it: Callable[[Config, argparse.Namespace], None], text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text, parents=[common])
        sub.set_defaults(run=run_it)
        return sub

    train = command("train", _train, "fit the model; save it with its card, the held-out rows and metrics.json")
    _data_options(train)
    train.add_argument("--epochs", type=int, help="most epochs (early stopping may end sooner)")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--resume", action="store_true", help="continue an interrupted run with its saved settings")

    evaluate = command("evaluate", _evaluate, "score the saved model; writes metrics.json")
    evaluate.add_argument("--data", help="a labelled CSV or Parquet file (default: the training run's held-out rows)")
    evaluate.add_argument("--model", help="a .keras file (default: <artifacts_dir>/model.keras)")
    evaluate.add_argument("--drop", action="append", metavar="COLUMN", help="a column to ignore (an id; repeat)")

    predict = command("predict", _predict, "predict each row of a file; one CSV row per input row")
    predict.add_argument("--data", required=True, help="CSV or Parquet with the model's feature columns")
    predict.add_argument("--output", help="CSV to write (default: <artifacts_dir>/predictions.csv)")
    predict.add_argument("--model", help="a .keras file (default: <artifacts_dir>/model.keras)")
    predict.add_argument(
        "--drop", action="append", metavar="COLUMN", help="a column that is no feature (an id): copied into the output"
    )

    experiment = command("experiment", _experiment, "sweep the [experiment] grid, ranked on the validation rows")
    _data_options(experiment)

    make_data = command(
        "make-data", _make_data, "write the generated data set as a CSV (regression: the bundled used cars)"
    )
    make_data.add_argument("output", help="CSV file to write")
    make_data.add_argument("--samples", type=int, help="rows (default: [data] samples)")

    check = command("check", _check, "compare this machine and the installed packages with .scaffold.json")
    check.add_argument("args", nargs=argparse.REMAINDER, help="options of check (--json, --record FILE)")
    return parser


def main(argv: list[str]) -> int:
    """Run one command; the exit status follows runtime.py (data errors 2, environment errors 1)."""
    if argv[:1] == ["check"]:
        from .check import main as check

        return check(argv[1:])

    def parse_and_run() -> None:
        args = _parser().parse_args(argv)
        setup_logging(verbose=getattr(args, "verbose", False))
        args.run(_config(args), args)

    try:
        return run(parse_and_run)
    except SystemExit as exit_:  # --help, and `check` reached through the parser
        return exit_.code if isinstance(exit_.code, int) else 0
