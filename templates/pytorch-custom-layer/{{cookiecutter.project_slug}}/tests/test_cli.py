"""The commands as a user runs them: train on a table, evaluate, predict; bad input is one line and exit 2."""

import csv
import json

import pytest

from {{ cookiecutter.package_name }}.__main__ import (
    main,
)

FAST = ["--epochs", "25", "--batch-size", "16", "--device", "cpu"]
# These commands train classifiers on text labels, in a regression project too.
pytestmark = pytest.mark.usefixtures("as_classifier")


@pytest.fixture
def trained(tmp_path, table_csv):
    out = tmp_path / "out"
    assert main(["train", "--data", str(table_csv), "--target", "species", "--out-dir", str(out), *FAST]) == 0
    return out


def _one_error_line(capsys):
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    return errors[0]


def test_train_evaluate_predict_on_a_table_with_text_labels(tmp_path, table_csv, trained, capsys):
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.8
    assert metrics["rows_test"] == 24
    assert main(["evaluate", "--model", str(trained / "best.pt"), "--device", "cpu"]) == 0
    assert json.loads((trained / "metrics.json").read_text())["rows"] == 24
    assert main(["evaluate", "--model", str(trained / "best.pt"), "--data", str(table_csv), "--device", "cpu"]) == 0
    assert json.loads((trained / "metrics.json").read_text())["rows"] == 120
    out = tmp_path / "predictions.csv"
    assert main(["predict", "--model", str(trained / "best.pt"), "--data", str(table_csv), "--output", str(out)]) == 0
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 120
    assert {row["prediction"] for row in rows} <= {"lily", "rose", "tulip"}
    assert sum(row["prediction"] == row["species"] for row in rows) > 100
    probs = [float(rows[0][f"probability_{name}"]) for name in ("lily", "rose", "tulip")]
    assert sum(probs) == pytest.approx(1.0, abs=1e-4)


def test_evaluate_a_holdout_missing_a_class_and_with_columns_reordered(tmp_path, table_csv, trained):
    with table_csv.open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["species"] != "lily"]
    holdout = tmp_path / "holdout.csv"
    with holdout.open("w", newline="") as f:
        writer = csv.DictWriter(f, ["species", "noise", "x2", "x1"])
        writer.writeheader()
        writer.writerows(rows)
    assert main(["evaluate", "--model", str(trained / "best.pt"), "--data", str(holdout), "--device", "cpu"]) == 0
    assert json.loads((trained / "metrics.json").read_text())["accuracy"] > 0.8


def test_predict_without_labels_and_never_over_its_input(tmp_path, table_csv, trained, capsys):
    unlabelled = tmp_path / "new.csv"
    unlabelled.write_text("x2,x1,noise\n0.1,2.0,0.3\n")
    assert main(["predict", "--model", str(trained / "best.pt"), "--data", str(unlabelled)]) == 0
    assert (trained / "predictions.csv").read_text().splitlines()[1].split(",")[3] == "rose"
    before = table_csv.read_text()
    assert (
        main(["predict", "--model", str(trained / "best.pt"), "--data", str(unlabelled), "--output", str(table_csv)])
        == 2
    )
    assert "refusing to overwrite" in _one_error_line(capsys)
    assert table_csv.read_text() == before


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "data file not found"),
        (b"", [], "is empty"),
        (b"x1,species\n", [], "no data rows"),
        (b"x1,species\n1,caf\xe9\n", [], "not UTF-8"),
        (b"x1,kind\n1,a\n2,b\n", [], "no target column 'species'"),
        (b"x1,species\n" + b"1,a\n" * 12, [], "single class"),
        (b"x1,species\n1,a\n2,b\n3,a\n4,b\n", [], "too few rows"),
        (b"x1,species\n" + b"1,a\n2,b\n" * 6 + b"inf,a\n", [], "infinite"),
        (b"x1,species\n" + b"1,0.5\n2,1.5\n" * 6, [], "holds decimal numbers (e.g. '0.5' in row 1)"),
        (b"x1,species\n" + b"1,a\n2,b\n" * 6, ["--drop", "x1"], "needs at least one feature column"),
        (b"x1,species\n" + b"1,a\n2,b\n" * 6, ["--lr", "-1"], "lr must be positive"),
    ],
)
def test_bad_training_data_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, content, args, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out"
    code = main(["train", "--data", str(path), "--target", "species", "--out-dir", str(out), *FAST, *args])
    assert code == 2
    assert message in _one_error_line(capsys)
    assert not out.exists()


def test_unusable_model_files_and_tables_at_evaluate_and_predict(tmp_path, table_csv, trained, capsys):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint at all")
    assert main(["evaluate", "--model", str(corrupt)]) == 2
    assert "not a readable checkpoint" in _one_error_line(capsys)
    assert main(["evaluate", "--model", str(tmp_path / "missing.pt")]) == 2
    assert "no model file" in _one_error_line(capsys)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("x1,height,species\n1,2,rose\n")
    assert main(["predict", "--model", str(trained / "best.pt"), "--data", str(wrong)]) == 2
    line = _one_error_line(capsys)
    assert "missing columns: x2, noise" in line
    assert "unexpected columns: height" in line
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert (
        main(
            [
                "predict",
                "--model",
                str(trained / "best.pt"),
                "--data",
                str(table_csv),
                "--output",
                str(blocked / "p.csv"),
            ]
        )
        == 2
    )
    assert "cannot write there" in _one_error_line(capsys)


def test_an_unwritable_out_dir_fails_before_training(tmp_path, table_csv, capsys):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    code = main(["train", "--data", str(table_csv), "--target", "species", "--out-dir", str(blocked / "x"), *FAST])
    assert code == 2
    assert "cannot write the model there" in _one_error_line(capsys)


def test_settings_file_and_flags(tmp_path, table_csv, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text(
        f'[train]\ndata = "{table_csv.name}"\ntarget = "species"\nepochs = 2\nbatch_size = 16\ndevice = "cpu"\n'
    )
    assert main(["train", "--epochs", "1"]) == 0
    assert json.loads((tmp_path / "artifacts" / "metrics.json").read_text())["epochs"] == 1
    (tmp_path / "config.toml").write_text("[train]\nepochz = 2\n")
    assert main(["train"]) == 2
    assert "unknown settings in [train]: epochz" in _one_error_line(capsys)
    (tmp_path / "config.toml").write_text('[train]\nepochs = "many"\n')
    assert main(["train"]) == 2
    assert "epochs = 'many': expected int" in _one_error_line(capsys)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(command in out for command in ("train", "evaluate", "predict", "check"))
    with pytest.raises(SystemExit) as bad:
        main(["train", "--epochs", "many"])
    assert bad.value.code == 2
    assert _one_error_line(capsys).startswith("error: argument --epochs")
