"""Command line: ``python -m {{ cookiecutter.package_name }} train|evaluate|predict|check``.

Settings come from ``config.toml`` (``--config``); flags override it for one run. Every error is one line
on stderr: bad data or settings exit 2, a broken environment exits 1 (see ``runtime.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import NoReturn

from .runtime import run, setup_logging

PROG = "python -m {{ cookiecutter.package_name }}"
DESCRIPTION = {{ (cookiecutter.project_name ~ ": train, evaluate and use a scikit-learn pipeline on a table.") | tojson }}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error of this project, instead of argparse's usage block.
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: given after the command it wins, left out it does not reset one given before the command.
    common.add_argument("--config", default=argparse.SUPPRESS, help="settings file (default: config.toml)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging")
    drop = argparse.ArgumentParser(add_help=False)
    drop.add_argument(
        "--drop",
        action="append",
        metavar="COLUMN",
        default=None,
        help="a column that is not a feature (an id, a leak); repeat for more",
    )

    parser = _Parser(prog=PROG, description=DESCRIPTION)
    parser.add_argument("--config", default="config.toml", help="settings file (default: config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    t = commands.add_parser(
        "train",
        parents=[common, drop],
        help="split, cross-validate, fit, test and save the model",
        description="Train on [data] of the config, or on --data PATH --target COLUMN. With "
        "--data, the config's drop list does not apply (it names columns of its own "
        "data set): give --drop for that file.",
    )
    t.add_argument("--data", metavar="PATH", help="a CSV or Parquet file (default: [data] path)")
    t.add_argument("--target", metavar="COLUMN", help="the column to predict (default: [data] target)")
    t.add_argument("--task", choices=("classification", "regression"), help="default: [data] task")
    t.add_argument("--test-size", type=float, metavar="SHARE", help="share of rows held out (default: [split])")
    t.add_argument("--cv-folds", type=int, metavar="K", help="cross-validation folds (default: [split])")
    t.add_argument("--seed", type=int, help="seed of the split and the model (default: [split])")
    t.add_argument("--n-jobs", type=int, metavar="N", help="cores to use, -1 = all (default: [compute] n_jobs)")

    e = commands.add_parser(
        "evaluate",
        parents=[common, drop],
        help="score the saved model; write metrics.json and a plot",
        description="Without --data: the training run's own held-out rows. With --data: that file's labelled rows.",
    )
    e.add_argument("--data", metavar="PATH", help="labelled rows to score (default: the held-out rows)")

    p = commands.add_parser("predict", parents=[common, drop], help="predict for the rows of a CSV or Parquet file")
    p.add_argument("--data", "--input", required=True, metavar="PATH", help="CSV or Parquet file with the features")
    p.add_argument(
        "--output",
        "-o",
        default="predictions.csv",
        metavar="FILE",
        help="CSV to write (default: predictions.csv); never the input or the training data",
    )

    commands.add_parser("check", help="compare this machine and environment with the target in .scaffold.json")
    return parser


def main(argv: list[str]) -> int:
    """Run one command (``check`` is dispatched by ``__main__`` before this module is imported)."""
    if argv[:1] == ["check"]:
        from .check import main as check

        return check(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed as one line
        return int(e.code or 0)
    setup_logging(args.verbose)
    logging.captureWarnings(True)  # library warnings as log lines, in the same format as the rest
    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # its font-cache notes are not our progress
    return run(lambda: _dispatch(args))


def _dispatch(args: argparse.Namespace) -> None:
    # Imported here: `--help` and argument errors should not wait for pandas and scikit-learn.
    from .config import load_config

    drop = tuple(args.drop) if args.drop else None
    if args.command == "train":
        from .train import train

        config = load_config(
            args.config,
            data_path=args.data,
            target=args.target,
            task=args.task,
            drop=drop,
            test_size=args.test_size,
            cv_folds=args.cv_folds,
            seed=args.seed,
            n_jobs=args.n_jobs,
        )
        train(config)
    elif args.command == "evaluate":
        from .evaluate import evaluate

        evaluate(load_config(args.config), args.data, drop or ())
    else:
        from .predict import predict

        predict(load_config(args.config), args.data, args.output, drop or ())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
