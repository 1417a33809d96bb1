"""Command line: ``python -m {{ cookiecutter.package_name }} train|evaluate|predict|check`` (also under ``torchrun -m``).

Settings come from ``config.toml`` (``[train]``) and the flags given here; a flag left out keeps the file's
value. Data errors exit 2, environment errors 1, each as one line; never a traceback.
"""

from __future__ import annotations

import argparse
import logging
from typing import NoReturn

from .config import AMP, CLASS_WEIGHTS, DEVICES
from .runtime import run, setup_logging

log = logging.getLogger(__package__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line and exit 2, like every other input error of this project."""
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"python -m {__package__}", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,evaluate,predict,check}")
    t = commands.add_parser("train", help="train the model (run under torchrun for data parallelism)")
    # Every default is None, so the config file's value stands unless a flag is given.
    t.add_argument(
        "--data",
        help="CSV or Parquet table: numeric, text (categorical) and date feature columns and the target column "
        "(default: the config's, else the bundled data)",
    )
    t.add_argument("--target", "--label-column", dest="target", help="the column to predict (default: the config's)")
    t.add_argument(
        "--drop",
        "--ignore",
        dest="ignore",
        action="append",
        metavar="COLUMN",
        help="a column that is not a feature (an id, a leak); repeat for more",
    )
    t.add_argument("--config", help="TOML settings file, its [train] table (default: ./config.toml if present)")
    t.add_argument("--out-dir", help="where checkpoints and metrics.json go (default: artifacts)")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int, help="per process")
    t.add_argument("--lr", type=float)
    t.add_argument("--weight-decay", type=float)
    t.add_argument("--width", type=int)
    t.add_argument("--depth", type=int, help="number of GatedResidual blocks")
    t.add_argument("--dropout", type=float)
    t.add_argument("--max-grad-norm", type=float)
    t.add_argument("--val-fraction", type=float, help="of the rows left after the test split (checkpoint choice)")
    t.add_argument("--test-fraction", type=float, help="rows held out for evaluate")
    t.add_argument("--patience", type=int, help="early stopping after this many epochs without improvement; 0 = off")
    t.add_argument("--seed", type=int)
    t.add_argument(
        "--device",
        choices=DEVICES,
        help="auto = the accelerator this project was pinned for, else the CPU with a warning",
    )
    t.add_argument("--threads", type=int, help="CPU threads per process (0 = one per core)")
    t.add_argument("--amp", choices=AMP, help="mixed precision")
    t.add_argument("--class-weight", choices=CLASS_WEIGHTS, help="classification: balanced = rare classes weigh more")
    t.add_argument(
        "--compile", action="store_const", const=True, help="torch.compile the model (needs a C++ compiler on CPU)"
    )
    t.add_argument(
        "--resume", action="store_true", help="continue the run saved in <out-dir>/last.pt with its own settings"
    )
    e = commands.add_parser("evaluate", help="score the model: the run's held-out test rows, or --data")
    e.add_argument("--model", "--checkpoint", dest="model", default="artifacts/best.pt")
    e.add_argument("--data", help="a table to score in full, labels mapped through the model's classes")
    e.add_argument("--device", choices=DEVICES, default="auto")
    e.add_argument("--drop", action="append", default=[], metavar="COLUMN", help="a column to leave aside (an id)")
    p = commands.add_parser("predict", help="write predictions for a table to a CSV")
    p.add_argument("--model", "--checkpoint", dest="model", default="artifacts/best.pt")
    p.add_argument("--data", required=True, help="CSV or Parquet table with the model's feature columns")
    p.add_argument("--output", "-o", help="CSV to write (default: predictions.csv beside the model)")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument(
        "--drop", action="append", default=[], metavar="COLUMN", help="a column to pass through (an id): not a feature"
    )
    commands.add_parser("check", help="compare this machine and the installed packages with the pinned target")
    return parser


FLAGS = (
    "data",
    "target",
    "ignore",
    "out_dir",
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "width",
    "depth",
    "dropout",
    "max_grad_norm",
    "val_fraction",
    "test_fraction",
    "patience",
    "seed",
    "device",
    "threads",
    "amp",
    "compile",
    "class_weight",
)


def _train(args: argparse.Namespace) -> None:
    from .train import configure, train

    flags = {name: getattr(args, name) for name in FLAGS if getattr(args, name) is not None}
    cfg, state = configure(flags, args.config, args.resume)
    train(cfg, state)


def main(argv: list[str]) -> int:
    """Run one command; the exit status follows runtime's convention."""
    if argv[:1] == ["check"]:
        from .check import main as check

        return check(argv[1:])
    args = _parser().parse_args(argv)
    setup_logging(args.verbose)
    if args.command == "train":
        return run(lambda: _train(args))
    if args.command == "evaluate":
        from .evaluate import evaluate_model

        return run(lambda: evaluate_model(args.model, args.data, args.device, drop=args.drop))
    from .evaluate import predict_file

    return run(lambda: predict_file(args.model, args.data, args.output, args.device, drop=args.drop))
