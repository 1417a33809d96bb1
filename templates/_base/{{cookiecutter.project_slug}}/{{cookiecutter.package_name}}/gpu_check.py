"""``check`` asks the framework itself whether it can use the GPU this project is pinned for.

The driver being new enough is not enough: the installed build must have kernels for the GPU's
architecture, and the framework must actually run one. The question runs in a child Python (a broken
CUDA install must not take ``check`` down with it) and answers one JSON line; :func:`assess` turns an
answer into checks, so it is tested with recorded answers and no GPU. Standard library only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

# The distribution whose runtime drives the device, in the order they are looked for among the pins.
RUNTIMES = ("torch", "jax", "tensorflow")
NAMES = {"torch": "PyTorch", "jax": "JAX", "tensorflow": "TensorFlow"}

_TORCH = """
import json, sys
import torch
acc = sys.argv[1]
out = {"version": torch.__version__, "cuda": torch.version.cuda, "hip": getattr(torch.version, "hip", None)}
if acc == "mps":
    out["available"] = bool(torch.backends.mps.is_available())
    device = "mps"
else:
    out["available"] = bool(torch.cuda.is_available())
    device = "cuda"
    if out["available"]:
        out["device"] = torch.cuda.get_device_name(0)
        out["capability"] = "%d.%d" % torch.cuda.get_device_capability(0)
        out["arch_list"] = list(torch.cuda.get_arch_list())
