"""The PyTorch custom-layer starter, end to end, as a user runs it - including data parallelism.

Generated for torch 2.13 on the CPU: the release whose CPU wheel this CI machine holds on disk
(the PyTorch wheel index is unreachable here; PIP_RETRIES=0 stops pip retrying it for every package,
and the ``+cpu`` pin means pip can only take that CPU build, never PyPI's CUDA wheel). The newest
release's pins are proven by resolution in tests/test_pins_pytorch.py.

Beyond its bundled spirals, the starter is pointed at a table it never shipped: scikit-learn's wine data
(178 rows, 13 numeric features) written to CSV with the three cultivars as text labels. 30 rows are kept
out of the training file; the held-out file drops one cultivar and reverses the column order, so a model
that matched columns by position or re-derived class ids from the file would score it badly.
Floors: test accuracy >= 0.85 on the run's own held-out rows and on the held-out file (a plain MLP gets
about 0.95 here).
"""

from __future__ import annotations

import csv
import json
import random
import re
import subprocess

import pytest

from .harness import Proof, prove_starter

# The same worker as the other torch project (xdist_group): the session's venv pool installs torch once for both.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("torch-venv")]

CULTIVARS = {0: "barolo", 1: "grignolino", 2: "barbera"}
FLOOR = 0.85


