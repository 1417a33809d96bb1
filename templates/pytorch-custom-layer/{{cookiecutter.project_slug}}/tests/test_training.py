"""Short real training runs on the CPU: the loss falls, evaluation is honest, resume continues the same run."""

import json
import math
import sys

import pytest
import torch

from {{ cookiecutter.package_name }} import checkpoint
from {{ cookiecutter.package_name }} import (
    train as train_module,
)
from {{ cookiecutter.package_name }}.config import (
    TrainConfig,
)
from {{ cookiecutter.package_name }}.evaluate import (
    evaluate_model,
    load_model,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)
from {{ cookiecutter.package_name }}.train import (
    configure,
    cosine_lr,
    train,
)

# These runs train classifiers on the synthetic spirals, in a regression project too.
pytestmark = pytest.mark.usefixtures("as_classifier")


def _cfg(tmp_path, **overrides):
    base = {
        "data": None,
        "target": "label",
        "out_dir": str(tmp_path / "run"),
        "epochs": 6,
        "width": 32,
        "depth": 2,
        "device": "cpu",
        "amp": "off",
    }
    return TrainConfig(**{**base, **overrides})


def test_training_lowers_the_loss_and_scores_the_test_rows(tmp_path):
    result = train(_cfg(tmp_path, epochs=8, batch_size=64))
    first, last = result.history[0], result.history[-1]
    assert last.train_loss < 0.7 * first.train_loss
    assert last.val_loss < first.val_loss
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.6  # three classes: chance is 0.33
    assert metrics["rows_test"] == 600
    assert metrics["rows_val"] == 480
    assert metrics["rows_train"] == 1920
    assert json.loads((tmp_path / "run" / "history.json").read_text())[-1]["epoch"] == 7


def test_test_rows_are_never_trained_on_nor_used_to_choose_the_model(tmp_path):
    result = train(_cfg(tmp_path, epochs=2))
    state = checkpoint.load(result.checkpoint)
    train_ids, val_ids, test_ids = (set(state["split"][k]) for k in ("train", "val", "test"))
    assert not (test_ids & train_ids)
    assert not (test_ids & val_ids)
    assert not (train_ids & val_ids)
    schema = json.loads((tmp_path / "run" / "schema.json").read_text())
    assert set(schema["held_out_test_rows"]) == test_ids
    assert schema["features"] == ["x1", "x2"]
    # evaluate without --data scores exactly those rows, with the number train reported.
    scores = evaluate_model(result.checkpoint, device="cpu")
    assert scores["rows"] == len(test_ids)
    assert scores["accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert scores["f1_macro"] == pytest.approx(result.metrics["f1_macro"])


def test_best_checkpoint_and_early_stopping_follow_the_validation_loss(tmp_path, monkeypatch):
    val_losses = iter([0.9, 0.5, 0.6, 0.7, 0.8, 0.9])
    real_score = train_module.score

    def fake_score(model, loader, device, amp_dtype, schema):
        loss, scores = real_score(model, loader, device, amp_dtype, schema)
        # Validation calls come once per epoch; the final test scoring happens after the loop.
        return (next(val_losses, loss), scores)

    monkeypatch.setattr(train_module, "score", fake_score)
    result = train(_cfg(tmp_path, epochs=6, patience=2))
    assert [m.epoch for m in result.history] == [0, 1, 2, 3]  # two epochs without improvement, then stop
    assert result.best_epoch == 1
    assert checkpoint.load(result.checkpoint)["epoch"] == 1
    assert result.metrics["best_epoch"] == 2
    assert result.metrics["val_loss"] == 0.5


def test_same_seed_same_result(tmp_path):
    a = train(_cfg(tmp_path / "a", epochs=2))
    b = train(_cfg(tmp_path / "b", epochs=2))
    assert [m.val_loss for m in a.history] == [m.val_loss for m in b.history]


def test_loss_stays_on_the_device_and_the_logged_grad_norm_is_the_epoch_mean(tmp_path, monkeypatch):
    norms, reads = [], []
    real_clip, real_item, real_tolist = torch.nn.utils.clip_grad_norm_, torch.Tensor.item, torch.Tensor.tolist

    def clip(parameters, max_norm, *args, **kwargs):
        norm = real_clip(parameters, max_norm, *args, **kwargs)
        norms.append(float(real_item(norm)))
        return norm

    # Count the training loop's own reads (torch's optimizers read their CPU step counters, which costs no
    # GPU sync), from the first optimizer step on: loading and splitting the data happen before it.
    def item(self):
        if norms and sys._getframe(1).f_globals["__name__"] == train_module.__name__:
            reads.append("item")
        return real_item(self)

    def tolist(self):
        if norms and sys._getframe(1).f_globals["__name__"] == train_module.__name__:
            reads.append("tolist")
        return real_tolist(self)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", clip)
    monkeypatch.setattr(torch.Tensor, "item", item)
    monkeypatch.setattr(torch.Tensor, "tolist", tolist)
    result = train(_cfg(tmp_path, epochs=1, batch_size=32))
    steps = len(norms)
    assert steps == 60  # 1920 training rows in batches of 32
    # A handful of reads per epoch (the epoch's sums, validation, test scoring), not one per step.
    assert len(reads) < 10, reads
    assert result.history[0].grad_norm == pytest.approx(sum(norms) / steps, rel=1e-6)
    assert result.history[0].grad_norm != pytest.approx(norms[-1], rel=1e-3)


def test_resume_after_a_crash_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    straight = train(_cfg(tmp_path / "straight", epochs=4))

    real_save, saves = checkpoint.save, []

    def save_then_crash(path, **state):
        real_save(path, **state)
        saves.append(path.name)
        if saves.count("last.pt") == 2:
            raise KeyboardInterrupt("simulated crash after epoch 2")

    monkeypatch.setattr(checkpoint, "save", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path / "crashed", epochs=4))
    monkeypatch.setattr(checkpoint, "save", real_save)

    cfg, state = configure({"out_dir": str(tmp_path / "crashed" / "run")}, None, resume=True)
    resumed = train(cfg, state)
    assert [m.epoch for m in resumed.history] == [0, 1, 2, 3]
    # Restored weights, optimizer moments, schedule and per-epoch data order: the same end point.
    assert resumed.history[-1].val_loss == pytest.approx(straight.history[-1].val_loss, rel=1e-4)
    assert resumed.metrics["accuracy"] == pytest.approx(straight.metrics["accuracy"])


