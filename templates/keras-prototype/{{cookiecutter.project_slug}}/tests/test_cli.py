"""The commands end to end on a small config: train, evaluate, predict, experiment, resume, bad input."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import ARM_NAMES, write_arms, write_config

from {{ cookiecutter.package_name }} import (
    experiment as experiment_module,
)
from {{ cookiecutter.package_name }} import (
    train as train_module,
)
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    load_config,
)
from {{ cookiecutter.package_name }}.data import (
    load_training_table,
    split,
    training_dataset,
)
from {{ cookiecutter.package_name }}.train import (
    train,
)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    # Progress lines may come first (logging goes to stderr); the failure itself is one line, no traceback.
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in err, err
    for text in expected:
        assert text in errors[0], err
    return errors[0]


@dataclass
class Project:
    root: Path
    config: Path
    data: Path
    artifacts: Path
    metrics: dict[str, float]
    card: dict
    seen_by_fit: set[int]


def _spy_on_fit(monkeypatch: pytest.MonkeyPatch, module: object, seen: set[int]) -> None:
    """Record every source row that reaches model.fit, as training or as validation data."""
    real = train_module.fit

    def spy(config, train, validation, **kwargs):
        seen.update(train.rows.tolist(), validation.rows.tolist())
        return real(config, train, validation, **kwargs)

    monkeypatch.setattr(module, "fit", spy)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One training run on a user-style file (string labels, an id column), shared by the tests below."""
    root = tmp_path_factory.mktemp("project")
    config = write_config(root)
    data = write_arms(root / "arms.csv")
    seen: set[int] = set()
    with pytest.MonkeyPatch.context() as patch:
        _spy_on_fit(patch, train_module, seen)
        code = main(["--config", str(config), "train", "--data", str(data), "--target", "arm", "--drop", "id"])
    assert code == 0
    artifacts = root / "artifacts"
    metrics = json.loads((artifacts / "metrics.json").read_text())
    card = json.loads((artifacts / "model.json").read_text())
    return Project(root, config, data, artifacts, metrics, card, seen)


def test_train_writes_model_card_and_metrics(project: Project) -> None:
    names = {p.name for p in project.artifacts.iterdir()}
    assert {"model.keras", "model.json", "checkpoint.keras", "history.csv", "metrics.json", "test.csv"} <= names
    assert "backup" not in names  # a finished run leaves nothing to resume
    card = project.card
    assert card["features"] == ["x", "y"]
    assert card["feature_types"] == {"x": "numeric", "y": "numeric"}
    assert card["dropped"] == ["id"]
    assert card["target"] == "arm"
    assert card["classes"] == sorted(ARM_NAMES)
    assert len(card["data"]["fingerprint"]) == 64
    assert {"accuracy", "f1_macro", "loss", "val_accuracy", "val_loss"} <= set(project.metrics)
    # Three classes: chance is 1/3; even 12 epochs on 540 rows should beat it clearly.
    assert project.metrics["accuracy"] > 0.5


def test_reported_accuracy_is_on_test_rows_that_fit_never_saw(project: Project) -> None:
    split_rows = project.card["split"]
    test_rows = set(split_rows["test_rows"])
    assert test_rows
    assert not test_rows & project.seen_by_fit
    assert project.seen_by_fit == set(split_rows["train_rows"]) | set(split_rows["validation_rows"])
    # Score those rows independently of the project's own code: the reported accuracy must be theirs.
    rows = _read_csv(project.data)
    model = keras.saving.load_model(project.artifacts / "model.keras")
    held_out = [rows[i] for i in sorted(test_rows)]
    features = np.array([[float(r["x"]), float(r["y"])] for r in held_out], dtype="float32")
    predicted = np.asarray(model.predict({"numeric": features}, verbose=0)).argmax(axis=1)
    truth = [project.card["classes"].index(r["arm"]) for r in held_out]
    assert project.metrics["accuracy"] == pytest.approx(float(np.mean(predicted == truth)))
    assert project.metrics["test_rows"] == len(test_rows)


