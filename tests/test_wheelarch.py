"""Reading a CUDA wheel's GPU architectures out of the wheel, by range requests, over recorded bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from scaffold import wheelarch
from scaffold.errors import ToolError

RECORDED = Path(__file__).parent / "recorded"

# What the wheels hold (tests/recorded/wheel-torch-*-libtorch_python.so.excerpt: the bytes around the string,
# cut from the members read 2026-12-08 out of PyPI's cp312 manylinux_2_28 wheels).
TORCH = {
    ("2.13.0", "x86_64"): "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120",
    ("2.14.1", "x86_64"): "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120",
    ("2.15.0", "x86_64"): "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120",
    ("2.13.0", "aarch64"): "sm_80 sm_90 sm_100 sm_110 sm_120",
    ("2.14.1", "aarch64"): "sm_80 sm_90 sm_100 sm_110 sm_120",
    ("2.15.0", "aarch64"): "sm_80 sm_90 sm_100 sm_110 sm_120",
}


def excerpt(version: str, arch: str) -> bytes:
    return (RECORDED / f"wheel-torch-{version}-{arch}-libtorch_python.so.excerpt").read_bytes()


@pytest.mark.parametrize(("version", "arch"), sorted(TORCH))
def test_torchs_arch_list_is_read_from_libtorch_python(version, arch):
    found = wheelarch.torch_archs(excerpt(version, arch))
    assert found is not None and found.raw == TORCH[(version, arch)]
    assert found.ptx == ()
    assert found.sass == tuple(f"{n[3:-1]}.{n[-1]}" for n in TORCH[(version, arch)].split())


def test_ptx_and_arch_specific_names():
    found = wheelarch.torch_archs(b"\0junk sm_90\0sm_80 sm_90a sm_100 compute_120\0")
    assert (found.sass, found.ptx) == (("8.0", "9.0", "10.0"), ("12.0",))
    assert wheelarch.torch_archs(b"no list here sm_90\0") is None


def test_tensorflows_build_info():
    text = b"build_info = {'cuda_compute_capabilities': ['sm_60', 'sm_70', 'sm_80', 'sm_89', 'compute_90'], 'x': 1}"
    found = wheelarch.tensorflow_archs(text)
    assert (found.sass, found.ptx) == (("6.0", "7.0", "8.0", "8.9"), ("9.0",))


def _wheel(members: dict[str, bytes], *, zip64: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            with z.open(zipfile.ZipInfo(name), "w", force_zip64=zip64) as f:
                f.write(data)
    return buf.getvalue()


def _server(blob: bytes, asked: list[tuple[int, int | None]]):
    def fetch(url: str, start: int, end: int | None = None) -> tuple[bytes, int]:
        asked.append((start, end))
        if start < 0:
            return blob[start:], len(blob)
        return blob[start:None if end is None else end + 1], len(blob)
    return fetch


@pytest.mark.parametrize("zip64", [False, True])
def test_one_member_is_read_by_range_requests(zip64, monkeypatch):
    so = excerpt("2.15.0", "aarch64")
    filler = {f"torch/include/h{i}.h": bytes(range(256)) * 40 for i in range(400)}  # a listing past the tail
    blob = _wheel({**filler, "torch/lib/libtorch_python.so": so, "torch-2.15.0.dist-info/RECORD": b"x"}, zip64=zip64)
    monkeypatch.setattr(wheelarch, "TAIL_BYTES", 4096)
    asked: list = []
    found = wheelarch.wheel_archs("torch", "https://files.example/torch.whl", fetch=_server(blob, asked))
    assert found.raw == TORCH[("2.15.0", "aarch64")]
    assert len(asked) == 3  # the tail, the central directory before it, the member
    assert sum((len(blob) if e is None else e + 1) - (len(blob) + s if s < 0 else s) for s, e in asked) < len(blob) / 4


def test_a_wheel_without_the_member_is_one_error():
    blob = _wheel({"torch/version.py": b"__version__ = '2.15.0'"})
    with pytest.raises(ToolError, match="has no torch/lib/libtorch_python.so"):
        wheelarch.wheel_archs("torch", "https://files.example/torch.whl", fetch=_server(blob, []))
    with pytest.raises(ToolError, match="not a zip"):
        wheelarch.wheel_archs("torch", "https://files.example/x", fetch=_server(b"<html>nope</html>", []))
