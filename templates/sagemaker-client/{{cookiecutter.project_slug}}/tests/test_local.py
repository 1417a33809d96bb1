"""The training script and the local commands on this machine: no AWS involved."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import (
    entry_point,
    jobs,
)
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    ConfigError,
    load_config,
)

from .conftest import PROJECT, ROLE, write_config

DATA = PROJECT / "data" / "wine.csv"
NAMES = {"0": "barolo", "1": "grignolino", "2": "barbera"}


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def named_wine(tmp_path: Path) -> Path:
    """The bundled table with the cultivars as words: labels that are text, not numbers."""
    rows = read_rows(DATA)
    for row in rows:
        row["cultivar"] = NAMES[row["cultivar"]]
    return write_rows(tmp_path / "named.csv", rows)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr's ``error:`` line; logging lines may come before it, never a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    return line


def test_train_command_learns_the_bundled_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert run(config, "train", "--model-dir", str(tmp_path / "model")) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # Three cultivars, 45 held-out rows: a scaled logistic regression separates them well;
    # guessing the majority class would score about 0.40.
    assert metrics["accuracy"] >= 0.9
    assert metrics["test_rows"] == 45
    assert "accuracy=" in capsys.readouterr().out
    schema = json.loads((tmp_path / "model" / entry_point.SCHEMA_FILE).read_text())
    assert schema["classes"] == ["0", "1", "2"]
    assert len(schema["features"]) == 13
    assert len(schema["heldout_ids"]) == 45
    assert schema["fingerprint"] == entry_point.fingerprint(DATA)


def test_command_line_overrides_the_settings_and_the_split_is_stratified(tmp_path: Path) -> None:
    config, model = write_config(tmp_path), tmp_path / "model"
    args = ["train", "--model-dir", str(model), "--seed", "3", "--test-size", "0.3", "--C", "0.5"]
    assert run(config, *args) == 0
    schema = json.loads((model / entry_point.SCHEMA_FILE).read_text())
    assert schema["hyperparameters"] == {"C": 0.5, "class_weight": "balanced", "test_size": 0.3, "seed": 3}
    labels = [row["cultivar"] for row in read_rows(DATA)]
    held_out = [labels[i] for i in schema["heldout_ids"]]
    for label in set(labels):  # each class keeps its share of the rows on the held-out side
        assert abs(held_out.count(label) - 0.3 * labels.count(label)) <= 1


def test_text_labels_train_evaluate_and_predict(
    tmp_path: Path, named_wine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, model = write_config(tmp_path), tmp_path / "model"
    assert run(config, "train", "--data", str(named_wine), "--target", "cultivar", "--model-dir", str(model)) == 0
    trained = json.loads((tmp_path / "metrics.json").read_text())
    assert trained["accuracy"] >= 0.9
    # evaluate alone scores exactly the held-out rows again, to the same figure.
    assert run(config, "evaluate", "--model-dir", str(model)) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["accuracy"] == trained["accuracy"]
    # Given the training file, evaluate still scores only the rows the model never saw.
    assert run(config, "evaluate", "--data", str(named_wine), "--model-dir", str(model)) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["rows"] == trained["test_rows"]

    out = tmp_path / "predictions.csv"
    assert run(config, "predict", "--data", str(named_wine), "--output", str(out), "--model-dir", str(model)) == 0
    predicted = read_rows(out)
    assert len(predicted) == 178
    assert {row["prediction"] for row in predicted} == set(NAMES.values())
    assert {f"proba_{name}" for name in NAMES.values()} <= set(predicted[0])
    right = sum(row["prediction"] == row["cultivar"] for row in predicted)
    assert right / len(predicted) >= 0.9
    capsys.readouterr()


def test_evaluate_data_maps_labels_through_the_models_classes(tmp_path: Path, named_wine: Path) -> None:
    """A holdout without one class, columns in another order: labels and features still line up by name."""
    config, model = write_config(tmp_path), tmp_path / "model"
    assert run(config, "train", "--data", str(named_wine), "--target", "cultivar", "--model-dir", str(model)) == 0
    rows = [row for row in read_rows(named_wine) if row["cultivar"] != "barolo"]
    columns = list(reversed(list(rows[0])))
    holdout = write_rows(tmp_path / "holdout.csv", rows, columns)
    assert run(config, "evaluate", "--data", str(holdout), "--model-dir", str(model)) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # Re-numbering labels from this file (sorted: barbera=0, grignolino=1) would score near 0.
    assert metrics["accuracy"] >= 0.9
    assert metrics["rows"] == len(rows)


def test_evaluate_refuses_labels_the_model_never_saw(
    tmp_path: Path, named_wine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, model = write_config(tmp_path), tmp_path / "model"
    assert run(config, "train", "--data", str(named_wine), "--model-dir", str(model)) == 0
    rows = read_rows(named_wine)
    rows[0]["cultivar"] = "nebbiolo"
    other = write_rows(tmp_path / "other.csv", rows)
    assert run(config, "evaluate", "--data", str(other), "--model-dir", str(model)) == 2
    assert "labels the model was not trained on: 'nebbiolo'" in one_error_line(capsys)


def test_parquet_table_trains(tmp_path: Path, named_wine: Path) -> None:
    rows = read_rows(named_wine)
    columns = {name: [float(r[name]) if name != "cultivar" else r[name] for r in rows] for name in rows[0]}
    pq.write_table(pa.table(columns), tmp_path / "wine.parquet")
    metrics = entry_point.train(tmp_path / "wine.parquet", "cultivar", tmp_path / "model")
    assert metrics["accuracy"] >= 0.9
    assert jobs.table_csv(tmp_path / "wine.parquet").decode().splitlines()[0] == ",".join(rows[0])


def test_evaluate_refuses_data_changed_since_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "wine.csv"
    data.write_bytes(DATA.read_bytes())
    config, model = write_config(tmp_path), tmp_path / "model"
    assert run(config, "train", "--data", str(data), "--model-dir", str(model)) == 0
    data.write_text(data.read_text().replace("14.23", "14.24", 1))
    assert run(config, "evaluate", "--model-dir", str(model)) == 2
    assert "changed since training" in one_error_line(capsys)


def test_predict_refuses_mismatched_columns_and_overwriting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, model = write_config(tmp_path), tmp_path / "model"
    assert run(config, "train", "--model-dir", str(model)) == 0
    rows = read_rows(DATA)
    for row in rows:
        row["colour"] = "red"
    odd = write_rows(tmp_path / "odd.csv", rows, [c for c in rows[0] if c != "proline"])
    assert (
        run(config, "predict", "--data", str(odd), "--output", str(tmp_path / "p.csv"), "--model-dir", str(model)) == 2
    )
    line = one_error_line(capsys)
    assert "missing proline" in line
    assert "unexpected colour" in line
    assert not (tmp_path / "p.csv").exists()
    # Neither the input nor the training data is ever overwritten.
    for output in (odd, DATA):
        before = output.read_bytes()
        assert run(config, "predict", "--data", str(odd), "--output", str(output), "--model-dir", str(model)) == 2
        assert "refusing to overwrite" in one_error_line(capsys)
        assert output.read_bytes() == before


def test_corrupt_model_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / entry_point.MODEL_FILE).write_bytes(b"not a pickle at all")
    assert run(write_config(tmp_path), "evaluate", "--model-dir", str(tmp_path / "model")) == 2
    assert "not a readable model" in one_error_line(capsys)


def _bad_tables(tmp: Path) -> list[tuple[str, Path, str]]:
    rows = read_rows(DATA)
    header = ",".join(rows[0])
    one_class = [dict(row, cultivar="1") for row in rows]
    lonely = [*[row for row in rows if row["cultivar"] != "2"], next(row for row in rows if row["cultivar"] == "2")]
    with_inf = [dict(row) for row in rows]
    with_inf[5]["ash"] = "inf"
    decimal_target = [dict(row, cultivar=f"{i % 7}.5") for i, row in enumerate(rows)]
    no_label = [dict(row) for row in rows]
    no_label[3]["cultivar"] = ""
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "header.csv").write_text(header + "\n")
    (tmp / "latin1.csv").write_bytes((header + "\n").encode() + "1,2,Ã©".encode("latin-1") + b"\xe9\n")
    (tmp / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    return [
        ("empty", tmp / "empty.csv", "the file is empty"),
        ("header only", tmp / "header.csv", "no data rows"),
        ("not UTF-8", tmp / "latin1.csv", "not UTF-8"),
        ("corrupt parquet", tmp / "broken.parquet", "not a readable Parquet file"),
        ("missing file", tmp / "nope.csv", "not found"),
        ("single class", write_rows(tmp / "one.csv", one_class), "single class"),
        ("a class of one row", write_rows(tmp / "lonely.csv", lonely), "classes with a single row"),
        ("too few rows", write_rows(tmp / "few.csv", rows[:2] + rows[59:61] + rows[130:132]), "too few"),
        ("infinity", write_rows(tmp / "inf.csv", with_inf), "infinite value"),
        ("decimal target", write_rows(tmp / "decimal.csv", decimal_target), "--task tabular-regression"),
        ("missing label", write_rows(tmp / "nolabel.csv", no_label), "have no 'cultivar' label"),
    ]


def test_bad_tables_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    for case, path, message in _bad_tables(tmp_path):
        model = tmp_path / f"model-{case}"
        assert run(config, "train", "--data", str(path), "--model-dir", str(model)) == 2, case
        line = one_error_line(capsys)
        assert message in line, (case, line)
        assert not (model / entry_point.MODEL_FILE).exists(), case
    assert run(config, "train", "--target", "species", "--model-dir", str(tmp_path / "m")) == 2
    assert "target column 'species' not found" in one_error_line(capsys)


def test_garbage_in_a_numeric_column_is_named_and_read_as_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = read_rows(DATA)
    rows[7]["magnesium"] = "unknown"
    path = write_rows(tmp_path / "garbage.csv", rows)
    metrics = entry_point.train(path, "cultivar", tmp_path / "model")
    assert metrics["train_rows"] + metrics["test_rows"] == len(rows)  # no row dropped
    assert "column 'magnesium': 1 of 178 values are not numbers (e.g. 'unknown')" in caplog.text


def test_unwritable_output_fails_before_the_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = write_config(tmp_path)
    assert run(config, "train", "--model-dir", str(blocker / "model")) == 2
    assert "cannot create the model folder" in one_error_line(capsys)
    assert run(config, "train", "--model-dir", str(tmp_path / "model")) == 0
    output = blocker / "predictions.csv"
    assert (
        run(config, "predict", "--data", str(DATA), "--output", str(output), "--model-dir", str(tmp_path / "model"))
        == 2
    )
    assert "cannot create the output folder" in one_error_line(capsys)


def test_serving_functions_answer_csv_with_json(tmp_path: Path) -> None:
    entry_point.train(DATA, "cultivar", tmp_path)
    bundle = entry_point.model_fn(str(tmp_path))
    rows = jobs.feature_rows(DATA, bundle["features"], "cultivar", limit=4)
    data = entry_point.input_fn(rows.encode(), "text/csv")
    body, content_type = entry_point.output_fn(entry_point.predict_fn(data, bundle), "application/json")
    assert content_type == "application/json"
    labels = [row["cultivar"] for row in read_rows(DATA)[:4]]
    assert json.loads(body)["predictions"] == labels
    with pytest.raises(ValueError, match="13 values"):
        entry_point.predict_fn(data[:, :5], bundle)
    with pytest.raises(ValueError, match="text/csv"):
        entry_point.input_fn(b"{}", "application/json")


def test_the_shipped_bundle_runs_alone_as_sagemaker_runs_it(tmp_path: Path) -> None:
    """Unpack sourcedir.tar.gz and run it the way script mode does: env channels, JSON hyperparameters."""
    (tmp_path / "code").mkdir()
    with tarfile.open(fileobj=io.BytesIO(jobs.source_bundle())) as tar:
        for member in tar.getmembers():
            (tmp_path / "code" / member.name).write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
    requirements = (tmp_path / "code" / "requirements.txt").read_text()
    assert requirements.startswith("scikit-learn==")
    config = load_config(write_config(tmp_path, role_arn=ROLE, bucket="my-bucket"))
    request = jobs.training_job_request(config, "job", "image", "s3://b/code.tar.gz", "s3://b/data/x/train/")
    args = []
    for key, value in request.params["HyperParameters"].items():
        if not key.startswith("sagemaker_"):
            args += [f"--{key}", str(json.loads(value))]
    channel = tmp_path / "channel"
    channel.mkdir()
    (channel / "train.csv").write_bytes(DATA.read_bytes())
    env = {**os.environ, "SM_CHANNEL_TRAIN": str(channel), "SM_MODEL_DIR": str(tmp_path / "model")}
    done = subprocess.run(
        [sys.executable, "entry_point.py", *args],
        check=False,
        cwd=tmp_path / "code",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "accuracy=" in done.stdout
    assert (tmp_path / "model" / entry_point.MODEL_FILE).is_file()
    # Hosting will import the script from the model archive: it must be there, unchanged.
    code = tmp_path / "model" / entry_point.CODE_DIR
    assert (code / "entry_point.py").read_bytes() == Path(entry_point.__file__).read_bytes()
    assert (code / "requirements.txt").read_text() == requirements
    # A bad table in the container fails the job with one line (its FailureReason) and status 2.
    (channel / "train.csv").write_text("a,cultivar\n1,x\n2,x\n3,x\n")
    done = subprocess.run(
        [sys.executable, "entry_point.py", *args],
        check=False,
        cwd=tmp_path / "code",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error:")
    assert "single class" in done.stderr


def test_config_rejects_unknown_framework(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('framework = "', 'framework = "tensorflow-', 1))
    with pytest.raises(ConfigError, match="container.framework must be one of"):
        load_config(path)


@pytest.mark.parametrize("framework", ["sklearn", "pytorch"])
def test_more_training_instances_are_refused_as_they_would_not_help(
    tmp_path: Path, framework: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, framework=framework, instance_count=2)
    assert run(config, "remote-train", "--dry-run") == 2
    line = one_error_line(capsys)
    assert "training.instance_count = 2 would not train faster" in line
    assert ("scikit-learn container trains on a single instance" in line) == (framework == "sklearn")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"problem_type": "Multiclass"}, "automl.problem_type must be one of"),
        ({"task": "regression", "problem_type": "Regression", "objective": "F1"}, "'F1' does not fit Regression"),
        ({"problem_type": "Regression"}, "'Regression' does not fit data.task 'classification'"),
        ({"task": "forecast"}, "data.task must be one of classification, regression"),
        ({"class_weight": "heavy"}, "class_weight must be"),
        ({"problem_type": "", "objective": "Accuracy"}, "both or neither"),
        ({"test_size": 1.5}, "test_size must be between 0 and 1"),
        ({"seed": "zero"}, "seed must be int"),
    ],
)
def test_config_values_that_cannot_work_exit_2(
    tmp_path: Path, settings: dict, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(write_config(tmp_path, **settings), "train", "--model-dir", str(tmp_path / "m")) == 2
    assert message in one_error_line(capsys)


def _mixed_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    """A table as people bring them: an id, numbers with gaps, text categories with gaps, a date."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(count):
        size = rng.uniform(0, 10)
        colour = rng.choice(["red", "green", "blue"])
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        score = size + {"red": 4, "green": 0, "blue": -4}[colour] + rng.gauss(0, 1)
        rows.append(
            {
                "id": str(1000 + i),
                "size": "" if i % 17 == 0 else f"{size:.2f}",
                "colour": "" if i % 23 == 0 else colour,
                "bought": day,
                "label": "high" if score > 5 else "low",
                "score": f"{score:.3f}",
            }
        )
    return rows


