"""End to end: generate the SageMaker client starter, install its pins in a fresh venv, train
locally, then run the project's own tests, which start moto's server on 127.0.0.1 and drive
upload, training job, deploy, predict, cleanup, AutoML and the failure paths over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import prove_starter


@pytest.mark.e2e
def test_sagemaker_client_cpu(tmp_path: Path) -> None:
    prove_starter(tmp_path, framework="sagemaker", target="cpu")
