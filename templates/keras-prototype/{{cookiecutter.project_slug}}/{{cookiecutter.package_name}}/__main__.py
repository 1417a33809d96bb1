"""Command line: ``python -m {{ cookiecutter.package_name }} {train,predict,experiment,make-data}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

# `python -m` runs the package's __init__ (which sets KERAS_BACKEND) before this file, and the
# commands import Keras lazily so that `--help` and config errors answer without loading a backend.
from .config import DEFAULT_CONFIG_PATH, Config, load_config


def _config(args: argparse.Namespace) -> Config:
    path = Path(args.config)
    if path.is_file():
        return load_config(path)
    if args.config_given:
        raise FileNotFoundError(f"{path}: no such config file")
    return Config()


def _train(config: Config, args: argparse.Namespace) -> None:
    import keras

    from .train import HISTORY_FILE, train

    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
    result, model_path = train(config, verbose=args.verbose)
    print(
        f"val_loss={result.val_loss:.4f} val_accuracy={result.val_accuracy:.4f} "
        f"epochs={result.epochs_run} seconds={result.seconds:.1f}"
    )
    print(f"model: {model_path}")
    print(f"history: {model_path.parent / HISTORY_FILE}")


def _predict(config: Config, args: argparse.Namespace) -> None:
    from .predict import predict_csv, write_predictions
    from .train import MODEL_FILE

    model_path = Path(args.model) if args.model else Path(config.training.artifacts_dir) / MODEL_FILE
    predictions = predict_csv(model_path, args.input, config.data.label_column)
    if args.output:
        print(f"predictions: {write_predictions(predictions, args.output)}")
    else:
        shown = zip(predictions.classes[: args.show], predictions.probabilities[: args.show], strict=True)
        for cls, probabilities in shown:
            print(f"class {cls}  p={probabilities[cls]:.3f}")
    print(f"rows={len(predictions.classes)}", end="")
    print(f" accuracy={predictions.accuracy:.4f}" if predictions.accuracy is not None else "")


def _experiment(config: Config, args: argparse.Namespace) -> None:
    from .experiment import format_table, run_sweep, write_trials

    trials = run_sweep(config)
    print(format_table(trials))
    print(f"results: {write_trials(trials, Path(config.training.artifacts_dir) / 'experiments.csv')}")


def _make_data(config: Config, args: argparse.Namespace) -> None:
    from .data import make_spirals, write_csv

    data = config.data
    dataset = make_spirals(args.samples or data.samples, data.classes, data.noise, data.seed)
    print(f"wrote {len(dataset)} rows to {write_csv(dataset, args.output, data.label_column)}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:  # compare machine and environment with .scaffold.json, before anything heavy
        from .check import main as check

        return check(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}", description=__doc__)
    parser.add_argument("--config", default=None, help=f"TOML file of hyperparameters (default: {DEFAULT_CONFIG_PATH})")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="fit the model and save it as .keras")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2, help="Keras fit verbosity")
    train.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="load a saved model and predict a CSV file")
    predict.add_argument("input", help="CSV with the training feature columns (a label column is optional)")
    predict.add_argument("--model", help="a .keras file (default: <artifacts_dir>/model.keras)")
    predict.add_argument("--output", help="write all predictions to this CSV instead of printing a few")
    predict.add_argument("--show", type=int, default=5, help="rows to print without --output")
    predict.set_defaults(run=_predict)

    experiment = commands.add_parser("experiment", help="sweep the [experiment] grid and compare")
    experiment.set_defaults(run=_experiment)

    make_data = commands.add_parser("make-data", help="write the synthetic data set as a CSV")
    make_data.add_argument("output", help="CSV file to write")
    make_data.add_argument("--samples", type=int, help="rows (default: [data] samples)")
    make_data.set_defaults(run=_make_data)

    args = parser.parse_args(argv)
    args.config_given = args.config is not None
    args.config = args.config or DEFAULT_CONFIG_PATH
    try:
        args.run(_config(args), args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