if out["available"]:
    try:
        x = torch.ones(64, 64, device=device)
        out["matmul"] = float((x @ x).sum().item()) == 64.0 ** 3
    except Exception as e:
        out["matmul_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""

_TENSORFLOW = """
import json
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
build = tf.sysconfig.get_build_info()
out = {"version": tf.__version__, "available": bool(gpus), "devices": [g.name for g in gpus],
       "cuda": build.get("cuda_version"), "arch_list": list(build.get("cuda_compute_capabilities") or [])}
if gpus:
    try:
        with tf.device("/GPU:0"):
            x = tf.ones((64, 64))
            out["matmul"] = float(tf.reduce_sum(x @ x)) == 64.0 ** 3
    except Exception as e:
        out["matmul_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""

_JAX = """
import json
import jax
devices = jax.devices()
gpus = [d for d in devices if d.platform in ("gpu", "cuda", "rocm")]
out = {"version": jax.__version__, "available": bool(gpus), "devices": [f"{d.platform}:{d.device_kind}" for d in devices]}
if gpus:
    try:
        import jax.numpy as jnp
        x = jax.device_put(jnp.ones((64, 64)), gpus[0])
        out["matmul"] = float((x @ x).sum()) == 64.0 ** 3
    except Exception as e:
        out["matmul_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""

PROBES = {"torch": _TORCH, "tensorflow": _TENSORFLOW, "jax": _JAX}


def runtime(record: Mapping[str, Any]) -> str | None:
    """The framework runtime among the project's pins that drives the GPU (None: nothing to ask)."""
    pins = {re.sub(r"[-_.]+", "-", str(name)).lower() for name in (record.get("pins") or {})}
    return next((name for name in RUNTIMES if name in pins), None)


def ask(name: str, accelerator: str, *, timeout: float = 300) -> dict[str, Any]:
    """Run the framework's own probe in a child Python; ``{"error": ...}`` when it cannot answer."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBES[name], accelerator],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s"}
    except OSError as e:
        return {"error": str(e)}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"error": last}
    try:
        return json.loads(lines[-1])
    except ValueError:
        return {"error": f"unreadable answer: {lines[-1][:200]}"}


def _cap(text: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(?:sm_|compute_)?(\d+?)(\d)|(\d+)\.(\d+)", text.strip())
    if not m:
        return None
    return (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))


def has_kernels(capability: str, arch_list: list[str]) -> bool:
    """Whether a build listing ``arch_list`` (``sm_80``, ``compute_90``) runs on a GPU of ``capability`` (``8.6``).

    Compiled code (``sm_XY``) runs on the same major and a same-or-higher minor; PTX (``compute_XY``) is
    compiled by the driver for that capability and every newer one.
    """
    gpu = _cap(capability)
    if gpu is None:
        return True
    for arch in arch_list:
        have = _cap(arch)
        if have is None:
            continue
        if arch.startswith("compute_") and have <= gpu:
            return True
        if not arch.startswith("compute_") and have[0] == gpu[0] and have[1] <= gpu[1]:
            return True
    return False


def assess(
    record: Mapping[str, Any], name: str, answer: Mapping[str, Any], *, require_gpu: bool = False
) -> list[tuple[str, bool, str, str]]:
    """``(check name, ok, detail, fix)`` for the framework's answer about the GPU of ``record``'s target."""
    label = f"gpu ({NAMES.get(name, name)})"
    accelerator = record.get("accelerator", "cpu")
    again = (
        f"scaffold new {json.dumps(record.get('project_name', 'NAME'))} --framework "
        f"{record.get('framework')} --target auto"
    )
    install = "pip install -r requirements.txt"
    if "error" in answer:
        return [
            (
                label,
                False,
                f"{NAMES.get(name, name)} could not be asked about the GPU: {answer['error']}",
                f"{install} (the pinned build), then run check again",
            )
        ]
    device = {"cuda": "an NVIDIA GPU", "rocm": "an AMD GPU", "mps": "the Apple GPU (MPS)"}.get(accelerator, "a GPU")
    version = f"{NAMES.get(name, name)} {answer.get('version', '')}".strip()
    if not answer.get("available"):
        detail = f"{version} sees no GPU here: it would train on the CPU, not on {device}"
        fix = (
            "check `nvidia-smi` (or `rocm-smi`) sees the GPU and that the pinned build is installed "
            f"({install}); if this machine has no GPU, generate for it: {again}"
        )
        return [
            (
                label,
                not require_gpu,
                detail + ("" if require_gpu else " (pass --require-gpu to fail on this)"),
                fix if require_gpu else "",
            )
        ]
    checks = []
    capability, arch_list = answer.get("capability"), list(answer.get("arch_list") or [])
    if capability and arch_list and not has_kernels(str(capability), arch_list):
        checks.append(
            (
                label,
                False,
                (
                    f"{version} sees {answer.get('device', device)} (compute capability {capability}), but "
                    f"its build has kernels only for {', '.join(arch_list)}: the first GPU kernel would fail "
                    "with 'no kernel image is available'"
                ),
                f"generate the build this GPU runs: {again} (it checks the GPU's architecture)",
            )
        )
        return checks
    if answer.get("matmul_error") or answer.get("matmul") is False:
        checks.append(
            (
                label,
                False,
                (
                    f"{version} sees the GPU but a 64x64 matmul on it failed: "
                    f"{answer.get('matmul_error') or 'wrong result'}"
                ),
                (f"check the driver and the CUDA/ROCm libraries the build installed; reinstall with {install}"),
            )
        )
        return checks
    seen = answer.get("device") or ", ".join(answer.get("devices") or []) or device
    return [
        (label, True, f"{version} runs on {seen}" + (f" (compute capability {capability})" if capability else ""), "")
    ]


def probe_checks(record: Mapping[str, Any], *, require_gpu: bool = False) -> list[tuple[str, bool, str, str]]:
    """Ask this environment's framework about the project's GPU target; nothing for CPU or cloud targets."""
    accelerator = record.get("accelerator", "cpu")
    if accelerator not in ("cuda", "rocm", "mps") or record.get("remote_accelerator"):
        if require_gpu:
            return [
                (
                    "gpu",
                    False,
                    (
                        f"--require-gpu: this project is pinned for {record.get('target', 'cpu')}, "
                        "which uses no GPU here"
                    ),
                    "generate for a GPU target (--target auto on the GPU machine)",
                )
            ]
        return []
    name = runtime(record)
    if name is None:
        return []
    return assess(record, name, ask(name, accelerator), require_gpu=require_gpu)
