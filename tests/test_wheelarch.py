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
    # tensorflow/python/platform/build_info.py of PyPI's tensorflow 2.21.0 cp312 manylinux_2_27_x86_64 wheel
    found = wheelarch.tensorflow_archs((RECORDED / "wheel-tensorflow-2.21.0-x86_64-build_info.py.txt").read_bytes())
    assert (found.sass, found.ptx) == (("6.0", "7.0", "8.0", "8.9"), ("9.0",))
    assert wheelarch.tensorflow_archs(b"build_info = {'cuda_compute_capabilities': ['sm_80']}").sass == ("8.0",)


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


# ---- `catalog check --archs`: the catalog's lists against the wheels, with recorded answers ----

def _listing(index: str, name: str) -> list[dict]:
    """A PEP 691 answer with PyPI's cp312 Linux torch and tensorflow wheels (relative URLs, as the mirror gives)."""
    assert name in ("torch", "tensorflow"), name
    versions = ("2.13.0", "2.14.1", "2.15.0") if name == "torch" else ("2.19.1", "2.20.0", "2.21.0")
    return [{"filename": f"{name}-{v}-cp312-cp312-manylinux_2_28_{arch}.whl",
             "url": f"../../packages/{name}-{v}-{arch}.whl"} for v in versions for arch in ("x86_64", "aarch64")]


def _read(name: str, url: str) -> wheelarch.Archs | None:
    if name == "tensorflow":
        return wheelarch.tensorflow_archs((RECORDED / "wheel-tensorflow-2.21.0-x86_64-build_info.py.txt").read_bytes())
    version, arch = url.rsplit("/", 1)[-1].removesuffix(".whl").split("-")[1:]
    return wheelarch.torch_archs(excerpt(version, arch))


def test_the_catalogs_architecture_lists_are_the_wheels(catalog):
    found = wheelarch.arch_check(catalog, ["pytorch", "keras", "tensorflow"], files=_listing, read=_read,
                                 reachable=lambda host: False)
    read = [a for a in found if a.state != "unverified"]
    assert [a for a in read if a.state != "same"] == []
    # every Linux CUDA build on PyPI was read: torch 2.13-2.15 on x86_64 and aarch64, Keras's torch, TensorFlow
    assert {(a.framework, a.release, a.platform) for a in read} >= {
        ("pytorch", v, p) for v in ("2.13.0", "2.14.1", "2.15.0") for p in ("linux-x86_64", "linux-aarch64")}
    assert {("keras", "3.15.1", "cuda-13.0", "linux-aarch64"), ("tensorflow", "2.21.0", "cuda-12.9", "linux-x86_64")} <= {
        (a.framework, a.release, a.target, a.platform) for a in read}
    unverified = {a.detail for a in found if a.state == "unverified"}
    assert unverified == {"index download.pytorch.org is not reachable",
                          "no wheel names its architectures (compiled at run time)"}


def test_a_list_that_is_not_the_wheels_is_reported(catalog):
    import dataclasses

    from scaffold.models import Architectures

    pytorch = catalog.get("pytorch")
    release = pytorch.releases[0]
    x86_list = Architectures(("7.5", "8.0", "8.6", "9.0", "10.0", "12.0"), source="the x86_64 list")
    variants = tuple(dataclasses.replace(v, architectures={p: x86_list for p in v.architectures})
                     for v in release.variants)  # the mistake issue 31 found: x86_64's list on aarch64
    edited = dataclasses.replace(catalog, frameworks={**catalog.frameworks, "pytorch": dataclasses.replace(
        pytorch, releases=(dataclasses.replace(release, variants=variants),))})
    found = wheelarch.arch_check(edited, ["pytorch"], files=_listing, read=_read, reachable=lambda host: False)
    (wrong,) = [a for a in found if a.state == "differs"]
    assert (wrong.release, wrong.target, wrong.platform) == ("2.15.0", "cuda-13.2", "linux-aarch64")
    assert wrong.wheel == ("8.0", "9.0", "10.0", "11.0", "12.0") and wrong.catalog[0] == "7.5"
    assert wrong.detail == "torch-2.15.0-aarch64.whl"


@pytest.mark.network
def test_pypis_newest_torch_wheels_hold_the_catalogs_lists(catalog):
    """Reads PyPI's torch 2.15.0 Linux wheels (two range requests each, ~35-50 MB) against frameworks/_gpu.toml."""
    import dataclasses

    pytorch = catalog.get("pytorch")
    newest = dataclasses.replace(catalog, frameworks={**catalog.frameworks, "pytorch": dataclasses.replace(
        pytorch, releases=pytorch.releases[:1])})
    found = wheelarch.arch_check(newest, ["pytorch"], reachable=lambda host: False)
    read = {(a.platform, a.state) for a in found if a.state != "unverified"}
    assert read == {("linux-x86_64", "same"), ("linux-aarch64", "same")}, found