def _write_wine(folder) -> tuple[list[str], list[list]]:
    from sklearn.datasets import load_wine

    wine = load_wine()
    header = [*wine.feature_names, "cultivar"]
    rows = [[*map(float, x), CULTIVARS[int(y)]] for x, y in zip(wine.data, wine.target, strict=True)]
    random.Random(0).shuffle(rows)
    held, train = rows[:30], rows[30:]
    with (folder / "wine_train.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header, *train])
    with (folder / "wine_holdout.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header[::-1], *(r[::-1] for r in held if r[-1] != "barbera")])
    with (folder / "wine_new.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header[:-1], *(r[:-1] for r in held)])
    return header, held


def _refused(proof: Proof, *args: str) -> str:
    """Run a command that must fail on its input: exit 2, one `error:` line, no traceback."""
    result = subprocess.run([str(proof.python), "-m", proof.project.package, *args], cwd=proof.path,
                            env=proof.env, capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, (args, result.returncode, result.stderr)
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def _metrics(proof: Proof, out_dir: str = "artifacts") -> dict:
    return json.loads((proof.path / out_dir / "metrics.json").read_text())


def _installed_build_and_own_data(proof: Proof) -> None:
    probe = "import torch; print(torch.__version__, torch.version.cuda)"
    torch_version = proof.run(str(proof.python), "-c", probe, step="torch build").stdout.split()
    assert torch_version == ["2.13.0+cpu", "None"], torch_version  # the CPU build, not PyPI's CUDA wheel
    py, pkg = str(proof.python), proof.project.package

    proof.run(py, "-m", pkg, "evaluate", step="evaluate")
    spirals = _metrics(proof)
    assert spirals["accuracy"] > 0.9 and spirals["rows"] == 600, spirals

    # Two CPU processes, Gloo, through the same entry point the README shows.
    proof.run(str(proof.python.parent / "torchrun"), "--standalone", "--nproc_per_node=2",
              "-m", pkg, "train", "--out-dir", "artifacts-ddp", "--device", "cpu", step="torchrun")
    out = proof.outputs["torchrun"]
    for rank in (0, 1):
        assert re.search(rf"rank {rank}/2 done: 960 samples per epoch on cpu, replicas in sync: True", out), out
    assert "processes: 2" in out and "terminate called" not in out
    assert _metrics(proof, "artifacts-ddp")["accuracy"] > 0.9
    ddp = json.loads((proof.path / "artifacts-ddp" / "history.json").read_text())
    assert ddp[-1]["train_loss"] < ddp[0]["train_loss"] / 3

    # A table the starter never shipped, with text labels.
    header, held = _write_wine(proof.path)
    proof.run(py, "-m", pkg, "train", "--data", "wine_train.csv", "--target", "cultivar", "--epochs", "30",
              "--batch-size", "16", "--out-dir", "wine", step="wine train")
    trained = _metrics(proof, "wine")
    assert trained["accuracy"] >= FLOOR and trained["rows_test"] == 30, trained
    schema = json.loads((proof.path / "wine" / "schema.json").read_text())
    assert schema["features"] == header[:-1] and schema["class_names"] == ["barbera", "barolo", "grignolino"]
    proof.run(py, "-m", pkg, "evaluate", "--model", "wine/best.pt", step="wine evaluate")
    assert _metrics(proof, "wine") == {"accuracy": trained["accuracy"], "loss": trained["loss"], "rows": 30.0}
    proof.run(py, "-m", pkg, "evaluate", "--model", "wine/best.pt", "--data", "wine_holdout.csv",
              step="wine evaluate --data")
    holdout = _metrics(proof, "wine")
    assert holdout["accuracy"] >= FLOOR and holdout["rows"] == sum(r[-1] != "barbera" for r in held), holdout
    proof.run(py, "-m", pkg, "predict", "--model", "wine/best.pt", "--data", "wine_new.csv",
              "--output", "wine_predictions.csv", step="wine predict")
    with (proof.path / "wine_predictions.csv").open(newline="") as f:
        predictions = list(csv.DictReader(f))
    assert len(predictions) == 30
    assert {p["prediction"] for p in predictions} <= set(CULTIVARS.values())
    agree = sum(p["prediction"] == r[-1] for p, r in zip(predictions, held, strict=True)) / 30
    assert agree >= FLOOR, agree
    assert {f"probability_{c}" for c in CULTIVARS.values()} <= set(predictions[0])
    print(f"\nwine: train {trained}; evaluate --data {holdout}; predict agreement {agree:.3f}")

    # Parquet: pyarrow is not pinned (the README says to add it); with it, the starter's Parquet tests run
    # instead of skipping, a Parquet copy of the wine table trains, and a damaged Parquet file is refused.
    proof.run(py, "-m", "pip", "install", "-q", "pyarrow", step="pyarrow")
    proof.run(py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_data.py", "-k", "parquet",
              step="parquet tests")
    assert "2 passed" in proof.outputs["parquet tests"], proof.outputs["parquet tests"]
    to_parquet = "import pyarrow.csv, pyarrow.parquet as pq; pq.write_table(pyarrow.csv.read_csv('wine_train.csv'), 'wine.parquet')"
    proof.run(py, "-c", to_parquet, step="write parquet")
    proof.run(py, "-m", pkg, "train", "--data", "wine.parquet", "--target", "cultivar", "--epochs", "30",
              "--batch-size", "16", "--out-dir", "wine-pq", step="parquet train")
    assert _metrics(proof, "wine-pq")["accuracy"] >= FLOOR
    (proof.path / "broken.parquet").write_bytes(b"PAR1" + b"\x00" * 64)
    assert "not a readable Parquet file" in _refused(proof, "predict", "--model", "wine/best.pt", "--data",
                                                     "broken.parquet")

    # Broken data: one line, exit 2, nothing written.
    (proof.path / "one_class.csv").write_text("a,b,cultivar\n" + "1,2,barolo\n" * 10)
    assert "single class" in _refused(proof, "train", "--data", "one_class.csv", "--target", "cultivar",
                                      "--out-dir", "never")
    (proof.path / "text.csv").write_text("a,region,cultivar\n" + "1,north,barolo\n2,south,barbera\n" * 5)
    assert "not numeric: region" in _refused(proof, "train", "--data", "text.csv", "--target", "cultivar",
                                             "--out-dir", "never")
    assert not (proof.path / "never").exists()
    (proof.path / "short.csv").write_text("alcohol,cultivar\n13.2,barolo\n")
    line = _refused(proof, "predict", "--model", "wine/best.pt", "--data", "short.csv")
    assert "missing columns: malic_acid" in line
    assert "refusing to overwrite" in _refused(proof, "predict", "--model", "wine/best.pt", "--data",
                                               "wine_new.csv", "--output", "wine_train.csv")
    (proof.path / "corrupt.pt").write_bytes(b"\x00" * 64)
    assert "not a readable checkpoint" in _refused(proof, "evaluate", "--model", "corrupt.pt")
    assert "nothing to resume" in _refused(proof, "train", "--resume", "--out-dir", "never")
    assert "conflict" in _refused(proof, "train", "--resume", "--out-dir", "wine", "--lr", "0.1")


def test_pytorch_custom_layer_end_to_end(tmp_path, venv_pool):
    # tests/e2e/test_update.py installs the same torch 2.13 CPU pins: whichever runs second reuses this venv.
    proof = prove_starter(tmp_path, framework="pytorch", framework_version="2.13", target="cpu",
                          name="Spiral Demo", env={"PIP_RETRIES": "0"}, extra=_installed_build_and_own_data,
                          pool=venv_pool)
    pins = proof.project.pins
    assert pins.framework_version == "2.13.0"
    requirements = (proof.path / "requirements.txt").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in requirements
    assert "torch==2.13.0+cpu" in requirements

    train = proof.outputs["train"]
    assert "training on cpu" in train and "epoch  12/12" in train
    metrics = _metrics(proof)  # evaluate rewrote it with the same test rows
    assert metrics["accuracy"] > 0.9
    history = json.loads((proof.path / "artifacts" / "history.json").read_text())
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3
    assert (proof.path / "artifacts" / "best.pt").stat().st_size > 10_000

    tests = proof.outputs["tests"]
    # Its own suite includes three two-process torchrun runs (tests/test_distributed.py).
    assert re.search(r"\b(7\d|8\d) passed\b", tests), tests
    assert "failed" not in tests and not re.search(r"\d+ errors?\b", tests), tests
