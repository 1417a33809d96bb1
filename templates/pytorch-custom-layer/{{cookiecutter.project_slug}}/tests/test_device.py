"""Device choice: the pinned accelerator when present, a CPU fallback that says why, strict explicit requests."""

import pytest
import torch

from {{ cookiecutter.package_name }} import (
    device as dev,
)


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
    assert "CUDA 13.0 build" in reason
    assert "580" in reason
    assert "nvidia-smi" in reason
    with pytest.raises(dev.DeviceUnavailable, match="--device cuda is not usable"):
        dev.select_device("cuda")


def test_auto_falls_back_to_cpu_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(dev.pinned, "ACCELERATOR", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.select_device("auto") == torch.device("cpu")
    assert "training on the CPU because" in caplog.text


def test_cpu_build_for_a_gpu_target_says_to_reinstall(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None)
    assert "CPU-only build" in dev.why_unavailable("cuda")


# torch.cuda.is_bf16_supported(including_emulation=...) as answered on each GPU with torch 2.13: a T4
# (sm_75) says yes when emulation counts, because it can store bfloat16, but computes it slowly.
RECORDED_BF16 = {
    "Tesla T4 (sm_75)": {True: True, False: False},
    "NVIDIA A100 (sm_80)": {True: True, False: True},
    "NVIDIA H100 (sm_90)": {True: True, False: True},
}


@pytest.mark.parametrize(
    ("gpu", "expected"),
    [
        ("Tesla T4 (sm_75)", torch.float16),
        ("NVIDIA A100 (sm_80)", torch.bfloat16),
        ("NVIDIA H100 (sm_90)", torch.bfloat16),
    ],
)
def test_bfloat16_only_where_the_gpu_computes_it_natively(monkeypatch, gpu, expected):
    answers = RECORDED_BF16[gpu]
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: answers[including_emulation])
    dtype = dev.autocast_dtype(torch.device("cuda", 0), "auto")
    assert dtype is expected
    # float16 is the one that needs GradScaler's loss scaling; bfloat16 has float32's exponent range.
    assert dev.needs_loss_scaling(dtype) is (expected is torch.float16)
    assert dev.autocast_dtype(torch.device("cuda", 0), "off") is None


def test_mps_uses_float16_with_loss_scaling():
    dtype = dev.autocast_dtype(torch.device("mps"), "auto")
    assert dtype is torch.float16
    assert dev.needs_loss_scaling(dtype)
    assert not dev.needs_loss_scaling(None)
    assert not dev.needs_loss_scaling(torch.bfloat16)


def test_an_explicit_missing_device_is_an_environment_error_exit_1(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(dev.DeviceUnavailable) as caught:
        dev.select_device("mps")
    assert caught.value.exit_code == 1
