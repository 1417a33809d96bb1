"""Device choice: the pinned accelerator when present, a CPU fallback that says why, strict explicit requests."""

import pytest
import torch

from {{ cookiecutter.package_name }} import device as dev


def test_cpu_is_always_usable():
    assert dev.select_device("cpu") == torch.device("cpu")
    assert dev.autocast_dtype(torch.device("cpu"), "auto") is None
    assert dev.autocast_dtype(torch.device("cpu"), "on") is torch.bfloat16


def test_missing_accelerator_is_explained(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(dev.pinned, "FACTS", {"min_driver_linux": "580", "min_driver_windows": "580"})
    reason = dev.why_unavailable("cuda")
    assert "CUDA 13.0 build" in reason and "580" in reason and "nvidia-smi" in reason
    with pytest.raises(dev.DeviceUnavailable, match="--device cuda is not usable"):
        dev.select_device("cuda")


def test_auto_falls_back_to_cpu_with_a_warning(monkeypatch, capsys):
    monkeypatch.setattr(dev.pinned, "ACCELERATOR", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.select_device("auto") == torch.device("cpu")
    assert "training on the CPU because" in capsys.readouterr().err


def test_cpu_build_for_a_gpu_target_says_to_reinstall(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None)
    assert "CPU-only build" in dev.why_unavailable("cuda")
