"""python -m {{ cookiecutter.package_name }} COMMAND: local training and the SageMaker workflow.

`train` runs entry_point.py here on the bundled table (no AWS). Every other command talks to
SageMaker, and with --dry-run prints the exact requests instead of sending them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import entry_point, jobs
from .aws import CloudError, Sender
from .config import DEFAULT_CONFIG, ConfigError, load_config
from .images import ImageNotAvailable
from .state import State


def _train(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    params = config.hyperparameters
    metrics = entry_point.train(
        args.data or config.data_path,
        config.target,
        args.model_dir,
        c=float(params.get("C", 1.0)),
        test_size=float(params.get("test_size", 0.25)),
        seed=int(params.get("seed", 0)),
    )
    for name, value in metrics.items():
        print(f"{name}={value:.4f}")
    print(f"model written to {args.model_dir / entry_point.MODEL_FILE}")
    return 0


def _watched(args: argparse.Namespace, state: State) -> list[tuple[str, str]]:
    """(kind, name) pairs: those asked for on the command line, else everything recorded."""
    kinds = [kind for kind in jobs.WATCHES if getattr(args, kind) is not None]
    kinds = kinds or [kind for kind in jobs.WATCHES if state.get(jobs.STATE_KEYS[kind])]
    if not kinds:
        raise ConfigError("nothing recorded yet: pass --training, --automl or --endpoint NAME")
    return [(kind, jobs.resolve_name(state, kind, getattr(args, kind) or None)) for kind in kinds]


def _remote(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    sender = Sender(config, dry_run=args.dry_run)
    state = State(config.root)
    command = args.command
    if command == "upload":
        jobs.upload(sender, args.data)
    elif command == "remote-train":
        name = jobs.remote_train(sender, state)
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
    elif command == "predict":
        body = args.csv or jobs.feature_rows(args.data or config.data_path, config.target, args.rows)
        answer = jobs.predict(sender, state, body, args.endpoint)
        if answer is not None:
            print(json.dumps(answer) if not isinstance(answer, str) else answer)
    elif command == "cleanup":
        jobs.cleanup(sender, state, args.endpoint)
    if args.dry_run:
        print("[dry-run] nothing was sent")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """All commands and their options."""
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="settings file (default: sagemaker.toml)")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train locally on the bundled (or --data) table; no AWS")
    train.add_argument("--data", type=Path, help="CSV file or folder (default: data.path)")
    train.add_argument("--model-dir", type=Path, default=Path("artifacts/model"))
    train.set_defaults(handler=_train)

    def remote(name: str, help_text: str, *, waits: bool = False,
               default_timeout: float = 3600) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--dry-run", action="store_true", help="print the exact requests; send nothing")
        if waits:
            sub.add_argument("--timeout", type=float, default=default_timeout, help="seconds to wait")
            sub.add_argument("--poll", type=float, default=15.0, help="seconds between status checks")
        sub.set_defaults(handler=_remote)
        return sub

    upload = remote("upload", "upload the table to s3://BUCKET/PREFIX/data/train/")
    upload.add_argument("--data", type=Path, help="CSV file (default: data.path)")

    remote_train = remote("remote-train", "start a SageMaker training job running entry_point.py", waits=True)
    remote_train.add_argument("--wait", action="store_true", help="wait for it to finish")

    automl = remote("automl", "start an AutoML (Autopilot) job: a table and a target column in, a model out",
                    waits=True, default_timeout=4 * 3600)
    automl.add_argument("--data", type=Path, help="CSV file with a header (default: data.path)")
    automl.add_argument("--target", help="column to predict (default: data.target)")
    automl.add_argument("--wait", action="store_true", help="wait for it to finish")

    for name, help_text in (("status", "show the status of the last (or named) jobs and endpoint"),
                            ("wait", "wait for the last (or named) job or endpoint, showing progress")):
        sub = remote(name, help_text, waits=name == "wait")
        sub.add_argument("--training", metavar="JOB", nargs="?", const="", help="a training job (default: the last)")
        sub.add_argument("--automl", metavar="JOB", nargs="?", const="", help="an AutoML job (default: the last)")
        sub.add_argument("--endpoint", metavar="NAME", nargs="?", const="", help="an endpoint (default: the last)")

    deploy = remote("deploy", "create model, endpoint config and endpoint", waits=True, default_timeout=1800)
    source = deploy.add_mutually_exclusive_group()
    source.add_argument("--training", metavar="JOB", help="training job to deploy (default: the last)")
    source.add_argument("--automl", metavar="JOB", help="deploy an AutoML job's best candidate instead")
    deploy.add_argument("--wait", action="store_true", help="wait until the endpoint is InService")

    predict = remote("predict", "send rows to the endpoint and print its predictions")
    predict.add_argument("--endpoint", help="endpoint name (default: the last deployed)")
    predict.add_argument("--csv", help="feature rows as CSV text (default: rows of --data)")
    predict.add_argument("--data", type=Path, help="CSV table with header; its target column is dropped")
    predict.add_argument("--rows", type=int, default=3, help="how many rows of --data to send")

    cleanup = remote("cleanup", "delete the endpoint, its config and model; list what still costs money")
    cleanup.add_argument("--endpoint", help="endpoint name (default: the last deployed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors print one clear line to stderr and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, CloudError, ImageNotAvailable, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
