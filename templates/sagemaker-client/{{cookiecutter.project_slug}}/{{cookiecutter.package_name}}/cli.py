"""python -m {{ cookiecutter.package_name }} COMMAND: local training and the SageMaker workflow.

`train`, `evaluate` and `predict` run entry_point.py's model here (no AWS). Every other command
talks to SageMaker, and with --dry-run prints the exact requests instead of sending them.
Settings come from sagemaker.toml; the command-line options override them. Data and input
errors exit with status 2, AWS and environment problems with 1, each as one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import entry_point, local
from .config import DEFAULT_CONFIG, TASKS, ConfigError, load_config
from .runtime import DataError, run, setup_logging

if TYPE_CHECKING:
    from .state import State

log = logging.getLogger(__name__)
MODEL_DIR = Path("artifacts/model")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one ``error:`` line and exit status 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _train(args: argparse.Namespace) -> None:
    config = load_config(args.config)
    params = config.hyperparameters
    # The config's drop list names columns of its own table: with --data, only --drop applies.
    drop = args.drop if args.drop is not None else ([] if args.data else list(config.drop))
    metrics = local.train(
        args.data or config.data_path,
        args.target or config.target,
        args.model_dir,
        task=args.task or config.task,
        drop=drop,
        c=params["C"] if args.C is None else args.C,
        class_weight=params["class_weight"] if args.class_weight is None else args.class_weight,
        test_size=params["test_size"] if args.test_size is None else args.test_size,
        seed=params["seed"] if args.seed is None else args.seed,
    )
    log.info(
        "model written to %s, metrics to %s",
        args.model_dir / entry_point.MODEL_FILE,
        local.metrics_path(args.model_dir),
    )
    _print_metrics(metrics)


def _print_metrics(metrics: dict[str, float]) -> None:
    for name, value in metrics.items():
        print(f"{name}={value:.4f}")


def _evaluate(args: argparse.Namespace) -> None:
    _print_metrics(local.evaluate(args.model_dir, args.data, tuple(args.drop or ())))


def _predict(args: argparse.Namespace) -> None:
    local.predict(args.model_dir, args.data, args.output, tuple(args.drop or ()))


def _watched(args: argparse.Namespace, state: State) -> list[tuple[str, str]]:
    """(kind, name) pairs: those asked for on the command line, else everything recorded."""
    from . import jobs

    kinds = [kind for kind in jobs.WATCHES if getattr(args, kind) is not None]
    kinds = kinds or [kind for kind in jobs.WATCHES if state.get(jobs.STATE_KEYS[kind])]
    if not kinds:
        raise ConfigError("nothing recorded yet: pass --training, --automl or --endpoint NAME")
    return [(kind, jobs.resolve_name(state, kind, getattr(args, kind) or None)) for kind in kinds]


def _remote(args: argparse.Namespace) -> None:
    # Imported here: boto3 takes a while to import, and the local commands never need it.
    from . import jobs
    from .aws import Sender
    from .state import State

    config = load_config(args.config)
    sender = Sender(config, dry_run=args.dry_run)
    state = State(config.root)
    command = args.command
    if command == "upload":
        jobs.upload(sender, state, args.data)
    elif command == "remote-train":
        name = jobs.remote_train(sender, state, args.data_uri)
        if args.wait and not args.dry_run:
            jobs.wait(sender, "training", name, timeout=args.timeout, poll=args.poll)
    elif command == "automl":
        name = jobs.automl(sender, state, args.data, args.target)
        if args.wait and not args.dry_run:
            jobs.wait(sender, "automl", name, timeout=args.timeout, poll=args.poll)
    elif command in ("status", "wait"):
        for kind, name in _watched(args, state):
            if command == "wait":
                jobs.wait(sender, kind, name, timeout=args.timeout, poll=args.poll)
            elif (description := jobs.describe(sender, kind, name)) is not None:
                print(f"{jobs.WATCHES[kind].kind} {name}: {jobs.status_line(kind, description)}")
                if description.get("FailureReason"):
                    print(f"  FailureReason: {description['FailureReason']}")
    elif command == "deploy":
        name = jobs.deploy(sender, state, training_job=args.training, automl_job=args.automl)
        if args.wait and not args.dry_run:
            jobs.wait(sender, "endpoint", name, timeout=args.timeout, poll=args.poll)
    elif command == "invoke":
        body = args.csv or jobs.feature_rows(args.data or config.data_path, None, config.target, args.rows, config.drop)
        answer = jobs.invoke(sender, state, body, args.endpoint)
        if answer is not None:
            print(json.dumps(answer) if not isinstance(answer, str) else answer)
    elif command == "cleanup":
        jobs.cleanup(sender, state, args.endpoint)
    if args.dry_run:
        print("[dry-run] nothing was sent")


def build_parser() -> argparse.ArgumentParser:
    """All commands and their options."""
    parser = _Parser(
        prog="python -m {{ cookiecutter.package_name }}",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="settings file (default: sagemaker.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    drop = argparse.ArgumentParser(add_help=False)
    drop.add_argument(
        "--drop",
        action="append",
        metavar="COLUMN",
        help="a column that is not a feature (an id, a leak); predict copies it to its output; repeat for more",
    )

    train = commands.add_parser("train", parents=[drop], help="train locally on the bundled (or --data) table; no AWS")
    train.add_argument("--data", type=Path, help="CSV or Parquet file (default: data.path)")
    train.add_argument("--target", help="the column to predict (default: data.target)")
    train.add_argument("--task", choices=TASKS, help="default: data.task")
    train.add_argument("--model-dir", type=Path, default=MODEL_DIR, help="default: artifacts/model")
    train.add_argument("--C", type=float, help="inverse regularisation strength (default: training.hyperparameters)")
    train.add_argument(
        "--class-weight", choices=("balanced", "none"), help="classes weighted by inverse frequency, or not"
    )
    train.add_argument("--test-size", type=float, help="share of rows held out for the test score")
    train.add_argument("--seed", type=int, help="seed of the train/test split")
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser(
        "evaluate", parents=[drop], help="score the local model on its held-out rows (or --data)"
    )
    evaluate.add_argument("--data", type=Path, help="CSV or Parquet file with the target column")
    evaluate.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    evaluate.set_defaults(handler=_evaluate)

    predict = commands.add_parser(
        "predict", parents=[drop], help="predict a table's rows with the local model, to a CSV file"
    )
    predict.add_argument("--data", type=Path, required=True, help="CSV or Parquet file with the feature columns")
    predict.add_argument(
        "--output",
        type=Path,
        default=Path("artifacts/predictions.csv"),
        help="default: artifacts/predictions.csv (never the input or the training data)",
    )
    predict.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    predict.set_defaults(handler=_predict)

    def remote(
        name: str, help_text: str, *, waits: bool = False, default_timeout: float = 3600
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--dry-run", action="store_true", help="print the exact requests; send nothing")
        if waits:
            sub.add_argument("--timeout", type=float, default=default_timeout, help="seconds to wait")
            sub.add_argument("--poll", type=float, default=15.0, help="seconds between status checks")
        sub.set_defaults(handler=_remote)
        return sub

    upload = remote("upload", "upload the table to a new prefix s3://BUCKET/PREFIX/data/NAME/train/")
    upload.add_argument("--data", type=Path, help="CSV or Parquet file (default: data.path); sent as CSV")

    remote_train = remote("remote-train", "start a SageMaker training job running entry_point.py", waits=True)
    remote_train.add_argument("--data-uri", help="S3 prefix to train on (default: the last upload)")
    remote_train.add_argument("--wait", action="store_true", help="wait for it to finish")

    automl = remote(
        "automl",
        "start an AutoML (Autopilot) job: a table and a target column in, a model out",
        waits=True,
        default_timeout=4 * 3600,
    )
    automl.add_argument("--data", type=Path, help="CSV or Parquet file with a header (default: data.path)")
    automl.add_argument("--target", help="column to predict (default: data.target)")
    automl.add_argument("--wait", action="store_true", help="wait for it to finish")

    for name, help_text in (
        ("status", "show the status of the last (or named) jobs and endpoint"),
        ("wait", "wait for the last (or named) job or endpoint, showing progress"),
    ):
        sub = remote(name, help_text, waits=name == "wait")
        sub.add_argument("--training", metavar="JOB", nargs="?", const="", help="a training job (default: the last)")
        sub.add_argument("--automl", metavar="JOB", nargs="?", const="", help="an AutoML job (default: the last)")
        sub.add_argument("--endpoint", metavar="NAME", nargs="?", const="", help="an endpoint (default: the last)")

    deploy = remote("deploy", "create model, endpoint config and endpoint", waits=True, default_timeout=1800)
    source = deploy.add_mutually_exclusive_group()
    source.add_argument("--training", metavar="JOB", help="training job to deploy (default: the last)")
    source.add_argument("--automl", metavar="JOB", help="deploy an AutoML job's best candidate instead")
    deploy.add_argument("--wait", action="store_true", help="wait until the endpoint is InService")

    invoke = remote("invoke", "send rows to the endpoint and print its predictions")
    invoke.add_argument("--endpoint", help="endpoint name (default: the last deployed)")
    invoke.add_argument("--csv", help="feature rows as CSV text (default: rows of --data)")
    invoke.add_argument("--data", type=Path, help="CSV or Parquet table with header; its target column is dropped")
    invoke.add_argument("--rows", type=int, default=3, help="how many rows of --data to send")

    cleanup = remote("cleanup", "delete every endpoint, config and model recorded; list what still costs money")
    cleanup.add_argument("--endpoint", help="delete only this endpoint and its config and model")

    # Dispatched by __main__ before this module is imported; listed here so --help shows it.
    commands.add_parser(
        "check", help="compare this machine, the packages and AWS credentials with the target", add_help=False
    )
    return parser


def _as_data_error(command: Callable[[], object]) -> Callable[[], object]:
    """The training script's own TableError (it runs alone in the container) as this project's DataError."""

    def guarded() -> object:
        try:
            return command()
        except entry_point.TableError as exc:
            raise DataError(str(exc)) from None

    return guarded


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr: exit 2 for data or input, 1 for AWS."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:
        from .check import main as check

        return check(argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    setup_logging(args.verbose)
    return run(_as_data_error(lambda: args.handler(args)))
