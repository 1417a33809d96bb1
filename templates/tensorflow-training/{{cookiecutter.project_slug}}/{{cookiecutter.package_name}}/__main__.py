"""Command line: ``python -m {{ cookiecutter.package_name }} train | predict | make-data``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from .config import TrainConfig


def _parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train (resuming from the latest checkpoint) and export a SavedModel")
    train.add_argument("--data-dir", type=Path, help="folder with one sub-folder of images per class "
                       "(default: synthetic images)")
    train.add_argument("--artifacts-dir", type=Path, default=defaults.artifacts_dir,
                       help="checkpoints/, logs/ and export/ go here (default: %(default)s)")
    train.add_argument("--epochs", type=int, default=defaults.epochs,
                       help="total epochs, counting those already in the checkpoint (default: %(default)s)")
    train.add_argument("--batch-size", type=int, default=defaults.batch_size_per_replica,
                       help="examples per replica per step (default: %(default)s)")
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    train.add_argument("--image-size", type=int, default=defaults.image_size)
    train.add_argument("--channels", type=int, choices=(1, 3), default=defaults.channels)
    train.add_argument("--cpu-replicas", type=int, default=defaults.cpu_replicas,
                       help="without GPUs, split the CPU into this many devices under MirroredStrategy")
    train.add_argument("--seed", type=int, default=defaults.seed)

    predict = commands.add_parser("predict", help="classify image files with the latest exported SavedModel")
    predict.add_argument("images", type=Path, nargs="+")
    predict.add_argument("--model", type=Path, help="a SavedModel folder (default: the newest under "
                         f"{defaults.export_dir})")

    make_data = commands.add_parser("make-data", help="write the synthetic images as an image folder")
    make_data.add_argument("directory", type=Path)
    make_data.add_argument("--num-examples", type=int, default=300)
    make_data.add_argument("--seed", type=int, default=defaults.seed)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:  # compare machine and environment with .scaffold.json, before anything heavy
        from .check import main as check

        return check(argv[1:])
    args = _parser().parse_args(argv)
    # TensorFlow is imported here, after argument parsing, so that --help answers at once.
    if args.command == "train":
        from .train import train

        config = replace(
            TrainConfig(),
            data_dir=args.data_dir,
            artifacts_dir=args.artifacts_dir,
            epochs=args.epochs,
            batch_size_per_replica=args.batch_size,
            learning_rate=args.learning_rate,
            image_size=args.image_size,
            channels=args.channels,
            cpu_replicas=args.cpu_replicas,
            seed=args.seed,
        )
        result = train(config)
        if result.history:
            last = result.history[-1]
            print(f"final: val_loss {last.val_loss:.4f} val_accuracy {last.val_accuracy:.3f}")
        return 0
    if args.command == "predict":
        import tensorflow as tf

        from .data import decode_image
        from .export import Predictor, latest_export

        predictor = Predictor(args.model or latest_export(TrainConfig().export_dir))
        images = tf.stack([
            decode_image(tf.io.read_file(str(path)), predictor.image_size, predictor.channels)
            for path in args.images
        ])
        outputs = predictor(images)
        for path, name, probabilities in zip(args.images, outputs["class_name"], outputs["probabilities"], strict=True):
            print(f"{path}\t{name.decode()}\t{probabilities.max():.3f}")
        return 0
    from .data import SYNTHETIC_CLASSES, synthetic_images, write_image_folder

    images, labels = synthetic_images(args.num_examples, TrainConfig().image_size, args.seed)
    write_image_folder(images, labels, SYNTHETIC_CLASSES, args.directory)
    print(f"wrote {len(labels)} images to {args.directory}/<{'|'.join(SYNTHETIC_CLASSES)}>/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
