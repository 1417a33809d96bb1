"""The training job: a table in, a custom loop with tf.GradientTape in tf.function under a tf.distribute
strategy, early stopping on a validation split with the best weights restored from their checkpoint,
TensorBoard summaries, a held-out test score, and a SavedModel that takes the raw columns out."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .config import REGRESSION, TASK, TrainConfig
from .data import Features, prepare_training, read_table, split_rows
from .distribute import choose_strategy, describe
from .export import export_saved_model
from .metrics import classification_scores, regression_scores
from .model import build_model, model_inputs, vocabulary
from .runs import move_aside
from .runtime import DataError, fingerprint, write_json, write_metrics

log = logging.getLogger(__package__)
METADATA = "metadata.json"  # beside the checkpoints: what they were trained on


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int
    train_loss: float
    val_loss: float


@dataclass(frozen=True)
class TrainResult:
    strategy: str
    history: tuple[EpochMetrics, ...]
    best_epoch: int  # whose weights were restored, exported and scored
    export_path: Path
    classes: tuple[str, ...]  # () for regression
    metrics: dict[str, float]  # as written to metrics.json


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise DataError(f"{folder}: cannot write the artifacts here ({e.strerror or e})") from None


def _pipeline(features: Features, target: np.ndarray, batch: int, *, training: bool, seed: int) -> tf.data.Dataset:
    """cache -> (shuffle) -> batch -> prefetch, sharded by rows across workers.

    The rows are tensors in memory, not files, so ``AutoShardPolicy.FILE`` has nothing to divide;
    ``DATA`` makes each worker of a ``MultiWorkerMirroredStrategy`` keep every n-th row. One worker ignores it.
    """
    dataset = tf.data.Dataset.from_tensor_slices((model_inputs(features), target)).cache()
    if training:
        dataset = dataset.shuffle(len(target), seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.batch(batch).prefetch(tf.data.AUTOTUNE).with_options(options)


def predict_raw(model: keras.Model, features: Features, batch: int = 4096) -> np.ndarray:
    """The model's outputs (logits or the standardised target) for ``features``, in batches."""
    inputs = model_inputs(features)
    parts = [
        model([x[start : start + batch] for x in inputs], training=False).numpy()
        for start in range(0, len(features), batch)
    ]
    return np.concatenate(parts)