def test_evaluate_scores_the_saved_held_out_rows(project: Project) -> None:
    assert main(["--config", str(project.config), "evaluate"]) == 0
    metrics = json.loads((project.artifacts / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(project.metrics["accuracy"])
    assert metrics["rows"] == project.metrics["test_rows"]


def test_evaluate_data_maps_labels_through_the_saved_classes(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A holdout without one class and with its columns reordered: by position, every id would shift.
    held_out = [r for r in _read_csv(project.artifacts / "test.csv") if r["arm"] != "blue"]
    path = _write_csv(tmp_path / "holdout.csv", held_out, ["arm", "y", "x"])
    assert main(["--config", str(project.config), "evaluate", "--data", str(path)]) == 0
    metrics = json.loads((project.artifacts / "metrics.json").read_text())
    model = keras.saving.load_model(project.artifacts / "model.keras")
    features = np.array([[float(r["x"]), float(r["y"])] for r in held_out], dtype="float32")
    predicted = np.asarray(model.predict({"numeric": features}, verbose=0)).argmax(axis=1)
    truth = [project.card["classes"].index(r["arm"]) for r in held_out]
    assert metrics["accuracy"] == pytest.approx(float(np.mean(predicted == truth)))
    assert metrics["rows"] == len(held_out)

    unknown = _write_csv(tmp_path / "unknown.csv", [{**held_out[0], "arm": "purple"}], ["x", "y", "arm"])
    assert main(["--config", str(project.config), "evaluate", "--data", str(unknown)]) == 2
    _one_error_line(capsys, "'purple'", "not among the model's classes")


def test_predict_matches_columns_by_name_and_returns_label_values(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _read_csv(project.data)[:40]
    config = str(project.config)
    forward = _write_csv(tmp_path / "forward.csv", rows, ["x", "y"])
    backward = _write_csv(tmp_path / "backward.csv", rows, ["y", "id", "x", "arm"])
    out_forward, out_backward = tmp_path / "p1.csv", tmp_path / "p2.csv"
    assert main(["--config", config, "predict", "--data", str(forward), "--output", str(out_forward)]) == 0
    assert main(["--config", config, "predict", "--data", str(backward), "--output", str(out_backward)]) == 0
    assert out_forward.read_text() == out_backward.read_text()
    predictions = _read_csv(out_forward)
    assert len(predictions) == 40
    assert list(predictions[0]) == ["prediction", *(f"probability_{name}" for name in sorted(ARM_NAMES))]
    assert {p["prediction"] for p in predictions} <= set(ARM_NAMES)
    for p in predictions:
        probs = [float(p[f"probability_{name}"]) for name in sorted(ARM_NAMES)]
        assert sum(probs) == pytest.approx(1.0, abs=1e-4)
        assert p["prediction"] == sorted(ARM_NAMES)[int(np.argmax(probs))]

    assert main(["--config", config, "predict", "--data", str(forward)]) == 0
    assert (project.artifacts / "predictions.csv").read_text() == out_forward.read_text()

    missing = _write_csv(tmp_path / "missing.csv", rows, ["x"])
    assert main(["--config", config, "predict", "--data", str(missing), "--output", str(tmp_path / "o.csv")]) == 2
    _one_error_line(capsys, "missing y")
    extra = _write_csv(tmp_path / "extra.csv", [{**r, "colour": "1"} for r in rows], ["x", "y", "colour"])
    assert main(["--config", config, "predict", "--data", str(extra), "--output", str(tmp_path / "o.csv")]) == 2
    _one_error_line(capsys, "unexpected colour")
    assert not (tmp_path / "o.csv").exists()
    # --drop passes an id column through: ignored as a feature, copied into the output.
    with_id = _write_csv(
        tmp_path / "with_id.csv", [{**r, "colour": f"c{i}"} for i, r in enumerate(rows)], ["colour", "x", "y"]
    )
    out = tmp_path / "ids.csv"
    assert main(["--config", config, "predict", "--data", str(with_id), "--drop", "colour", "--output", str(out)]) == 0
    passed = _read_csv(out)
    assert [p["colour"] for p in passed] == [f"c{i}" for i in range(40)]
    assert [p["prediction"] for p in passed] == [p["prediction"] for p in predictions]


def test_predict_never_overwrites_data_and_reports_unwritable_output(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = str(project.config), str(project.data)
    before = project.data.read_bytes()
    copy = tmp_path / "copy.csv"
    shutil.copy(project.data, copy)
    for output in (data, str(copy)):
        assert main(["--config", config, "predict", "--data", str(copy), "--output", output]) == 2
        _one_error_line(capsys, "refusing to overwrite")
    assert project.data.read_bytes() == before
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["--config", config, "predict", "--data", str(copy), "--output", str(blocker / "p.csv")]) == 2
    _one_error_line(capsys, "cannot write here")


def test_bad_input_is_refused_before_keras_starts(project: Project, tmp_path: Path) -> None:
    # A refused file should cost a blink, not a backend start-up: the checks run before Keras is imported.
    bad = _write_csv(tmp_path / "bad.csv", _read_csv(project.data)[:5], ["x"])
    commands = [
        ["--config", str(project.config), "train", "--data", str(tmp_path / "missing.csv")],
        ["--config", str(project.config), "predict", "--data", str(bad), "--output", str(tmp_path / "o.csv")],
        ["--config", str(project.config), "evaluate", "--data", str(bad)],
    ]
    # A block string: the formatter leaves it as it is, whatever the length of the package's name.
    code = """
import sys
from {{ cookiecutter.package_name }}.cli import main
print(main(sys.argv[1:]), "keras" in sys.modules)
"""
    for argv in commands:
        result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
        assert result.stdout.split() == ["2", "False"], result.stderr


def test_corrupt_or_missing_model_is_one_line(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = tmp_path / "artifacts"
    shutil.copytree(project.artifacts, artifacts)
    (artifacts / "model.keras").write_bytes(b"not a zip file")
    config = str(project.config)
    assert main(["--config", config, "evaluate", "--model", str(artifacts / "model.keras")]) == 2
    _one_error_line(capsys, "not a readable Keras model")
    shutil.copy(project.artifacts / "model.keras", artifacts / "model.keras")
    (artifacts / "model.json").unlink()
    assert main(["--config", config, "evaluate", "--model", str(artifacts / "model.keras")]) == 2
    _one_error_line(capsys, "model card is missing")
    assert main(["--config", config, "evaluate", "--model", str(tmp_path / "none.keras")]) == 2
    _one_error_line(capsys, "no saved model")


def test_experiment_ranks_on_validation_and_never_sees_test_rows(
    config_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: set[int] = set()
    _spy_on_fit(monkeypatch, experiment_module, seen)
    assert main(["--config", str(config_path), "experiment"]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(table) == 4  # 2 learning rates x 2 layer shapes
    losses = [float(line.split()[4]) for line in table]
    assert losses == sorted(losses)
    assert (config_path.parent / "artifacts" / "experiments.csv").is_file()
    config = load_config(config_path)
    dataset = training_dataset(load_training_table(config.data)[0], "label")
    test = split(dataset, config.data.validation_split, config.data.test_split, config.data.seed)[2]
    assert seen
    assert not seen & set(test.rows.tolist())


class _Interrupt(keras.callbacks.Callback):
    """Stops a run the way Ctrl-C would, after ``epochs`` epochs have been backed up."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 == self.epochs:
            raise KeyboardInterrupt


def test_interrupted_run_resumes_where_it_stopped(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifacts = config_path.parent / "artifacts"
    config = str(config_path)
    assert main(["--config", config, "train", "--resume"]) == 2
    _one_error_line(capsys, "nothing to resume")

    with pytest.raises(KeyboardInterrupt):
        train(load_config(config_path), callbacks=[_Interrupt(epochs=2)])
    assert (artifacts / "backup").is_dir()
    assert not (artifacts / "model.keras").exists()
    assert [row["epoch"] for row in _read_csv(artifacts / "history.csv")] == ["0", "1"]

    assert main(["--config", config, "train", "--resume", "--epochs", "3", "--data", "other.csv"]) == 2
    _one_error_line(capsys, "drop --data, --epochs")
    assert main(["--config", config, "train", "--resume"]) == 0
    log = capsys.readouterr().err
    assert "resuming the interrupted run after epoch 2 of 12" in log
    assert "epoch 3/12" in log
    assert "epoch 1/12" not in log
    epochs = [int(row["epoch"]) for row in _read_csv(artifacts / "history.csv")]
    assert epochs == list(range(len(epochs)))
    assert len(epochs) > 2
    assert not (artifacts / "backup").exists()
    metrics = json.loads((artifacts / "metrics.json").read_text())
    assert metrics["epochs"] == len(epochs)
    # The saved model is the best validation epoch of the whole run, the epochs before the interruption included.
    best = min(float(row["val_loss"]) for row in _read_csv(artifacts / "history.csv"))
    assert metrics["val_loss"] == pytest.approx(best, rel=1e-3)
    assert main(["--config", config, "train", "--resume"]) == 2
    _one_error_line(capsys, "nothing to resume")


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        (None, "label", "data file not found"),
        (b"", "label", "is empty"),
        (b"x,label\n", "label", "no data rows"),
        (b"x,label\n1,\xe9\n", "label", "not UTF-8"),
        (b"x,kind\n1,a\n2,b\n", "label", "no column 'label'"),
        (b"x,label\n1,a\n2,a\n3,a\n", "label", "one class only"),
        (b"x,label\n1,a\n2,b\n3,a\n4,b\n", "label", "needs at least 3"),
        (b"x,label\n1,a\ninf,b\n", "label", "not a finite number"),
        (
            b"x,label\n1,1.5\n2,2\n",
            "label",
            "generate a regression project: scaffold new NAME --task tabular-regression",
        ),
    ],
)
def test_bad_data_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, target: str, message: str
) -> None:
    config = write_config(tmp_path)
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["--config", str(config), "train", "--data", str(path), "--target", target]) == 2
    _one_error_line(capsys, message)
    assert not (tmp_path / "artifacts").exists()


def test_options_override_config_and_a_plain_train_starts_afresh(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = config_path.parent / "artifacts" / "backup"
    stale.mkdir(parents=True)
    (stale / "training_metadata.json").write_text('{"epoch": 5, "batch": 0}')
    options = ["--epochs", "2", "--batch-size", "64", "--learning-rate", "0.05", "--seed", "3"]
    assert main(["--config", str(config_path), "train", *options]) == 0
    assert "discarding the backup of an interrupted run" in capsys.readouterr().err
    assert not stale.exists()
    saved = json.loads((config_path.parent / "artifacts" / "run.json").read_text())["config"]
    assert (saved["training"]["epochs"], saved["training"]["batch_size"]) == (2, 64)
    assert (saved["training"]["learning_rate"], saved["data"]["seed"]) == (0.05, 3)
    epochs = [row["epoch"] for row in _read_csv(config_path.parent / "artifacts" / "history.csv")]
    assert epochs == ["0", "1"]


def test_unwritable_artifacts_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = tmp_path / "config.toml"
    config.write_text(f'[training]\nartifacts_dir = "{blocker.name}/artifacts"\n')
    assert main(["--config", str(config), "train"]) == 2
    _one_error_line(capsys, "cannot write the artifacts here")


def test_bad_options_are_one_line(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "train", "--epochs", "many"]) == 2
    _one_error_line(capsys, "invalid int value")
    assert main(["--config", str(config_path.parent / "none.toml"), "train"]) == 2
    _one_error_line(capsys, "no such config file")
    assert main(["--help"]) == 0
    assert "check" in capsys.readouterr().out


def test_make_data_writes_what_train_reads(config_path: Path) -> None:
    data = config_path.parent / "spirals.csv"
    assert main(["--config", str(config_path), "make-data", str(data), "--samples", "90"]) == 0
    rows = _read_csv(data)
    assert len(rows) == 90
    assert list(rows[0]) == ["x", "y", "label"]
