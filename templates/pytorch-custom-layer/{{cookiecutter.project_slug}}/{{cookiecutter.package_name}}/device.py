"""Pick the device to train on and explain, in one message, why the pinned accelerator is missing.

``auto`` means "the accelerator this project was pinned for": when it is not usable here, training
falls back to the CPU after printing why (so CI and laptops still run). Asking for a device
explicitly (``--device cuda``) is strict: a missing device is an error, not a fallback.
"""

from __future__ import annotations

import logging
import sys

import torch

from . import pinned
from .config import DEVICES
from .runtime import EnvironmentProblem

log = logging.getLogger(__package__)


class DeviceUnavailable(EnvironmentProblem):
    """Raised when an explicitly requested device cannot be used on this machine (exit status 1)."""


def _min_driver() -> str | None:
    key = "min_driver_windows" if sys.platform.startswith("win") else "min_driver_linux"
    return pinned.FACTS.get(key)


def why_unavailable(kind: str) -> str | None:
    """``None`` when ``kind`` ('cpu', 'cuda' or 'mps') works here, else a sentence saying why not and what to do."""
    build = torch.__version__
    if kind == "cpu":
        return None
    if kind == "cuda":
        if torch.cuda.is_available():
            return None
        if torch.version.cuda is None and torch.version.hip is None:
            return (
                f"the installed torch {build} is a CPU-only build, but this project is pinned for "
                f"{pinned.TARGET}; reinstall its pins with `pip install -r requirements.txt`."
            )
        if torch.version.hip is not None:
            return (
                f"torch {build} is a ROCm {torch.version.hip} build, but no AMD GPU is visible; "
                "check `rocminfo` and HIP_VISIBLE_DEVICES."
            )
        driver = _min_driver()
        need = f" This build needs an NVIDIA driver >= {driver}." if driver else ""
        return (
            f"torch {build} is a CUDA {torch.version.cuda} build, but no usable NVIDIA GPU was found "
            f"(no driver, too old a driver, or CUDA_VISIBLE_DEVICES hides it).{need} "
            "Check with `nvidia-smi`."
        )
    if kind == "mps":
        if torch.backends.mps.is_available():
            return None
        if not torch.backends.mps.is_built():
            return f"torch {build} was built without MPS support (MPS needs the macOS arm64 wheel)."
        return "MPS needs Apple Silicon and macOS 14 or newer; this machine does not offer it."
    raise ValueError(f"unknown device kind {kind!r}; choose from {', '.join(DEVICES)}")


def pinned_kind() -> str:
    """The torch device type for the pinned accelerator (ROCm builds use the 'cuda' device API)."""
    return {"cuda": "cuda", "rocm": "cuda", "mps": "mps"}.get(pinned.ACCELERATOR, "cpu")


def select_device(requested: str = "auto", local_rank: int = 0) -> torch.device:
    """Resolve ``requested`` to a usable device; ``local_rank`` picks the GPU under torchrun."""
    kind = pinned_kind() if requested == "auto" else requested
    reason = why_unavailable(kind)
    if reason is not None:
        if requested != "auto":
            raise DeviceUnavailable(f"--device {requested} is not usable: {reason}")
        log.warning("training on the CPU because %s", reason)
        kind = "cpu"
    if kind == "cuda":
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device(kind)


def autocast_dtype(device: torch.device, amp: str) -> torch.dtype | None:
    """The mixed-precision dtype for ``device`` under ``--amp auto|on|off``; ``None`` means full float32.

    ``auto`` turns it on where it pays off: bfloat16 on CUDA GPUs whose hardware computes it natively
    (Ampere and newer; no loss scaling needed), float16 on older CUDA GPUs such as a T4 and on MPS.
    ``torch.cuda.is_bf16_supported()`` alone also says yes where bfloat16 is only emulated, which runs
    slower than float16, hence ``including_emulation=False``. CPUs stay in float32 unless ``--amp on``
    (bfloat16 autocast is correct on any CPU but only faster on those with bf16 instructions).
    """
    if amp == "off":
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.bfloat16 if amp == "on" else None


def needs_loss_scaling(amp_dtype: torch.dtype | None) -> bool:
    """float16's narrow exponent underflows small gradients; ``GradScaler`` scales the loss to keep them."""
    return amp_dtype == torch.float16