def train(config: TrainConfig) -> TrainResult:
    """Train at most ``config.epochs`` epochs, stop early, restore the best, score the held-out rows, export.

    A rerun starts fresh: checkpoints and logs of an earlier run in the same artifacts folder are moved to
    ``previous-<n>/``. Everything about the data is checked before anything is written.
    """
    started = time.perf_counter()
    strategy = choose_strategy(config.cpu_replicas)  # before any other TF op runs: it configures devices
    if config.data is None:
        raise DataError("no data: pass --data FILE --target COLUMN, or set data and target in config.toml [train]")
    if not config.target:
        raise DataError(f"{config.data}: no target column: pass --target COLUMN")
    table = read_table(config.data)
    log.info("read %d rows x %d columns from %s", len(table), len(table.header), config.data)
    prepared = prepare_training(table, config.target, config.drop, regression=REGRESSION)
    schema, features, target, classes = prepared.schema, prepared.features, prepared.target, prepared.classes
    log.info(
        "features: %d numeric %s, %d categorical %s",
        len(schema.numeric),
        list(schema.numeric),
        len(schema.categorical),
        list(schema.categorical),
    )
    parts = split_rows(target, classes, config.validation_fraction, config.test_fraction, config.seed)
    (train_x, val_x, test_x), (train_y, val_y, test_y) = (
        tuple(features.subset(p) for p in parts),
        tuple(target[p] for p in parts),
    )
    log.info("split: %d training, %d validation, %d held-out test rows (seed %d)", *map(len, parts), config.seed)
    _ensure_writable(config.artifacts_dir)

    # Statistics of the training rows only; the validation and test rows are never looked at for them.
    vocabularies = [vocabulary(column, config.max_categories) for column in train_x.categorical]
    if REGRESSION:
        mean, std = float(train_y.mean()), float(train_y.std()) or 1.0
        train_t, val_t = ((y - mean) / std for y in (train_y, val_y))  # the loss sees a target of scale 1
        weights = np.ones(1, dtype=np.float32)
    else:
        mean, std = 0.0, 1.0
        train_t, val_t = train_y, val_y
        # Balanced class weights, rows / (classes * rows of the class): every class carries the same total
        # weight in the loss, so a rare class is not learnt as "never".
        counts = np.bincount(train_y, minlength=len(classes)).astype(np.float64)
        weights = (len(train_y) / (len(classes) * np.maximum(counts, 1))).astype(np.float32)

    keras.utils.set_random_seed(config.seed)
    global_batch = config.batch_size_per_replica * strategy.num_replicas_in_sync
    train_data = strategy.experimental_distribute_dataset(
        _pipeline(
            train_x,
            train_t.astype(np.float32 if REGRESSION else np.int32),
            global_batch,
            training=True,
            seed=config.seed,
        )
    )
    val_data = strategy.experimental_distribute_dataset(
        _pipeline(
            val_x, val_t.astype(np.float32 if REGRESSION else np.int32), global_batch, training=False, seed=config.seed
        )
    )
    with strategy.scope():  # variables (and lookup tables) created here are mirrored on every replica
        model = build_model(
            train_x, vocabularies, 1 if REGRESSION else len(classes), config.hidden_units, config.dropout
        )
        optimizer = keras.optimizers.Adam(config.learning_rate)
        optimizer.build(model.trainable_variables)
        class_weights = tf.constant(weights)

    moved_aside = move_aside(config.artifacts_dir, config.checkpoint_dir, config.log_dir)
    if moved_aside:
        log.info("fresh run: the previous run's checkpoints and logs are now in %s", moved_aside)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, str(config.checkpoint_dir), max_to_keep=1)

    def per_example_loss(inputs: Any, y: tf.Tensor, training: bool) -> tf.Tensor:
        output = model(list(inputs), training=training)
        if REGRESSION:
            return tf.square(output[:, 0] - y)
        per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=output)
        return per_example * tf.gather(class_weights, y)

    def replica_train_step(inputs: Any, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            per_example = per_example_loss(inputs, y, True)
            # Divide by the GLOBAL batch size: the replicas' gradients are summed, not averaged.
            loss = tf.nn.compute_average_loss(per_example)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return tf.stack([tf.reduce_sum(per_example), tf.cast(tf.size(y), tf.float32)])

    def replica_eval_step(inputs: Any, y: tf.Tensor) -> tf.Tensor:
        per_example = per_example_loss(inputs, y, False)
        return tf.stack([tf.reduce_sum(per_example), tf.cast(tf.size(y), tf.float32)])

    # One tf.function per epoch: the loop over the batches runs in the graph too, so a small table does
    # not pay Python's overhead per step; strategy.run executes each step on every replica.
    @tf.function
    def train_epoch(dataset: Any) -> tf.Tensor:
        totals = tf.zeros(2)
        for batch in dataset:
            totals += strategy.reduce(
                tf.distribute.ReduceOp.SUM, strategy.run(replica_train_step, args=batch), axis=None
            )
        return totals

    @tf.function
    def eval_epoch(dataset: Any) -> tf.Tensor:
        totals = tf.zeros(2)
        for batch in dataset:
            totals += strategy.reduce(
                tf.distribute.ReduceOp.SUM, strategy.run(replica_eval_step, args=batch), axis=None
            )
        return totals

    writers = {name: tf.summary.create_file_writer(str(config.log_dir / name)) for name in ("train", "validation")}
    log.info(
        "strategy: %s; global batch %d; at most %d epochs, patience %d",
        describe(strategy),
        global_batch,
        config.epochs,
        config.patience,
    )
    history: list[EpochMetrics] = []
    best_loss, best_epoch = float("inf"), 0
    for number in range(1, config.epochs + 1):
        with warnings.catch_warnings():
            # tf.data warns whenever a distributed dataset is iterated inside tf.function; it concerns
            # reading options back in graph mode, which this loop never does.
            warnings.filterwarnings("ignore", message="To make it possible to preserve tf.data options")
            train_loss, val_loss = _mean(train_epoch(train_data)), _mean(eval_epoch(val_data))
        if not np.isfinite(train_loss):
            raise DataError(f"training diverged at epoch {number} (loss {train_loss}); lower --learning-rate")
        for name, loss in (("train", train_loss), ("validation", val_loss)):
            with writers[name].as_default(step=number):
                tf.summary.scalar("loss", loss)
        history.append(EpochMetrics(number, train_loss, val_loss))
        improved = val_loss < best_loss - 1e-6
        if improved:
            best_loss, best_epoch = val_loss, number
            manager.save(checkpoint_number=number)  # only the best is kept (max_to_keep=1)
        log.debug("epoch %d: loss %.4f val_loss %.4f%s", number, train_loss, val_loss, " *" if improved else "")
        if number % 10 == 0 or number == 1:
            log.info(
                "epoch %d/%d: loss %.4f | val_loss %.4f (best %.4f at epoch %d)",
                number,
                config.epochs,
                train_loss,
                val_loss,
                best_loss,
                best_epoch,
            )
        if number - best_epoch >= config.patience:
            log.info("early stop after epoch %d: no better val_loss for %d epochs", number, config.patience)
            break
    for writer in writers.values():
        writer.flush()
    checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    log.info("restored the best weights: epoch %d (val_loss %.4f)", best_epoch, best_loss)

    # Scored once, after training: nothing above looked at these rows.
    output = predict_raw(model, test_x)
    if REGRESSION:
        held_out = regression_scores(test_y, output[:, 0] * std + mean)
    else:
        held_out = classification_scores(test_y, output.argmax(axis=1), len(classes))
    for name, value in held_out.items():
        log.info("test %s: %.4f (%d held-out rows)", name, value, len(test_y))
    metrics = {
        **held_out,
        "val_loss": best_loss,
        "epochs": len(history),
        "best_epoch": best_epoch,
        "rows_train": len(train_y),
        "rows_validation": len(val_y),
        "rows_test": len(test_y),
        "rows_unlabelled": prepared.unlabelled,
        "values_coerced": sum(features.coerced.values()),
    }
    rows = [[int(prepared.rows[i]) for i in p] for p in parts]
    metadata = {
        "task": TASK,
        "settings": config.run_settings(),
        "schema": schema.to_json(),
        "vocabularies": dict(zip(schema.categorical, vocabularies, strict=True)),
        "target_scale": {"mean": mean, "std": std},
        "source": {"path": str(config.data.resolve()), "fingerprint": fingerprint(config.data), "rows": len(table)},
        # Positions in the file (0 = first data row): `evaluate` without --data scores the test rows.
        "splits": dict(zip(("train", "validation", "test"), rows, strict=True)),
        "best_epoch": best_epoch,
        "test": held_out,
    }
    write_json(config.checkpoint_dir / METADATA, metadata)
    export_path = export_saved_model(
        model, schema, classes, (mean, std), config.export_dir, {**metadata, "checkpoint": manager.latest_checkpoint}
    )
    write_metrics(config.metrics_path, metrics)
    log.info("SavedModel: %s; metrics: %s (%.1fs)", export_path, config.metrics_path, time.perf_counter() - started)
    return TrainResult(describe(strategy), tuple(history), best_epoch, export_path, classes, metrics)


def _mean(totals: tf.Tensor) -> float:
    """[loss sum, examples] -> the mean loss over the epoch's examples."""
    loss_sum, count = (float(x) for x in totals.numpy())
    return loss_sum / count
