"""Command line: ``python -m {{ cookiecutter.package_name }} train|evaluate|predict|check``."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:  # before the config is loaded: check must work in a broken environment
        from .check import main as check

        return check(argv[1:])
    # Imported here, after `check`, which must run even where pandas or scikit-learn is missing.
    from .config import load_config
    from .data import DataError

    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}",
                                     description={{ (cookiecutter.project_name ~ ": train, evaluate and use a scikit-learn pipeline.") | tojson }})
    parser.add_argument("--config", default="config.toml", help="settings file (default: config.toml)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("train", help="cross-validate, fit, test and save the model")
    commands.add_parser("evaluate", help="score the saved model and write metrics.json and a plot")
    commands.add_parser("check", help="compare this machine and environment with the target in .scaffold.json")
    p = commands.add_parser("predict", help="predict for the rows of a CSV or Parquet file")
    p.add_argument("input", help="CSV or Parquet file with the feature columns")
    p.add_argument("-o", "--output", default="predictions.csv", help="where to write the predictions CSV")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    try:
        if args.command == "train":
            from .train import train

            meta = train(config)
            print(f"trained on {meta['rows']['train']} rows in {meta['seconds']}s; model: {config.model_path}")
            for name, value in meta["cv"].items():
                print(f"  cv {name}: {value['mean']:.4f} ± {value['std']:.4f}")
            for name, value in meta["test"].items():
                print(f"  test {name}: {value:.4f}")
        elif args.command == "evaluate":
            from .evaluate import evaluate

            report = evaluate(config)
            print(json.dumps(report["metrics"], indent=2))
            print(f"wrote {config.output_dir / 'metrics.json'} and {config.output_dir / report['plot']}")
        else:
            from .predict import predict

            out = predict(config, args.input, args.output)
            print(f"wrote {len(out)} predictions to {args.output}")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
