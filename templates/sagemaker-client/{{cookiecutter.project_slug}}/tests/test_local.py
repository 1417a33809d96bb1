"""The training script on this machine: no AWS involved."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import entry_point, jobs
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import ConfigError, load_config

from .conftest import PROJECT, ROLE, write_config

DATA = PROJECT / "data" / "wine.csv"


def test_train_command_learns_the_bundled_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "train", "--model-dir", str(tmp_path / "model")]) == 0
    metrics = json.loads((tmp_path / "model" / entry_point.METRICS_FILE).read_text())
    # Three cultivars, 45 held-out rows: a scaled logistic regression separates them well;
    # guessing the majority class would score about 0.40.
    assert metrics["accuracy"] >= 0.9
    assert metrics["test_rows"] == 45
    assert "accuracy=" in capsys.readouterr().out


def test_serving_functions_answer_csv_with_json(tmp_path: Path) -> None:
    entry_point.train(DATA, "cultivar", tmp_path)
    bundle = entry_point.model_fn(str(tmp_path))
    rows = jobs.feature_rows(DATA, "cultivar", limit=4)
    data = entry_point.input_fn(rows.encode(), "text/csv")
    body, content_type = entry_point.output_fn(entry_point.predict_fn(data, bundle), "application/json")
    assert content_type == "application/json"
    assert json.loads(body)["predictions"] == bundle["model"].predict(data).tolist()
    with pytest.raises(ValueError, match="13 values"):
        entry_point.predict_fn(data[:, :5], bundle)
    with pytest.raises(ValueError, match="text/csv"):
        entry_point.input_fn(b"{}", "application/json")


def test_missing_target_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'species' is not in"):
        entry_point.train(DATA, "species", tmp_path)


def test_the_shipped_bundle_runs_alone_as_sagemaker_runs_it(tmp_path: Path) -> None:
    """Unpack sourcedir.tar.gz and run it the way script mode does: env channels, JSON hyperparameters."""
    (tmp_path / "code").mkdir()
    with tarfile.open(fileobj=io.BytesIO(jobs.source_bundle())) as tar:
        for member in tar.getmembers():
            (tmp_path / "code" / member.name).write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
    requirements = (tmp_path / "code" / "requirements.txt").read_text()
    assert requirements.startswith("scikit-learn==")
    config = load_config(write_config(tmp_path, role_arn=ROLE, bucket="my-bucket"))
    request = jobs.training_job_request(config, "job", "image", "s3://b/code.tar.gz")
    args = []
    for key, value in request.params["HyperParameters"].items():
        if not key.startswith("sagemaker_"):
            args += [f"--{key}", str(json.loads(value))]
    channel = tmp_path / "channel"
    channel.mkdir()
    (channel / "train.csv").write_bytes(DATA.read_bytes())
    env = {**os.environ, "SM_CHANNEL_TRAIN": str(channel), "SM_MODEL_DIR": str(tmp_path / "model")}
    done = subprocess.run([sys.executable, "entry_point.py", *args], cwd=tmp_path / "code", env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "accuracy=" in done.stdout
    assert (tmp_path / "model" / entry_point.MODEL_FILE).is_file()
    # Hosting will import the script from the model archive: it must be there, unchanged.
    code = tmp_path / "model" / entry_point.CODE_DIR
    assert (code / "entry_point.py").read_bytes() == Path(entry_point.__file__).read_bytes()
    assert (code / "requirements.txt").read_text() == requirements


def test_config_rejects_unknown_framework(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('framework = "', 'framework = "tensorflow-', 1))
    with pytest.raises(ConfigError, match="container.framework must be one of"):
        load_config(path)
