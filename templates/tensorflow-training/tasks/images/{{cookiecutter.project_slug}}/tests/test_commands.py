"""The commands as a user runs them (``cli.main``): evaluate, predict, settings, and every bad input
answered with one line and exit status 2, nothing written."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    TrainConfig,
    load_config,
)
from {{ cookiecutter.package_name }}.data import (
    SYNTHETIC_CLASSES,
    scan_image_folder,
    write_synthetic_folder,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)
from {{ cookiecutter.package_name }}.train import (
    TrainResult,
)


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


def test_evaluate_scores_the_saved_held_out_images(
    folder_config: TrainConfig, folder_trained: TrainResult, tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    assert main(["evaluate", "--model", str(folder_trained.export_path), "--artifacts-dir", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    # The same images and the same model as train's own held-out score.
    assert metrics["images"] == folder_trained.metrics["test_images"]
    assert metrics["accuracy"] == pytest.approx(folder_trained.metrics["accuracy"])


def test_evaluate_data_maps_labels_through_the_models_classes(trained: TrainResult, tmp_path: Path) -> None:
    data = write_synthetic_folder(tmp_path / "holdout", 90, seed=321)
    shutil.rmtree(data / "diagonal")  # a holdout lacking the first class: ids must not shift
    out = tmp_path / "scores"
    assert (
        main(["evaluate", "--data", str(data), "--model", str(trained.export_path), "--artifacts-dir", str(out)]) == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["images"] == sum(1 for _ in data.rglob("*.png"))
    assert metrics["accuracy"] > 0.9  # with ids from the folder's own sorted names it would be near 0


def test_evaluate_refuses_classes_the_model_never_saw(trained: TrainResult, tmp_path: Path, capsys) -> None:
    data = write_synthetic_folder(tmp_path / "other", 30, class_names=("diagonal", "horizontal", "spiral"))
    assert (
        main(
            [
                "evaluate",
                "--data",
                str(data),
                "--model",
                str(trained.export_path),
                "--artifacts-dir",
                str(tmp_path / "scores"),
            ]
        )
        == 2
    )
    assert "classes the model was not trained on: ['spiral']" in _error_line(capsys)
    assert not (tmp_path / "scores").exists()


def test_predict_writes_class_names_and_probabilities(artifacts: Path, trained: TrainResult, tmp_path: Path) -> None:
    data = write_synthetic_folder(tmp_path / "new", 45, seed=99)
    output = tmp_path / "out" / "predictions.csv"

    assert main(["predict", "--data", str(data), "--output", str(output), "--artifacts-dir", str(artifacts)]) == 0

    rows = list(csv.DictReader(output.open()))
    assert len(rows) == 45
    assert list(rows[0]) == ["path", "prediction", *(f"probability_{name}" for name in trained.class_names)]
    truth = [Path(row["path"]).parent.name for row in rows]
    assert np.mean([row["prediction"] == true for row, true in zip(rows, truth, strict=True)]) > 0.9
    sums = [sum(float(row[f"probability_{name}"]) for name in trained.class_names) for row in rows]
    np.testing.assert_allclose(sums, 1.0, atol=1e-4)

    one = next((data / "vertical").glob("*.png"))
    assert main(["predict", "--data", str(one), "--artifacts-dir", str(artifacts)]) == 0
    default_output = artifacts / "predictions.csv"  # without --output
    assert [row["path"] for row in csv.DictReader(default_output.open())] == [str(one)]


@pytest.mark.parametrize("where", ["the input file", "inside the input folder", "inside the training data"])
def test_predict_never_overwrites_or_pollutes_its_input(
    folder_config: TrainConfig, folder_trained: TrainResult, tmp_path: Path, capsys, where: str
) -> None:
    data = write_synthetic_folder(tmp_path / "new", 9)
    image = next((data / "vertical").glob("*.png"))
    before = image.read_bytes()
    output = {
        "the input file": image,
        "inside the input folder": data / "predictions.csv",
        "inside the training data": folder_config.data_dir / "predictions.csv",
    }[where]
    source = image if where == "the input file" else data
    assert (
        main(["predict", "--data", str(source), "--output", str(output), "--model", str(folder_trained.export_path)])
        == 2
    )
    assert "error: " in _error_line(capsys)
    assert image.read_bytes() == before
    assert where == "the input file" or not output.exists()


def test_a_corrupt_or_missing_model_is_one_line(artifacts: Path, trained: TrainResult, tmp_path: Path, capsys) -> None:
    model = tmp_path / "model"
    shutil.copytree(trained.export_path, model)
    (model / "saved_model.pb").write_bytes(b"not a protobuf at all")
    assert main(["evaluate", "--model", str(model), "--artifacts-dir", str(tmp_path)]) == 2
    assert "not a loadable SavedModel" in _error_line(capsys)

    shutil.copytree(trained.export_path, model, dirs_exist_ok=True)
    (model / "metadata.json").unlink()
    assert main(["predict", "--data", str(tmp_path), "--model", str(model)]) == 2
    assert "metadata.json: missing or unreadable" in _error_line(capsys)

    assert main(["evaluate", "--artifacts-dir", str(tmp_path / "empty")]) == 2
    assert "no SavedModel under" in _error_line(capsys)
    assert not (tmp_path / "empty").exists()


def _single_class(root: Path) -> None:
    write_synthetic_folder(root, 9)
    for name in ("diagonal", "horizontal"):
        shutil.rmtree(root / name)


def _corrupt(root: Path) -> None:
    write_synthetic_folder(root, 9)
    next((root / "vertical").glob("*.png")).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)


def _non_image(root: Path) -> None:
    write_synthetic_folder(root, 9)
    (root / "vertical" / "labels.csv").write_text("a,b\n")


def _empty(root: Path) -> None:
    root.mkdir()


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (_single_class, "at least two; found ['vertical']"),
        (_corrupt, "cannot decode this image"),
        (_non_image, "labels.csv: not an image file"),
        (_empty, "at least two; found []"),
    ],
)
def test_train_on_bad_images_is_one_line_exit_2_nothing_written(tmp_path: Path, capsys, arrange, message: str) -> None:
    data = tmp_path / "images"
    arrange(data)
    artifacts = tmp_path / "artifacts"
    assert main(["train", "--data", str(data), "--artifacts-dir", str(artifacts), "--epochs", "1"]) == 2
    assert message in _error_line(capsys)
    assert not artifacts.exists()


def test_settings_come_from_toml_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    settings = tmp_path / "config.toml"
    settings.write_text("[train]\nepochs = 9\nlearning_rate = 0.01\n")
    config = load_config(settings, {"epochs": 2, "seed": None})
    assert (config.epochs, config.learning_rate, config.seed) == (2, 0.01, TrainConfig().seed)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "config.toml").write_text("[train]\nepochs = 9\n")
    monkeypatch.chdir(tmp_path / "project")
    assert load_config().epochs == 9  # config.toml of the folder the command runs in

    for text, message in [
        ("[train]\nepochs = 'many'\n", "[train] epochs must be an integer"),
        ("[train]\nepoch = 3\n", "unknown settings ['epoch']"),
        ("[train]\ntest_fraction = 0.9\n", "test_fraction must be between 0 and 0.5"),
    ]:
        settings.write_text(text)
        with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
            load_config(settings)
    assert main(["train", "--config", str(settings), "--artifacts-dir", str(tmp_path / "a")]) == 2
    assert "test_fraction must be between" in _error_line(capsys)
    assert main(["train", "--epochs", "0", "--artifacts-dir", str(tmp_path / "a")]) == 2
    assert _error_line(capsys) == "error: --epochs must be at least 1, not 0"
    assert not (tmp_path / "a").exists()


def test_a_bad_flag_is_one_line_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--epochs", "many"])
    assert exit_.value.code == 2
    assert "invalid int value: 'many'" in _error_line(capsys)


def test_resume_uses_the_checkpoints_settings_and_refuses_contrary_flags(
    config: TrainConfig, trained: TrainResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    artifacts = tmp_path / "artifacts"
    shutil.copytree(config.checkpoint_dir, artifacts / "checkpoints")
    monkeypatch.chdir(tmp_path)
    # config.toml is what a fresh `train` reads; a resumed run keeps the checkpoint's settings.
    (tmp_path / "config.toml").write_text("[train]\nlearning_rate = 0.5\nnum_examples = 600\n")

    assert main(["train", "--resume", "--epochs", str(config.epochs + 1), "--artifacts-dir", str(artifacts)]) == 0
    metrics = json.loads((artifacts / "metrics.json").read_text())
    assert metrics["epochs"] == config.epochs + 1
    assert metrics["accuracy"] > 0.9  # lr 0.5 would have wrecked the weights
    assert metrics["test_images"] == trained.metrics["test_images"]  # the same 1536 images, the same split

    assert (
        main(["train", "--resume", "--learning-rate", "0.1", "--epochs", "9", "--artifacts-dir", str(artifacts)]) == 2
    )
    assert "--learning-rate 0.1 conflicts with the checkpoint's 0.003" in _error_line(capsys)


def test_make_data_writes_an_image_folder_train_reads(tmp_path: Path) -> None:
    assert main(["make-data", str(tmp_path / "data"), "--num-examples", "30"]) == 0
    folder = scan_image_folder(tmp_path / "data")
    assert folder.class_names == SYNTHETIC_CLASSES
    assert len(folder.paths) == 30


def test_make_data_never_writes_into_a_folder_with_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["make-data", str(tmp_path)]) == 2
    assert "not an empty folder" in _error_line(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
