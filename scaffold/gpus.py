"""Pure: does a CUDA build carry kernels for a GPU? Compute capabilities in, verdicts and reasons out.

The NVIDIA driver decides which CUDA a machine can run; the GPU's compute capability decides which builds
have kernels for it. Both must fit (a Volta V100 on a driver for CUDA 13 still needs a CUDA 12.6 build of
PyTorch). The architecture lists are catalog facts (``frameworks/_gpu.toml``); imports only ``models``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .models import Architectures, Variant

_CAP = re.compile(r"^\s*(\d+)\.(\d+)\s*$")


def capability(text: str | None) -> tuple[int, int] | None:
    """``"8.6"`` -> (8, 6); None when it is not a compute capability (``[N/A]``, empty)."""
    m = _CAP.match(text or "")
    return (int(m[1]), int(m[2])) if m else None


def sm(cap: str) -> str:
    """``"7.0"`` -> ``"sm_70"``, the name PyTorch's ``get_arch_list()`` and CUDA use."""
    major, minor = capability(cap) or (0, 0)
    return f"sm_{major}{minor}"


def runs_on(arch: Architectures, cap: str) -> bool | None:
    """True when a build with ``arch`` has kernels for a GPU of capability ``cap``; None when nobody knows."""
    gpu = capability(cap)
    if gpu is None or not arch.known:
        return None
    if any((c := capability(s)) is not None and c[0] == gpu[0] and c[1] <= gpu[1] for s in arch.sass):
        return True
    return any((c := capability(v)) is not None and c <= gpu for v in (arch.ptx, arch.minimum) if v)


def oldest(arch: Architectures) -> str:
    """The oldest capability ``arch`` serves, for messages ("CUDA 13 builds start at sm_75")."""
    caps = [c for c in (*arch.sass, arch.ptx, arch.minimum) if c and capability(c)]
    return min(caps, key=lambda c: capability(c) or (0, 0)) if caps else "?"


def sentence(arch: Architectures) -> str | None:
    """The note that says which GPUs a build runs on, from its architecture list; None when nobody knows it."""
    if not arch.known:
        return None
    if arch.minimum and not arch.sass:
        return f"Its GPU kernels are compiled at run time: it needs a GPU of {sm(arch.minimum)} or newer."
    kernels = ", ".join(sm(c) for c in arch.sass)
    ptx = f", and PTX for {sm(arch.ptx).replace('sm_', 'compute_')} that newer GPUs compile" if arch.ptx else ""
    return f"Its wheels carry GPU kernels for {kernels}{ptx}: a GPU older than {sm(oldest(arch))} cannot run it."


def blocker(variant: Variant, platform: str, caps: Iterable[str]) -> str | None:
    """Why ``variant`` cannot run on one of the GPUs ``caps`` on ``platform``, or None when it can (or is unknown)."""
    arch = variant.architectures.get(platform)
    if arch is None:
        return None
    for cap in caps:
        if runs_on(arch, cap) is False:
            newest = max((c for c in arch.sass), key=lambda c: capability(c) or (0, 0), default=None)
            if capability(cap) and newest and capability(cap) > (capability(newest) or (0, 0)) and not arch.ptx:
                return f"the {variant.target} build's kernels end at {sm(newest)}"
            return f"the {variant.target} build starts at {sm(oldest(arch))}"
    return None
