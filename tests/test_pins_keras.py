"""Keras pins: one backend per variant, the backend default, the errors, and the torch index pins.

Every combination the catalog claims is also resolved with uv by tests/test_pins_resolve.py; this
file checks what is particular to Keras.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from scaffold.catalog import default_catalog
from scaffold.errors import ScaffoldError
from scaffold.locking import compile_lock, pin_lines
from scaffold.models import PinSet
from scaffold.pins import resolve
from scaffold.targets import TargetSpec

CATALOG = default_catalog()
KERAS = CATALOG.get("keras")
# The distribution that carries each backend (extras such as [and-cuda] or [cuda12] select its build).
BACKEND_PACKAGES = {"tensorflow": {"tensorflow", "tensorflow-cpu"}, "jax": {"jax"}, "torch": {"torch"}}


def _resolve(target: str, platform: str, python: str = "3.12", backend: str | None = None) -> PinSet:
    accelerator, _, version = target.partition("-")
    return resolve(CATALOG, "keras", target=TargetSpec(accelerator, version or None), platform=platform,
                   python=python, options={"backend": backend} if backend else None)


def _names(pins: PinSet) -> set[str]:
    return {Requirement(req).name for req in pins.requirements}


def test_each_variant_pins_keras_and_exactly_its_own_backend(claims):
    wrong = []
    for fid, release, variant, platform, python, pins in claims:
        if fid != "keras":
            continue
        backend, names = variant.options["backend"], _names(pins)
        carried = {other for other, packages in BACKEND_PACKAGES.items() if names & packages}
        if f"keras=={release.version}" not in pins.requirements or carried != {backend}:
            wrong.append(f"{backend} {variant.target} {platform} py{python}: {pins.requirements}")
    assert not wrong, "\n".join(wrong)


def test_every_backend_serves_cpu_on_every_platform():
    for backend in BACKEND_PACKAGES:
        for platform in ("linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64"):
            assert _resolve("cpu", platform, "3.12", backend).target.accelerator == "cpu"


@pytest.mark.parametrize(("target", "platform", "python", "backend", "package"), [
    ("cpu", "linux-x86_64", "3.12", "tensorflow", "tensorflow-cpu"),   # TensorFlow where it can
    ("cpu", "macos-arm64", "3.12", "tensorflow", "tensorflow"),        # no tensorflow-cpu wheel there
    ("cuda", "linux-x86_64", "3.12", "tensorflow", "tensorflow"),      # tensorflow[and-cuda]
    ("mps", "macos-arm64", "3.12", "torch", "torch"),                  # the backend that uses the Apple GPU
    ("cuda", "windows-x86_64", "3.12", "torch", "torch"),              # TensorFlow has no native Windows GPU
    ("cpu", "linux-x86_64", "3.14", "jax", "jax"),                     # TensorFlow 2.21 stops at Python 3.13
])
def test_default_backend_is_the_one_that_serves_the_target(target, platform, python, backend, package):
    pins = _resolve(target, platform, python)
    assert pins.options["backend"] == backend
    assert package in _names(pins)
    defaulted = backend != "tensorflow" and target != "mps"
    assert any("was chosen because the default, tensorflow" in note for note in pins.notes) == defaulted


def test_cuda_builds_come_with_their_extras_and_indexes():
    assert "tensorflow[and-cuda]==2.21.0" in _resolve("cuda", "linux-x86_64", backend="tensorflow").requirements
    assert "jax[cuda13]==0.10.2" in _resolve("cuda", "linux-x86_64", backend="jax").requirements
    assert "jax[cuda12]==0.10.2" in _resolve("cuda-12.9", "linux-x86_64", backend="jax").requirements
    cu126 = _resolve("cuda-12.6", "windows-x86_64", backend="torch")
    assert cu126.index_lines[0] == "--index-url https://download.pytorch.org/whl/cu126"
    assert cu126.uv_sources == {"torch": ({"index": "pytorch-cu126"},)}
    linux_cpu = _resolve("cpu", "linux-x86_64", backend="torch")
    assert linux_cpu.index_lines[0] == "--index-url https://download.pytorch.org/whl/cpu"
    # PyPI's Linux torch wheel is the CUDA 13.0 build, so the CUDA 13 variant needs no extra index.
    assert _resolve("cuda-13.0", "linux-x86_64", backend="torch").index_lines == ()


@pytest.mark.parametrize(("target", "platform", "python", "backend", "expected"), [
    ("cuda", "windows-x86_64", "3.12", "tensorflow", ["available: cpu", "WSL2"]),
    ("cuda", "windows-x86_64", "3.12", "jax", ["available: cpu", "WSL2"]),
    ("mps", "macos-arm64", "3.12", "jax", ["available: cpu", "--backend torch"]),
    ("mps", "macos-arm64", "3.12", "tensorflow", ["available: cpu", "--backend torch"]),
    ("cuda", "linux-aarch64", "3.12", "tensorflow", ["available: cpu", "--backend jax"]),
    ("cuda-12.6", "linux-x86_64", "3.12", "jax", ["available: cpu, cuda-12.9, cuda-13.5"]),
    ("cpu", "linux-x86_64", "3.14", "tensorflow", ["available: none"]),
    ("cpu", "linux-x86_64", "3.10", "torch", ["supported: 3.11, 3.12, 3.13, 3.14"]),
])
def test_invalid_combinations_name_the_valid_ones(target, platform, python, backend, expected):
    with pytest.raises(ScaffoldError) as error:
        _resolve(target, platform, python, backend)
    for text in expected:
        assert text in str(error.value)


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ScaffoldError, match="choose one of: tensorflow, jax, torch"):
        _resolve("cpu", "linux-x86_64", backend="theano")


def test_tensorflow_backend_matches_the_tensorflow_catalog():
    """The Keras TensorFlow backend and the TensorFlow starter pin the same TensorFlow release."""
    releases = CATALOG.get("tensorflow").releases
    pinned = {Requirement(req).specifier for r in KERAS.releases for v in r.variants
              if v.options["backend"] == "tensorflow" for req in v.requirements if req.startswith("tensorflow")}
    assert pinned == {Requirement(f"tensorflow=={releases[0].version}").specifier}


@pytest.mark.network
@pytest.mark.parametrize("platform", ["linux-x86_64", "linux-aarch64"])
def test_torch_cpu_pins_resolve_without_their_index(platform):
    """Where download.pytorch.org is unreachable, prove at least that Keras, numpy and torch resolve together
    for the platform from PyPI's build of the same version, so only the index's own wheel is unverified."""
    pins = _resolve("cpu", platform, "3.12", "torch")
    (torch,) = [r for r in pins.requirements if r.startswith("torch==")]
    assert torch.endswith("+cpu")
    # PyPI has no +cpu build: the same version from PyPI stands in for the index's wheel.
    without_index = PinSet(**{**pins.__dict__, "index_lines": (),
                              "requirements": tuple(r.replace("+cpu", "") for r in pins.requirements)})
    lock = compile_lock(pin_lines(without_index), platform=platform, python="3.12", hashes=False)
    assert f"{torch.removesuffix('+cpu')}\n" in lock
