"""The training job: it learns, resumes from its checkpoint, logs summaries and exports a model
whose serving signature answers when reloaded."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.config import TrainConfig
from {{ cookiecutter.package_name }}.data import synthetic_images
from {{ cookiecutter.package_name }}.export import Predictor, latest_export
from {{ cookiecutter.package_name }}.train import TrainResult, train


def test_training_lowers_the_loss_and_learns(trained: TrainResult) -> None:
    losses = [epoch.train_loss for epoch in trained.history]
    assert len(losses) == 3 and trained.start_epoch == 0
    assert losses[-1] < 0.7 * losses[0]
    assert trained.history[-1].val_accuracy > 0.9  # three classes: chance is 1/3


def test_training_resumes_from_the_latest_checkpoint(config: TrainConfig, trained: TrainResult, tmp_path: Path) -> None:
    resumed_config = replace(config, artifacts_dir=tmp_path, epochs=config.epochs + 1)
    shutil.copytree(config.checkpoint_dir, resumed_config.checkpoint_dir)

    resumed = train(resumed_config, log=lambda message: None)

    assert resumed.start_epoch == config.epochs
    assert [epoch.epoch for epoch in resumed.history] == [config.epochs + 1]
    # Restored weights: the extra epoch starts where the first run ended, not from scratch.
    assert resumed.history[0].train_loss < trained.history[0].train_loss / 2
    assert resumed.checkpoint is not None and resumed.checkpoint.endswith(f"ckpt-{config.epochs + 1}")


def test_tensorboard_summaries_are_written(artifacts: Path) -> None:
    for split in ("train", "validation"):
        tags = set()
        for event_file in (artifacts / "logs" / split).glob("events.out.tfevents.*"):
            for event in tf.compat.v1.train.summary_iterator(str(event_file)):
                tags.update(value.tag for value in event.summary.value)
        assert {"loss", "accuracy"} <= tags, split


def test_saved_model_serving_signature_classifies(artifacts: Path, trained: TrainResult) -> None:
    path = latest_export(artifacts / "export")
    assert path == trained.export_path

    predictor = Predictor(path)  # a fresh load from disk, no Python model code involved
    images, labels = synthetic_images(64, predictor.image_size, seed=123)
    outputs = predictor(images)

    assert outputs["probabilities"].shape == (64, len(trained.class_names))
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
    assert (outputs["class_id"] == labels).mean() > 0.9
    names = [name.decode() for name in outputs["class_name"]]
    assert names == [trained.class_names[i] for i in outputs["class_id"]]
