"""The training job: tf.data in, a custom loop with tf.GradientTape in tf.function, checkpoints
with explicit resume, TensorBoard summaries, a held-out test score, SavedModel out."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from .config import TrainConfig, flag
from .data import Examples, load_examples, make_pipeline
from .distribute import choose_strategy, describe
from .export import export_saved_model
from .model import build_model
from .runs import move_aside
from .runtime import DataError, write_json, write_metrics

log = logging.getLogger(__package__)
METADATA = "metadata.json"  # beside the checkpoints: what they were trained on


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based, counted across resumed runs
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float


@dataclass(frozen=True)
class TrainResult:
    strategy: str
    start_epoch: int  # epochs already done by earlier runs (restored from a checkpoint)
    history: tuple[EpochMetrics, ...]  # the epochs this run trained
    checkpoint: str | None
    export_path: Path
    class_names: tuple[str, ...]
    metrics: dict[str, float]  # as written to metrics.json; `accuracy` is the held-out test score
    moved_aside: Path | None = None  # where a fresh run put the previous run's checkpoints and logs


def saved_run(checkpoint_dir: Path) -> dict[str, Any]:
    """The metadata of the run whose checkpoints are in ``checkpoint_dir``; a :class:`DataError` if none."""
    if not tf.train.latest_checkpoint(str(checkpoint_dir)):
        raise DataError(f"nothing to resume: no checkpoint in {checkpoint_dir}; run `train` without --resume")
    try:
        saved = json.loads((checkpoint_dir / METADATA).read_text(encoding="utf-8"))
        missing = {"settings", "splits", "source", "class_names"} - set(saved)
        if missing:
            raise KeyError(sorted(missing))
        if not all(isinstance(saved[key], dict) for key in ("settings", "splits", "source")):
            raise TypeError("settings, splits and source must be tables")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(
            f"{checkpoint_dir / METADATA}: missing or unreadable ({type(e).__name__}), so what the "
            "checkpoint was trained on is unknown; run `train` without --resume to start fresh"
        ) from None
    return saved


def _check_settings(config: TrainConfig, saved: Mapping[str, Any]) -> None:
    """Refuse to continue a checkpoint with other settings than it was trained with (``epochs`` may grow)."""
    now = config.run_settings()
    for name, before in saved["settings"].items():
        if name != "epochs" and name in now and now[name] != before:
            shown = ["(synthetic images)" if v is None else v for v in (now[name], before)]
            raise DataError(
                f"{flag(name)} {shown[0]} conflicts with the checkpoint's {shown[1]}: --resume continues "
                "the saved run; drop the flag, or train without --resume to start fresh"
            )


def _check_data(config: TrainConfig, saved: Mapping[str, Any], examples: Examples) -> None:
    """Refuse to continue a checkpoint on other classes or other data than it was trained on."""
    if list(examples.class_names) != list(saved["class_names"]):
        missing = sorted(set(saved["class_names"]) - set(examples.class_names))
        unexpected = sorted(set(examples.class_names) - set(saved["class_names"]))
        raise DataError(
            f"the checkpoint was trained on classes {list(saved['class_names'])}; the data has "
            f"missing {missing}, unexpected {unexpected}; train without --resume to start fresh"
        )
    if examples.source["fingerprint"] != saved["source"]["fingerprint"]:
        raise DataError(
            f"the data in {config.data_dir} changed since the checkpoint was written (fingerprint "
            "differs); train without --resume to start fresh"
        )


def train(config: TrainConfig, *, resume: bool = False) -> TrainResult:
    """Train ``config.epochs`` epochs and export a SavedModel.

    A fresh run (the default) starts from random weights; checkpoints and logs of an earlier run in
    the same artifacts folder are moved to ``previous-<n>/``. With ``resume`` it continues the
    checkpoint in ``config.checkpoint_dir`` up to ``config.epochs`` in total: same settings, same
    classes, same data and the same split, or a :class:`DataError` says what differs.
    """
    strategy = choose_strategy(config.cpu_replicas)  # before any other TF op runs: it configures devices
    saved = saved_run(config.checkpoint_dir) if resume else None
    if saved:
        _check_settings(config, saved)
    # Everything about the data is checked before anything is written or moved.
    examples = load_examples(config, saved["splits"] if saved else None)
    if saved:
        _check_data(config, saved, examples)
    keras.utils.set_random_seed(config.seed)
    global_batch = config.batch_size_per_replica * strategy.num_replicas_in_sync
    # The strategy splits each global batch across replicas.
    train_pipeline = make_pipeline(
        examples.train, global_batch, training=True, shuffle_buffer=config.shuffle_buffer, seed=config.seed
    )
    train_data = strategy.experimental_distribute_dataset(train_pipeline)
    val_data = strategy.experimental_distribute_dataset(
        make_pipeline(examples.validation, global_batch, training=False)
    )
    test_data = strategy.experimental_distribute_dataset(make_pipeline(examples.test, global_batch, training=False))

    with strategy.scope():  # variables created here are mirrored on every replica
        model = build_model(config.image_size, config.channels, len(examples.class_names))
        optimizer = keras.optimizers.Adam(config.learning_rate)
        # Create the optimizer's slots now, so a checkpoint restores into them immediately.
        optimizer.build(model.trainable_variables)
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")

    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch)
    moved_aside = None
    if saved:
        latest = tf.train.latest_checkpoint(str(config.checkpoint_dir))
        try:
            checkpoint.restore(latest).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            reason = str(e).strip().splitlines()[0][:200]
            raise DataError(f"{latest}: does not fit this model ({reason}); train without --resume") from None
        log.info("resumed from %s (epoch %d)", latest, int(epoch.numpy()))
        if int(epoch.numpy()) >= config.epochs:
            raise DataError(
                f"nothing to resume: the checkpoint has {int(epoch.numpy())} of --epochs "
                f"{config.epochs} done; pass a higher --epochs to train longer"
            )
    else:
        moved_aside = move_aside(config.artifacts_dir, config.checkpoint_dir, config.log_dir)
        if moved_aside:
            log.info(
                "fresh run: the previous run's checkpoints and logs are now in %s (train --resume continues "
                "a run instead)",
                moved_aside,
            )
    metadata = {
        "settings": config.run_settings(),
        "class_names": list(examples.class_names),
        "source": examples.source,
        "splits": examples.splits,
    }
    write_json(config.checkpoint_dir / METADATA, metadata)
    manager = tf.train.CheckpointManager(checkpoint, str(config.checkpoint_dir), max_to_keep=3)
    start_epoch = int(epoch.numpy())

    def replica_train_step(images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            # Divide by the GLOBAL batch size: the replicas' gradients are summed, not averaged.
            loss = tf.nn.compute_average_loss(per_example)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return _sums(per_example, logits, labels)

    def replica_eval_step(images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        logits = model(images, training=False)
        per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return _sums(per_example, logits, labels)

    # tf.function traces each step once into a graph; strategy.run executes it on every replica.
    @tf.function
    def train_step(batch: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        return _reduce(strategy, strategy.run(replica_train_step, args=batch))

    @tf.function
    def eval_step(batch: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        return _reduce(strategy, strategy.run(replica_eval_step, args=batch))

    train_writer = tf.summary.create_file_writer(str(config.log_dir / "train"))
    val_writer = tf.summary.create_file_writer(str(config.log_dir / "validation"))
    log.info(
        "strategy: %s; global batch %d; classes %s; images: %d train, %d validation, %d held-out test",
        describe(strategy),
        global_batch,
        list(examples.class_names),
        *(len(examples.splits[name]) for name in ("train", "validation", "test")),
    )

    history = []
    for number in range(start_epoch + 1, config.epochs + 1):
        train_loss, train_acc = _run_epoch(train_step, train_data)
        val_loss, val_acc = _run_epoch(eval_step, val_data)
        for writer, loss, accuracy in ((train_writer, train_loss, train_acc), (val_writer, val_loss, val_acc)):
            with writer.as_default(step=number):
                tf.summary.scalar("loss", loss)
                tf.summary.scalar("accuracy", accuracy)
        epoch.assign(number)
        manager.save(checkpoint_number=number)
        history.append(EpochMetrics(number, train_loss, train_acc, val_loss, val_acc))
        log.info(
            "epoch %d/%d: loss %.4f accuracy %.3f | val_loss %.4f val_accuracy %.3f",
            number,
            config.epochs,
            train_loss,
            train_acc,
            val_loss,
            val_acc,
        )
    for writer in (train_writer, val_writer):
        writer.flush()

    # Scored once, after training: nothing above looked at these images.
    test_loss, test_acc = _run_epoch(eval_step, test_data)
    last = history[-1]
    metrics = {
        "accuracy": test_acc,
        "loss": test_loss,
        "test_images": len(examples.splits["test"]),
        "val_accuracy": last.val_accuracy,
        "val_loss": last.val_loss,
        "train_accuracy": last.train_accuracy,
        "train_loss": last.train_loss,
        "epochs": last.epoch,
    }
    log.info("held-out test: loss %.4f accuracy %.3f (%d images)", test_loss, test_acc, len(examples.splits["test"]))
    export_path = export_saved_model(
        model, examples.class_names, config.export_dir, {**metadata, "checkpoint": manager.latest_checkpoint}
    )
    write_metrics(config.metrics_path, metrics)
    log.info("SavedModel: %s; metrics: %s", export_path, config.metrics_path)
    return TrainResult(
        strategy=describe(strategy),
        start_epoch=start_epoch,
        history=tuple(history),
        checkpoint=manager.latest_checkpoint,
        export_path=export_path,
        class_names=examples.class_names,
        metrics=metrics,
        moved_aside=moved_aside,
    )


def _sums(per_example: tf.Tensor, logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """[loss sum, correct predictions, examples] of one replica's batch."""
    correct = tf.equal(tf.argmax(logits, axis=-1, output_type=labels.dtype), labels)
    return tf.stack(
        [
            tf.reduce_sum(per_example),
            tf.reduce_sum(tf.cast(correct, tf.float32)),
            tf.cast(tf.size(labels), tf.float32),
        ]
    )


def _reduce(strategy: tf.distribute.Strategy, per_replica: tf.Tensor) -> tf.Tensor:
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


def _run_epoch(step: Callable[[Any], tf.Tensor], dataset: Iterable[Any]) -> tuple[float, float]:
    """Run ``step`` over the dataset; mean loss and accuracy over all examples."""
    totals = tf.zeros(3)
    for batch in dataset:
        totals += step(batch)
    loss_sum, correct, count = (float(x) for x in totals.numpy())
    return loss_sum / count, correct / count
