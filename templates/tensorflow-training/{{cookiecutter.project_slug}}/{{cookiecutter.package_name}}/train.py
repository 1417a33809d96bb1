"""The training job: tf.data in, a custom loop with tf.GradientTape in tf.function, checkpoints
with resume, TensorBoard summaries, SavedModel out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from .config import TrainConfig
from .data import load_examples, make_pipeline
from .distribute import choose_strategy, describe
from .export import export_saved_model
from .model import build_model


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


def train(config: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    """Train until ``config.epochs`` epochs are done in total, resuming from the latest
    checkpoint in ``config.checkpoint_dir`` if there is one; then export a SavedModel."""
    strategy = choose_strategy(config.cpu_replicas)  # first: it configures devices
    keras.utils.set_random_seed(config.seed)
    examples = load_examples(config)
    global_batch = config.batch_size_per_replica * strategy.num_replicas_in_sync
    # The strategy splits each global batch across replicas.
    train_pipeline = make_pipeline(
        examples.train, global_batch, training=True, shuffle_buffer=config.shuffle_buffer, seed=config.seed
    )
    train_data = strategy.experimental_distribute_dataset(train_pipeline)
    val_pipeline = make_pipeline(examples.validation, global_batch, training=False)
    val_data = strategy.experimental_distribute_dataset(val_pipeline)

    with strategy.scope():  # variables created here are mirrored on every replica
        model = build_model(config.image_size, config.channels, len(examples.class_names))
        optimizer = keras.optimizers.Adam(config.learning_rate)
        # Create the optimizer's slots now, so a checkpoint restores into them immediately.
        optimizer.build(model.trainable_variables)
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")

    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch)
    manager = tf.train.CheckpointManager(checkpoint, str(config.checkpoint_dir), max_to_keep=3)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        log(f"resumed from {manager.latest_checkpoint} (epoch {int(epoch.numpy())})")
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
    log(f"strategy: {describe(strategy)}; global batch {global_batch}; classes {list(examples.class_names)}")

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
        log(
            f"epoch {number}/{config.epochs}: loss {train_loss:.4f} accuracy {train_acc:.3f} "
            f"| val_loss {val_loss:.4f} val_accuracy {val_acc:.3f}"
        )
    if not history:
        log(f"already trained {start_epoch} epochs; raise --epochs to continue from the checkpoint")
    for writer in (train_writer, val_writer):
        writer.flush()

    export_path = export_saved_model(model, examples.class_names, config.export_dir)
    log(f"SavedModel: {export_path}")
    return TrainResult(
        strategy=describe(strategy),
        start_epoch=start_epoch,
        history=tuple(history),
        checkpoint=manager.latest_checkpoint,
        export_path=export_path,
        class_names=examples.class_names,
    )


def _sums(per_example: tf.Tensor, logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """[loss sum, correct predictions, examples] of one replica's batch."""
    correct = tf.equal(tf.argmax(logits, axis=-1, output_type=labels.dtype), labels)
    return tf.stack([
        tf.reduce_sum(per_example),
        tf.reduce_sum(tf.cast(correct, tf.float32)),
        tf.cast(tf.size(labels), tf.float32),
    ])


def _reduce(strategy: tf.distribute.Strategy, per_replica: tf.Tensor) -> tf.Tensor:
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


def _run_epoch(step: Callable[[Any], tf.Tensor], dataset: Iterable[Any]) -> tuple[float, float]:
    """Run ``step`` over the dataset; mean loss and accuracy over all examples."""
    totals = tf.zeros(3)
    for batch in dataset:
        totals += step(batch)
    loss_sum, correct, count = (float(x) for x in totals.numpy())
    return loss_sum / count, correct / count
