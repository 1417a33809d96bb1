"""Command line: ``python -m {{ cookiecutter.package_name }} train | evaluate | predict | make-data | check``.

TensorFlow is imported inside each command, after the arguments are parsed, so ``--help`` and
argument errors answer at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import NoReturn

from .config import TrainConfig, config_from_settings, load_config, with_overrides
from .runtime import DataError, run, setup_logging

log = logging.getLogger(__package__)
# train flags that override config.toml; dest is the TrainConfig field.
_TRAIN_FIELDS = (
    "data_dir",
    "artifacts_dir",
    "epochs",
    "batch_size_per_replica",
    "learning_rate",
    "image_size",
    "channels",
    "validation_fraction",
    "test_fraction",
    "num_examples",
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

    train = commands.add_parser(
        "train", help="train from scratch (or --resume a run), score the held-out test images and export a SavedModel"
    )
    train.add_argument(
        "--data",
        "--data-dir",
        dest="data_dir",
        type=Path,
        help="folder with one sub-folder of images per class (default: synthetic images)",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in <artifacts>/checkpoints with its saved settings, classes, data "
        "and split (flags may only repeat them; --epochs may raise the total)",
    )
    train.add_argument("--config", type=Path, help="TOML settings, table [train] (default: config.toml if present)")
    train.add_argument(
        "--artifacts-dir",
        type=Path,
        help=f"checkpoints/, logs/, export/ and metrics.json go here (default: {defaults.artifacts_dir})",
    )
    train.add_argument("--epochs", type=int, help=f"total epochs, counting resumed ones (default: {defaults.epochs})")
    train.add_argument(
        "--batch-size",
        dest="batch_size_per_replica",
        type=int,
        help=f"examples per replica per step (default: {defaults.batch_size_per_replica})",
    )
    train.add_argument("--learning-rate", type=float, help=f"Adam's step size (default: {defaults.learning_rate})")
    train.add_argument(
        "--image-size", type=int, help=f"images are resized to this square (default: {defaults.image_size})"
    )
    train.add_argument("--channels", type=int, choices=(1, 3), help=f"1 gray, 3 RGB (default: {defaults.channels})")
    train.add_argument(
        "--validation-fraction",
        type=float,
        help=f"share of each class watched every epoch (default: {defaults.validation_fraction})",
    )
    train.add_argument(
        "--test-fraction",
        type=float,
        help=f"share of each class held out for the final score (default: {defaults.test_fraction})",
    )
    train.add_argument("--num-examples", type=int, help=f"synthetic images (default: {defaults.num_examples})")
    train.add_argument(
        "--cpu-replicas", type=int, help="without GPUs, split the CPU into this many devices under MirroredStrategy"
    )
    train.add_argument("--seed", type=int, help=f"split, weights and shuffling (default: {defaults.seed})")

    evaluate = commands.add_parser("evaluate", help="score the newest export: its held-out test images by default")
    evaluate.add_argument(
        "--data",
        "--data-dir",
        dest="data_dir",
        type=Path,
        help="score this folder instead (class sub-folders named as the model's classes)",
    )
    predict = commands.add_parser("predict", help="classify images with the newest export; write a CSV")
    predict.add_argument(
        "--data",
        "--data-dir",
        dest="data_dir",
        type=Path,
        required=True,
        help="an image file, or a folder searched for images",
    )
    predict.add_argument("--output", type=Path, help="CSV to write (default: <artifacts>/predictions.csv)")
    for command in (evaluate, predict):
        command.add_argument(
            "--model", type=Path, help="a SavedModel folder (default: the newest <artifacts>/export/<n>)"
        )
        command.add_argument(
            "--artifacts-dir",
            type=Path,
            help=f"metrics.json goes here; exports are read from here (default: "
            f"{defaults.artifacts_dir}, or config.toml's)",
        )

    make_data = commands.add_parser("make-data", help="write the synthetic images as an image folder")
    make_data.add_argument("directory", type=Path, help="a new or empty folder")
    make_data.add_argument("--num-examples", type=int, default=300)
    make_data.add_argument("--seed", type=int, default=defaults.seed)

    check = commands.add_parser("check", help="compare this machine and the installed packages with .scaffold.json")
    check.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _train(args: argparse.Namespace) -> None:
    from .train import saved_run, train

    given = {name: getattr(args, name) for name in _TRAIN_FIELDS}
    if args.resume:
        # Where the run lives and what hardware runs it may come from anywhere; every other setting
        # is the checkpoint's, and a flag that says otherwise is refused by train().
        where = load_config(
            args.config, {"artifacts_dir": given["artifacts_dir"], "cpu_replicas": given["cpu_replicas"]}
        )
        saved = saved_run(where.checkpoint_dir)
        config = config_from_settings(
            saved["settings"], artifacts_dir=where.artifacts_dir, cpu_replicas=where.cpu_replicas
        )
        config = with_overrides(config, {k: v for k, v in given.items() if k not in ("artifacts_dir", "cpu_replicas")})
        log.info("resuming with the checkpoint's settings (config.toml's are not used)")
    else:
        config = load_config(args.config, given)
    result = train(config, resume=args.resume)
    print("metrics: " + " ".join(f"{name}={value:.4g}" for name, value in result.metrics.items()))


def _artifacts(args: argparse.Namespace) -> TrainConfig:
    return load_config(None, {"artifacts_dir": args.artifacts_dir})


def _evaluate(args: argparse.Namespace) -> None:
    from .evaluate import evaluate

    config = _artifacts(args)
    metrics = evaluate(config.export_dir, config.metrics_path, args.model, args.data_dir)
    print("metrics: " + " ".join(f"{name}={value:.4g}" for name, value in metrics.items()))


def _predict(args: argparse.Namespace) -> None:
    from .predict import predict

    config = _artifacts(args)
    output = args.output or config.artifacts_dir / "predictions.csv"
    print(predict(args.data_dir, output, config.export_dir, args.model))


def _make_data(args: argparse.Namespace) -> None:
    directory: Path = args.directory
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise DataError(f"{directory}: exists and is not an empty folder; make-data writes only into a new one")
    if args.num_examples < 6:
        raise DataError(f"--num-examples must be at least 6, not {args.num_examples}")
    from .data import SYNTHETIC_CLASSES, write_synthetic_folder

    write_synthetic_folder(directory, args.num_examples, seed=args.seed, image_size=TrainConfig().image_size)
    log.info("wrote %d images to %s/<%s>/", args.num_examples, directory, "|".join(SYNTHETIC_CLASSES))


_COMMANDS = {"train": _train, "evaluate": _evaluate, "predict": _predict, "make-data": _make_data}


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
