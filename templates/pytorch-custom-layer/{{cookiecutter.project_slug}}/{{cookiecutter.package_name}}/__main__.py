"""Command line: ``python -m {{ cookiecutter.package_name }} train|evaluate|check`` (also under ``torchrun -m``)."""

from __future__ import annotations

import sys

if sys.argv[1:2] == ["check"]:  # before the heavy imports below: `check` must run where the pins are missing
    from .check import main as _check

    raise SystemExit(_check(sys.argv[2:]))

import argparse  # noqa: E402
import json  # noqa: E402
from dataclasses import fields  # noqa: E402

from .device import DEVICES, DeviceUnavailable  # noqa: E402
from .train import TrainConfig, train  # noqa: E402


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = TrainConfig()
    t = commands.add_parser("train", help="train the model (run under torchrun for data parallelism)")
    t.add_argument("--data", help="CSV with numeric feature columns and a label column (default: synthetic spirals)")
    t.add_argument("--label-column", default=defaults.label_column)
    t.add_argument("--out-dir", default=defaults.out_dir, help="where checkpoints and metrics.json go")
    t.add_argument("--epochs", type=int, default=defaults.epochs)
    t.add_argument("--batch-size", type=int, default=defaults.batch_size, help="per process")
    t.add_argument("--lr", type=float, default=defaults.lr)
    t.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    t.add_argument("--width", type=int, default=defaults.width)
    t.add_argument("--depth", type=int, default=defaults.depth, help="number of GatedResidual blocks")
    t.add_argument("--dropout", type=float, default=defaults.dropout)
    t.add_argument("--max-grad-norm", type=float, default=defaults.max_grad_norm)
    t.add_argument("--val-fraction", type=float, default=defaults.val_fraction)
    t.add_argument("--seed", type=int, default=defaults.seed)
    t.add_argument("--device", choices=DEVICES, default=defaults.device,
                   help="auto = the accelerator this project was pinned for, else the CPU with a warning")
    t.add_argument("--threads", type=int, default=defaults.threads,
                   help="CPU threads per process (0 = one per core)")
    t.add_argument("--amp", choices=("auto", "on", "off"), default=defaults.amp, help="mixed precision")
    t.add_argument("--compile", action="store_true", help="torch.compile the model (needs a C++ compiler on CPU)")
    t.add_argument("--resume", nargs="?", const="auto", default=None,
                   help="continue from a checkpoint (default path: <out-dir>/last.pt)")
    e = commands.add_parser("evaluate", help="score a checkpoint")
    e.add_argument("--checkpoint", default="artifacts/last.pt")
    e.add_argument("--data", help="CSV to score in full (default: the run's validation split)")
    e.add_argument("--device", choices=DEVICES, default="auto")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
            return 0 if train(cfg).replicas_in_sync else 1
        from .evaluate import evaluate_checkpoint

        print(json.dumps(evaluate_checkpoint(args.checkpoint, args.data, args.device)))
        return 0
    except (DeviceUnavailable, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
