"""The PyTorch custom-layer starter, end to end, as a user runs it - including data parallelism.

Generated for torch 2.13 on the CPU: the release whose CPU wheel this CI machine holds on disk
(the PyTorch wheel index is unreachable here; PIP_RETRIES=0 stops pip retrying it for every package,
and the ``+cpu`` pin means pip can only take that CPU build, never PyPI's CUDA wheel). The newest
release's pins are proven by resolution in tests/test_pins_pytorch.py.
"""

from __future__ import annotations

import json
import re

import pytest

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e


def _installed_build_and_torchrun(proof: Proof) -> None:
    probe = "import torch; print(torch.__version__, torch.version.cuda)"
    torch_version = proof.run(str(proof.python), "-c", probe, step="torch build").stdout.split()
    assert torch_version == ["2.13.0+cpu", "None"], torch_version  # the CPU build, not PyPI's CUDA wheel

    proof.run(str(proof.python), "-m", proof.project.package, "evaluate", step="evaluate")
    scores = json.loads(proof.outputs["evaluate"].strip().splitlines()[-1])
    assert scores["accuracy"] > 0.9

    # Two CPU processes, Gloo, through the same entry point the README shows.
    proof.run(str(proof.python.parent / "torchrun"), "--standalone", "--nproc_per_node=2",
              "-m", proof.project.package, "train", "--out-dir", "artifacts-ddp", "--device", "cpu", step="torchrun")
    out = proof.outputs["torchrun"]
    for rank in (0, 1):
        assert re.search(rf"rank {rank}/2 done: 1200 samples per epoch on cpu, replicas in sync: True", out), out
    assert "processes: 2" in out
    ddp = json.loads((proof.path / "artifacts-ddp" / "metrics.json").read_text())
    assert ddp[-1]["val_accuracy"] > 0.9 and ddp[-1]["train_loss"] < ddp[0]["train_loss"] / 3


def test_pytorch_custom_layer_end_to_end(tmp_path):
    proof = prove_starter(tmp_path, framework="pytorch", framework_version="2.13", target="cpu",
                          name="Spiral Demo", env={"PIP_RETRIES": "0"}, extra=_installed_build_and_torchrun)
    pins = proof.project.pins
    assert pins.framework_version == "2.13.0"
    requirements = (proof.path / "requirements.txt").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in requirements
    assert "torch==2.13.0+cpu" in requirements

    train = proof.outputs["train"]
    assert "training on cpu" in train and "epoch  12/12" in train
    history = json.loads((proof.path / "artifacts" / "metrics.json").read_text())
    assert history[-1]["val_accuracy"] > 0.9
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3
    assert (proof.path / "artifacts" / "last.pt").stat().st_size > 10_000

    tests = proof.outputs["tests"]
    assert re.search(r"\b2\d passed\b", tests), tests
    assert "failed" not in tests and not re.search(r"\d+ errors?\b", tests), tests
