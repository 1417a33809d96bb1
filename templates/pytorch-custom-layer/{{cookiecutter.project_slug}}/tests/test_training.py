"""Short real training runs on the CPU: the loss falls, runs are reproducible, checkpoints round-trip."""

import json

import pytest
import torch

from {{ cookiecutter.package_name }} import checkpoint
from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.evaluate import evaluate_checkpoint
from {{ cookiecutter.package_name }}.model import ResidualClassifier
from {{ cookiecutter.package_name }}.train import TrainConfig, train


def _cfg(tmp_path, **overrides):
    base = dict(out_dir=str(tmp_path / "run"), epochs=6, width=32, depth=2, device="cpu", amp="off")
    return TrainConfig(**{**base, **overrides})


def test_training_lowers_the_loss_and_learns(tmp_path):
    result = train(_cfg(tmp_path))
    first, last = result.history[0], result.history[-1]
    assert last.train_loss < 0.7 * first.train_loss
    assert last.val_loss < first.val_loss
    assert last.val_accuracy > 0.6  # three classes: chance is 0.33
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())[-1]["epoch"] == 5


def test_same_seed_same_result(tmp_path):
    a = train(_cfg(tmp_path / "a", epochs=2))
    b = train(_cfg(tmp_path / "b", epochs=2))
    assert [m.val_loss for m in a.history] == [m.val_loss for m in b.history]


def test_checkpoint_round_trip_restores_the_model(tmp_path):
    result = train(_cfg(tmp_path, epochs=2))
    state = checkpoint.load(result.checkpoint)
    model = ResidualClassifier(state["num_features"], len(state["class_names"]), width=32, depth=2)
    model.load_state_dict(state["model"])
    x = torch.randn(5, 2)
    fresh = ResidualClassifier(2, 3, width=32, depth=2)
    assert not torch.allclose(model(x), fresh(x))
    # The evaluation from the file reproduces the last epoch's validation metrics.
    scores = evaluate_checkpoint(result.checkpoint, device="cpu")
    assert scores["accuracy"] == pytest.approx(result.history[-1].val_accuracy)
    assert scores["loss"] == pytest.approx(result.history[-1].val_loss, rel=1e-5)


def test_resume_after_a_crash_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    straight = train(_cfg(tmp_path / "straight", epochs=4))

    real_save, saves = checkpoint.save, []

    def save_then_crash(path, **state):
        real_save(path, **state)
        saves.append(path)
        if len(saves) == 2:
            raise KeyboardInterrupt("simulated crash after epoch 2")

    monkeypatch.setattr(checkpoint, "save", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path / "crashed", epochs=4))
    monkeypatch.setattr(checkpoint, "save", real_save)

    resumed = train(_cfg(tmp_path / "crashed", epochs=4, resume="auto"))
    assert [m.epoch for m in resumed.history] == [0, 1, 2, 3]
    # Restored weights, optimizer moments, schedule and per-epoch data order: the same end point.
    assert resumed.history[-1].val_loss == pytest.approx(straight.history[-1].val_loss, rel=1e-4)


def test_bfloat16_autocast_on_cpu_trains(tmp_path):
    result = train(_cfg(tmp_path, epochs=3, amp="on"))
    assert result.amp_dtype == "torch.bfloat16"
    assert result.history[-1].train_loss < result.history[0].train_loss


def test_cli_trains_on_a_csv_and_evaluates_it(tmp_path, capsys):
    rows = ["x1,x2,label"] + [f"{i / 50:.3f},{(i % 7) / 7:.3f},{'big' if i > 50 else 'small'}" for i in range(100)]
    csv_path = tmp_path / "mine.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "cli"
    train_args = ["--data", str(csv_path), "--epochs", "30", "--batch-size", "16", "--out-dir", str(out)]
    assert main(["train", *train_args, "--device", "cpu"]) == 0
    assert main(["evaluate", "--checkpoint", str(out / "last.pt"), "--data", str(csv_path), "--device", "cpu"]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["samples"] == 100 and scores["accuracy"] > 0.8