def test_raw_table_with_categories_dates_gaps_and_an_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Statistics come from the training rows and live in the model: predict takes the raw table."""
    rows = _mixed_rows(300)
    table = write_rows(tmp_path / "mixed.csv", rows, ["id", "size", "colour", "bought", "label"])
    config, model = write_config(tmp_path), tmp_path / "model"
    args = ["train", "--data", str(table), "--target", "label", "--model-dir", str(model)]
    assert run(config, *args) == 0
    assert "column 'id' looks like a row id" in capsys.readouterr().err
    assert run(config, *args, "--drop", "id") == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.85, metrics
    assert metrics["f1_macro"] >= 0.8, metrics
    schema = json.loads((model / entry_point.SCHEMA_FILE).read_text())
    assert schema["feature_types"] == {"size": "number", "colour": "category", "bought": "date"}
    assert schema["drop"] == ["id"]
    assert schema["categories"] == {"colour": ["blue", "green", "red"]}

    # New rows: a colour never seen, the id column and no label; the id comes through predict.
    fresh = [dict(row, colour="purple") if i < 5 else row for i, row in enumerate(_mixed_rows(40, seed=8))]
    features = write_rows(tmp_path / "fresh.csv", fresh, ["id", "size", "colour", "bought"])
    out = tmp_path / "predictions.csv"
    capsys.readouterr()
    assert run(config, "predict", "--data", str(features), "--output", str(out), "--model-dir", str(model)) == 0
    assert "column 'colour': 5 row(s) hold categories never seen in training (e.g. 'purple')" in capsys.readouterr().err
    predicted = read_rows(out)
    assert [row["id"] for row in predicted] == [row["id"] for row in fresh]
    assert {"prediction", "proba_high", "proba_low"} <= set(predicted[0])
    words = write_rows(tmp_path / "words.csv", [dict(row, size="big") for row in fresh], ["size", "colour", "bought"])
    assert run(config, "predict", "--data", str(words), "--output", str(out), "--model-dir", str(model)) == 2
    assert "column 'size' holds numbers in the model's training data but none here" in one_error_line(capsys)
    labelled = write_rows(tmp_path / "labelled.csv", fresh, ["id", "size", "colour", "bought", "label"])
    assert run(config, "evaluate", "--data", str(labelled), "--model-dir", str(model)) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["values_unseen"] == 5
    capsys.readouterr()


def test_regression_on_the_same_table(tmp_path: Path) -> None:
    rows = _mixed_rows(300)
    table = write_rows(tmp_path / "mixed.csv", rows, ["id", "size", "colour", "bought", "score"])
    config, model = write_config(tmp_path), tmp_path / "model"
    args = ["--data", str(table), "--target", "score", "--task", "regression", "--drop", "id"]
    assert run(config, "train", *args, "--model-dir", str(model)) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["r2"] >= 0.8, metrics
    assert {"rmse", "mae"} <= set(metrics)
    out = tmp_path / "predictions.csv"
    assert run(config, "predict", "--data", str(table), "--output", str(out), "--model-dir", str(model)) == 0
    predicted = read_rows(out)
    assert list(predicted[0]) == ["id", "size", "colour", "bought", "score", "prediction"]
    float(predicted[0]["prediction"])


def test_what_real_tables_bring_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    rows = read_rows(DATA)
    header = list(rows[0])
    huge = [dict(row) for row in rows]
    huge[2]["proline"] = "9" * 400
    words = [dict(row, cultivar="x" if i % 2 else "y") for i, row in enumerate(rows)]
    text_target = write_rows(tmp_path / "text-target.csv", words)
    (tmp_path / "duplicated.csv").write_text("ash,ash,cultivar\n1,2,x\n3,4,y\n")
    os.mkfifo(tmp_path / "pipe.csv")
    cases = [
        (write_rows(tmp_path / "huge.csv", huge, header), [], "column 'proline' holds a number too large"),
        (tmp_path / "duplicated.csv", [], "column names appear more than once: ash"),
        (tmp_path / "pipe.csv", [], "not a regular file"),
        (text_target, ["--task", "regression"], "regression needs numbers"),
        (DATA, ["--drop", "colour"], "--drop names column(s) colour"),
    ]
    for path, extra, message in cases:
        assert run(config, "train", "--data", str(path), *extra, "--model-dir", str(tmp_path / "m")) == 2, message
        assert message in one_error_line(capsys)
    many = [dict(row, cultivar=str(i % 30)) for i, row in enumerate(rows)]
    many_classes = write_rows(tmp_path / "many.csv", many)
    args = ["train", "--data", str(many_classes), "--test-size", "0.5", "--model-dir", str(tmp_path / "m")]
    assert run(config, *args) == 0
    assert "target 'cultivar' has 30 distinct integer values" in capsys.readouterr().err
