"""Command line: ``python -m {{ cookiecutter.package_name }} train | evaluate | predict | check``.

TensorFlow is imported inside each command, after the arguments are parsed, so ``--help`` and
argument errors answer at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import NoReturn

from .config import REGRESSION, TrainConfig, load_config
from .runtime import run, setup_logging

log = logging.getLogger(__package__)
# train flags that override config.toml; dest is the TrainConfig field.
_TRAIN_FIELDS = (
    "data",
    "target",
    "drop",
    "artifacts_dir",
    "epochs",
    "patience",
    "batch_size_per_replica",
    "learning_rate",
    "validation_fraction",
    "test_fraction",
    "cpu_replicas",
    "seed",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line and exit 2, like every other input error of this project."""
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = _Parser(
        prog="python -m {{ cookiecutter.package_name }}",
        description=__doc__.splitlines()[0],
    )
    commands = parser.add_subparsers(dest="command", required=True)
    what = "a regressor" if REGRESSION else "a classifier"

    train = commands.add_parser(
        "train", help=f"train {what} on a table, score its held-out rows and export a SavedModel"
    )
    train.add_argument("--data", type=Path, help="a CSV or Parquet file (default: config.toml's data)")
    train.add_argument("--target", help="the column to predict (default: config.toml's target)")
    train.add_argument("--config", type=Path, help="TOML settings, table [train] (default: config.toml if present)")
    train.add_argument(
        "--artifacts-dir",
        type=Path,
        help=f"checkpoints/, logs/, export/ and metrics.json go here (default: {defaults.artifacts_dir})",
    )
    train.add_argument(
        "--epochs", type=int, help=f"at most this many epochs; early stopping ends sooner (default: {defaults.epochs})"
    )
    train.add_argument(
        "--patience",
        type=int,
        help=f"stop after this many epochs without a better val_loss (default: {defaults.patience})",
    )
    train.add_argument(
        "--batch-size",
        dest="batch_size_per_replica",
        type=int,
        help=f"rows per replica per step (default: {defaults.batch_size_per_replica})",
    )
    train.add_argument("--learning-rate", type=float, help=f"Adam's step size (default: {defaults.learning_rate})")
    train.add_argument(
        "--validation-fraction",
        type=float,
        help=f"share of rows watched every epoch for early stopping (default: {defaults.validation_fraction})",
    )
    train.add_argument(
        "--test-fraction",
        type=float,
        help=f"share of rows held out for the final score (default: {defaults.test_fraction})",
    )
    train.add_argument(
        "--cpu-replicas", type=int, help="without GPUs, split the CPU into this many devices under MirroredStrategy"
    )
    train.add_argument("--seed", type=int, help=f"split, weights and shuffling (default: {defaults.seed})")

    evaluate = commands.add_parser("evaluate", help="score the newest export: its held-out test rows by default")
    evaluate.add_argument("--data", type=Path, help="score the labelled rows of this CSV or Parquet file instead")
    predict = commands.add_parser("predict", help="predict for the rows of a CSV or Parquet file; write a CSV")
    predict.add_argument("--data", "--input", type=Path, required=True, help="a CSV or Parquet file with the features")
    predict.add_argument("--output", type=Path, help="CSV to write (default: <artifacts>/predictions.csv)")
    for command in (train, evaluate, predict):
        command.add_argument(
            "--drop",
            action="append",
            metavar="COLUMN",
            help="a column that is not a feature (an id, a leak): left out of the model, copied by predict; "
            "repeat for more",
        )
    for command in (evaluate, predict):
        command.add_argument(
            "--model", type=Path, help="a SavedModel folder (default: the newest <artifacts>/export/<n>)"
        )
        command.add_argument(
            "--artifacts-dir",
            type=Path,
            help=f"metrics.json goes here; exports are read from here (default: {defaults.artifacts_dir}, "
            "or config.toml's)",
        )

    check = commands.add_parser("check", help="compare this machine and the installed packages with .scaffold.json")
    check.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _train(args: argparse.Namespace) -> None:
    from .train import train

    given = {name: getattr(args, name) for name in _TRAIN_FIELDS}
    given["drop"] = tuple(args.drop) if args.drop else None
    result = train(load_config(args.config, given))
    print("metrics: " + " ".join(f"{name}={value:.4g}" for name, value in result.metrics.items()))


def _artifacts(args: argparse.Namespace) -> TrainConfig:
    return load_config(None, {"artifacts_dir": args.artifacts_dir})


def _evaluate(args: argparse.Namespace) -> None:
    from .evaluate import evaluate

    config = _artifacts(args)
    metrics = evaluate(config.export_dir, config.metrics_path, args.model, args.data, tuple(args.drop or ()))
    print("metrics: " + " ".join(f"{name}={value:.4g}" for name, value in metrics.items()))


def _predict(args: argparse.Namespace) -> None:
    from .predict import predict

    config = _artifacts(args)
    output = args.output or config.artifacts_dir / "predictions.csv"
    print(predict(args.data, output, config.export_dir, args.model, tuple(args.drop or ())))


_COMMANDS = {"train": _train, "evaluate": _evaluate, "predict": _predict}


def main(argv: list[str] | None = None) -> int:
    """Run one command; data errors exit 2, environment errors 1, each as one line."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "check":
        from .check import main as check

        return check(args.rest)
    setup_logging()
    # TensorFlow logs its own INFO lines (sharding, asset writing) through these; keep one line per stage.
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return run(lambda: _COMMANDS[args.command](args))
