"""The training job: it learns, scores a held-out split, resumes only when asked and only the run it
belongs to, starts fresh otherwise, logs summaries and exports a model whose serving signature
answers when reloaded."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.config import (
    TrainConfig,
)
from {{ cookiecutter.package_name }}.data import (
    synthetic_images,
    write_synthetic_folder,
)
from {{ cookiecutter.package_name }}.export import (
    Predictor,
)
from {{ cookiecutter.package_name }}.runs import (
    latest_export,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)
from {{ cookiecutter.package_name }}.train import (
    TrainResult,
    train,
)


def test_training_lowers_the_loss_and_learns(trained: TrainResult) -> None:
    losses = [epoch.train_loss for epoch in trained.history]
    assert len(losses) == 3
    assert trained.start_epoch == 0
    assert losses[-1] < 0.7 * losses[0]
    assert trained.history[-1].val_accuracy > 0.9  # three classes: chance is 1/3


def test_the_held_out_score_is_on_images_training_never_saw(config: TrainConfig, trained: TrainResult) -> None:
    metrics = json.loads(config.metrics_path.read_text())
    assert metrics == pytest.approx(trained.metrics)
    assert metrics["accuracy"] > 0.9
    splits = json.loads((trained.export_path / "metadata.json").read_text())["splits"]
    train_ids, val_ids, test_ids = (set(splits[name]) for name in ("train", "validation", "test"))
    assert not (test_ids & train_ids)
    assert not (test_ids & val_ids)
    assert not (train_ids & val_ids)
    assert metrics["test_images"] == len(test_ids) == round(config.num_examples * config.test_fraction)


def _copy_run(config: TrainConfig, tmp_path: Path, **changes: object) -> TrainConfig:
    copied = replace(config, artifacts_dir=tmp_path / "artifacts", **changes)
    shutil.copytree(config.checkpoint_dir, copied.checkpoint_dir)
    return copied


def test_training_resumes_from_the_latest_checkpoint(config: TrainConfig, trained: TrainResult, tmp_path: Path) -> None:
    resumed_config = _copy_run(config, tmp_path, epochs=config.epochs + 1)

    resumed = train(resumed_config, resume=True)

    assert resumed.start_epoch == config.epochs
    assert [epoch.epoch for epoch in resumed.history] == [config.epochs + 1]
    # Restored weights: the extra epoch starts where the first run ended, not from scratch.
    assert resumed.history[0].train_loss < trained.history[0].train_loss / 2
    assert resumed.checkpoint is not None
    assert resumed.checkpoint.endswith(f"ckpt-{config.epochs + 1}")


def test_a_rerun_on_other_data_starts_fresh_and_keeps_the_old_run(
    config: TrainConfig, trained: TrainResult, tmp_path: Path
) -> None:
    # The README's path: `train` on synthetic data, then `train --data` on the user's 3 classes.
    rerun = _copy_run(
        config,
        tmp_path,
        epochs=1,
        data_dir=write_synthetic_folder(tmp_path / "mine", 60, class_names=("circle", "cross", "square")),
    )
    old_files = sorted(p.name for p in config.checkpoint_dir.iterdir())

    result = train(rerun)

    assert result.start_epoch == 0
    assert [epoch.epoch for epoch in result.history] == [1]
    assert result.class_names == ("circle", "cross", "square")
    assert result.moved_aside == rerun.artifacts_dir / "previous-1"
    assert sorted(p.name for p in (result.moved_aside / "checkpoints").iterdir()) == old_files  # nothing deleted
    assert json.loads((rerun.checkpoint_dir / "metadata.json").read_text())["class_names"] == list(result.class_names)


def test_resume_with_nothing_to_resume_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothing to resume: no checkpoint"):
        train(TrainConfig(artifacts_dir=tmp_path), resume=True)
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"learning_rate": 0.01}, "--learning-rate 0.01 conflicts with the checkpoint's 0.003"),
        ({"image_size": 24}, "--image-size 24 conflicts with the checkpoint's 16"),
        ({"channels": 3}, "--channels 3 conflicts"),
        ({"seed": 8}, "--seed 8 conflicts"),
        ({}, "nothing to resume: the checkpoint has 3 of --epochs 3 done"),
    ],
)
def test_resume_refuses_other_settings(
    config: TrainConfig, trained: TrainResult, tmp_path: Path, changes: dict, message: str
) -> None:
    copied = _copy_run(config, tmp_path, **changes)
    with pytest.raises(DataError, match=message):
        train(copied, resume=True)
    assert not copied.export_dir.exists()


def test_resume_refuses_other_data(config: TrainConfig, trained: TrainResult, tmp_path: Path) -> None:
    other = write_synthetic_folder(tmp_path / "other", 30)
    copied = _copy_run(config, tmp_path, data_dir=other, epochs=4)
    with pytest.raises(DataError, match="--data .*other conflicts with the checkpoint's \\(synthetic images\\)"):
        train(copied, resume=True)


def test_resume_refuses_a_changed_folder_or_other_classes(tmp_path: Path) -> None:
    data = write_synthetic_folder(tmp_path / "images", 45)
    config = TrainConfig(data_dir=data, artifacts_dir=tmp_path / "artifacts", epochs=1)
    train(config)
    more = replace(config, epochs=2)

    extra = data / "vertical" / "extra.png"
    shutil.copy(next((data / "vertical").glob("*.png")), extra)
    with pytest.raises(DataError, match="changed since the checkpoint"):
        train(more, resume=True)
    extra.unlink()
    shutil.copytree(data / "vertical", data / "zigzag")
    with pytest.raises(DataError, match=r"missing \[\], unexpected \['zigzag'\]"):
        train(more, resume=True)
    shutil.rmtree(data / "zigzag")
    assert train(more, resume=True).start_epoch == 1  # the folder as it was: resumes


def test_resume_refuses_a_checkpoint_without_its_metadata(
    config: TrainConfig, trained: TrainResult, tmp_path: Path
) -> None:
    copied = _copy_run(config, tmp_path, epochs=4)
    (copied.checkpoint_dir / "metadata.json").unlink()
    with pytest.raises(DataError, match="what the checkpoint was trained on is unknown"):
        train(copied, resume=True)
    (copied.checkpoint_dir / "metadata.json").write_text('{"settings": [], "splits": 1, "source": 2, "class_names": 3}')
    with pytest.raises(DataError, match="metadata.json: missing or unreadable"):
        train(copied, resume=True)


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
    assert predictor.class_names == trained.class_names
    images, labels = synthetic_images(64, predictor.image_size, seed=123)
    outputs = predictor(images)

    assert outputs["probabilities"].shape == (64, len(trained.class_names))
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
    assert (outputs["class_id"] == labels).mean() > 0.9
    names = [name.decode() for name in outputs["class_name"]]
    assert names == [trained.class_names[i] for i in outputs["class_id"]]
