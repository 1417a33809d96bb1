"""The training script: the same file runs on this machine and inside SageMaker's container.

SageMaker "script mode" downloads this file (with a requirements.txt beside it), then runs
``python entry_point.py --C 1.0 --target cultivar ...`` with the data channel in
``SM_CHANNEL_TRAIN`` and ``SM_MODEL_DIR`` pointing at the folder that becomes model.tar.gz.
For hosting, the serving toolkit imports this module and calls ``model_fn``, ``input_fn``,
``predict_fn`` and ``output_fn``.

Only this file (and requirements.txt) travels to the container, so it imports nothing from
its own package. After training in SageMaker it copies both into the model's ``code/`` folder:
the scikit-learn and PyTorch serving containers then find them in model.tar.gz.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_FILE = "model.joblib"
METRICS_FILE = "metrics.json"
# Where hosting finds this script: inside the model archive, as both serving containers expect.
CODE_DIR = "code"


def load_table(path: Path, target: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a CSV table with a header row into features, labels and feature names.

    ``path`` may be a file or a folder (a SageMaker channel), whose ``*.csv`` files are
    concatenated. Feature columns must be numeric; labels are kept as text, so classes
    may be named ("yes"/"no") or numbered.
    """
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no .csv files in {path}")
    header: list[str] | None = None
    rows: list[list[str]] = []
    for file in files:
        with file.open(newline="") as handle:
            reader = csv.reader(handle)
            columns = next(reader, None)
            if columns is None:
                raise ValueError(f"{file} is empty: expected a header row")
            if header is None:
                header = columns
            elif columns != header:
                raise ValueError(f"{file} has columns {columns}, expected {header}")
            rows.extend(row for row in reader if row)
    assert header is not None
    if target not in header:
        raise ValueError(f"target column {target!r} is not in {path}; columns: {header}")
    if not rows:
        raise ValueError(f"{path} has a header but no rows")
    table = np.array(rows, dtype=str)
    label_index = header.index(target)
    try:
        features = np.delete(table, label_index, axis=1).astype(float)
    except ValueError as exc:
        raise ValueError(f"feature columns of {path} must be numeric: {exc}") from exc
    names = [name for name in header if name != target]
    return features, table[:, label_index], names


def build_model(c: float) -> Pipeline:
    """Standardise features, then multinomial logistic regression: a strong tabular baseline."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))


def train(
    data: Path, target: str, model_dir: Path, *, c: float = 1.0, test_size: float = 0.25, seed: int = 0
) -> dict[str, float]:
    """Fit on a stratified split of ``data``, score the held-out part, save model and metrics."""
    features, labels, names = load_table(data, target)
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    model = build_model(c).fit(x_train, y_train)
    predicted = model.predict(x_test)
    metrics = {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "f1_macro": float(f1_score(y_test, predicted, average="macro")),
        "train_rows": float(len(y_train)),
        "test_rows": float(len(y_test)),
    }
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": model, "features": names, "target": target}, model_dir / MODEL_FILE)
    (model_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


# ---- hosting: the SageMaker serving toolkits (scikit-learn and PyTorch) call these ----


def model_fn(model_dir: str) -> dict:
    """Load what ``train`` saved."""
    return joblib.load(Path(model_dir) / MODEL_FILE)


def input_fn(body: bytes | str, content_type: str) -> np.ndarray:
    """Parse CSV rows of feature values (no header, no target column)."""
    if content_type.split(";")[0].strip() != "text/csv":
        raise ValueError(f"unsupported content type {content_type!r}: send text/csv")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    return np.array(rows, dtype=float)


def predict_fn(data: np.ndarray, bundle: dict) -> np.ndarray:
    """Predict one label per row, refusing rows of the wrong width with a clear message."""
    expected = len(bundle["features"])
    if data.ndim != 2 or data.shape[1] != expected:
        raise ValueError(f"each row needs {expected} values: {', '.join(bundle['features'])}")
    return bundle["model"].predict(data)


def output_fn(prediction: np.ndarray, accept: str) -> tuple[str, str]:
    """Answer JSON: {"predictions": [label, ...]}."""
    return json.dumps({"predictions": prediction.tolist()}), "application/json"


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Command line of the script, in SageMaker's conventions (hyperparameters as --NAME VALUE)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=os.environ.get("SM_CHANNEL_TRAIN"),
                        help="CSV file or folder (default: $SM_CHANNEL_TRAIN)")
    parser.add_argument("--model-dir", type=Path, default=os.environ.get("SM_MODEL_DIR", "artifacts/model"),
                        help="where model.joblib goes (default: $SM_MODEL_DIR)")
    parser.add_argument("--target", required=True, help="label column")
    parser.add_argument("--C", dest="c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--test_size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.train is None:
        parser.error("--train is required outside SageMaker (SM_CHANNEL_TRAIN is not set)")
    metrics = train(args.train, args.target, args.model_dir, c=args.c, test_size=args.test_size, seed=args.seed)
    code_dir = args.model_dir / CODE_DIR
    code_dir.mkdir(exist_ok=True)
    here = Path(__file__).resolve().parent
    for name in ("entry_point.py", "requirements.txt"):
        if (here / name).is_file():
            shutil.copy(here / name, code_dir / name)
    # SageMaker captures stdout into CloudWatch; one "name=value" line per metric.
    for name, value in metrics.items():
        print(f"{name}={value:.4f}")
    return metrics


if __name__ == "__main__":
    main()
