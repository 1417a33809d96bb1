"""Score the saved model on the held-out rows and draw a diagnostic plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from .config import Config  # noqa: E402
from .train import split, test_metrics  # noqa: E402


def load_model(config: Config):
    if not config.model_path.exists():
        raise SystemExit(f"error: no model at {config.model_path}; run `train` first")
    return joblib.load(config.model_path)


def evaluate(config: Config) -> dict[str, Any]:
    """Write ``metrics.json`` and a PNG plot next to the model; return the metrics."""
    model = load_model(config)
    _, x_test, _, y_test = split(config)
    predicted = model.predict(x_test)
    metrics = test_metrics(config.task, y_test, predicted)

    fig, ax = plt.subplots(figsize=(6, 5))
    if config.task == "classification":
        ConfusionMatrixDisplay.from_predictions(y_test, predicted, ax=ax, colorbar=False)
        ax.set_title("Confusion matrix (held-out rows)")
        plot = config.output_dir / "confusion_matrix.png"
    else:
        ax.scatter(predicted, y_test - predicted, s=12)
        ax.axhline(0, color="grey", linewidth=1)
        ax.set_xlabel("predicted")
        ax.set_ylabel("residual (actual - predicted)")
        ax.set_title("Residuals (held-out rows)")
        plot = config.output_dir / "residuals.png"
    fig.tight_layout()
    fig.savefig(plot, dpi=100)
    plt.close(fig)

    report = {"metrics": metrics, "rows": len(x_test), "plot": Path(plot).name}
    (config.output_dir / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