def test_resume_keeps_the_saved_split_and_settings_not_the_config_file(tmp_path, monkeypatch):
    out = tmp_path / "run"
    first = train(_cfg(tmp_path, epochs=1, seed=3, val_fraction=0.3, lr=0.01))
    monkeypatch.chdir(tmp_path)
    # A config.toml that disagrees with the saved run: --resume must not re-split or relearn with it.
    (tmp_path / "config.toml").write_text("[train]\nseed = 7\nval_fraction = 0.1\nlr = 0.5\n")
    cfg, state = configure({"out_dir": str(out), "epochs": 2}, None, resume=True)
    assert (cfg.seed, cfg.val_fraction, cfg.lr, cfg.epochs) == (3, 0.3, 0.01, 2)
    resumed = train(cfg, state)
    before, after = checkpoint.load(first.checkpoint), checkpoint.load(out / "last.pt")
    assert after["split"] == before["split"]
    assert resumed.history[1].lr == pytest.approx(cosine_lr(0.01, 1, 2))


def test_resume_finds_the_run_in_the_out_dir_of_the_settings_file(tmp_path, monkeypatch):
    train(_cfg(tmp_path, epochs=1))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[train]\nout_dir = "run"\nlr = 0.5\n')
    cfg, state = configure({"epochs": 2}, None, resume=True)
    assert (cfg.out_dir, cfg.lr, state["epoch"]) == (str(tmp_path / "run"), 3e-3, 0)


def test_resume_refuses_conflicting_flags_and_says_when_there_is_nothing(tmp_path):
    out = str(tmp_path / "run")
    with pytest.raises(DataError, match="nothing to resume"):
        configure({"out_dir": out}, None, resume=True)
    train(_cfg(tmp_path, epochs=1))
    with pytest.raises(DataError, match=r"conflict with it: lr 0\.1 \(saved: 0\.003\)"):
        configure({"out_dir": out, "lr": 0.1}, None, resume=True)
    with pytest.raises(DataError, match="seed 5"):
        configure({"out_dir": out, "seed": 5}, None, resume=True)
    cfg, _ = configure({"out_dir": out, "epochs": 3, "device": "cpu"}, None, resume=True)
    assert cfg.epochs == 3


def test_resume_with_more_epochs_follows_the_longer_schedule(tmp_path):
    train(_cfg(tmp_path, epochs=2))
    cfg, state = configure({"out_dir": str(tmp_path / "run"), "epochs": 4}, None, resume=True)
    resumed = train(cfg, state)
    assert [round(m.lr, 6) for m in resumed.history[2:]] == [round(cosine_lr(3e-3, e, 4), 6) for e in (2, 3)]
    assert resumed.history[2].lr > 0
    assert not math.isclose(resumed.history[2].lr, 0)


def test_bfloat16_autocast_on_cpu_trains(tmp_path):
    result = train(_cfg(tmp_path, epochs=3, amp="on"))
    assert result.amp_dtype == "torch.bfloat16"
    assert result.history[-1].train_loss < result.history[0].train_loss


def test_the_model_file_carries_what_it_was_trained_on(tmp_path, table_csv):
    result = train(_cfg(tmp_path, data=str(table_csv), target="species", epochs=2, batch_size=16))
    state, _, schema, cfg = load_model(result.checkpoint)
    assert schema.features == ("x1", "x2", "noise")
    assert schema.class_names == ("lily", "rose", "tulip")
    assert cfg.target == "species"
    assert len(state["data_fingerprint"]) == 64
    assert sorted(state["split"]["train"] + state["split"]["val"] + state["split"]["test"]) == list(range(120))
