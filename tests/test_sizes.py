"""Download sizes: measured by `scaffold catalog sizes`, recorded in the catalog, shown before installing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scaffold import resolve_pins
from scaffold.catalog import load_catalog
from scaffold.models import Download
from scaffold.sizes import (
    claimed_sizes,
    measure,
    pick_file,
    size_findings,
    target_tags,
    write_sizes,
)

FILES = [  # the shapes of a PEP 691 answer (names as PyPI has them for numpy 2.4.6)
    {"filename": "numpy-2.4.6-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "size": 16_600_000},
    {"filename": "numpy-2.4.6-cp312-cp312-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl", "size": 14_100_000},
    {"filename": "numpy-2.4.6-cp312-cp312-macosx_14_0_arm64.whl", "size": 5_200_000},
    {"filename": "numpy-2.4.6-cp312-cp312-win_amd64.whl", "size": 12_900_000},
    {"filename": "numpy-2.4.6-cp311-cp311-win_amd64.whl", "size": 12_700_000},
    {"filename": "numpy-2.4.6.tar.gz", "size": 20_500_000},
    {"filename": "numpy-2.4.5-cp312-cp312-win_amd64.whl", "size": 1},
]


@pytest.mark.parametrize(("platform", "python", "size"), [
    ("linux-x86_64", "3.12", 16_600_000), ("linux-aarch64", "3.12", 14_100_000),
    ("macos-arm64", "3.12", 5_200_000), ("windows-x86_64", "3.12", 12_900_000), ("windows-x86_64", "3.11", 12_700_000),
    ("linux-x86_64", "3.13", 20_500_000),  # no wheel for it: pip would build the sdist
])
def test_the_file_pip_would_take_for_the_target(platform, python, size):
    assert pick_file(FILES, "numpy", "2.4.6", target_tags(platform, python)) == size


def test_pure_python_wheels_count_for_every_platform():
    files = [{"filename": "keras-3.15.1-py3-none-any.whl", "size": 1_500_000}]
    assert pick_file(files, "keras", "3.15.1", target_tags("macos-arm64", "3.12")) == 1_500_000
    assert pick_file(files, "keras", "3.15.0", target_tags("macos-arm64", "3.12")) is None


def test_measure_sums_the_resolved_tree_and_skips_unreachable_indexes(catalog):
    def resolve(lines, platform, python):
        return "--index-url https://pypi.org/simple\nnumpy==2.4.6\n    # via tensorflow\nkeras==3.15.1\n"

    def files(index, name):
        return FILES if name == "numpy" else [{"filename": "keras-3.15.1-py3-none-any.whl", "size": 1_500_000}]

    measured = {m.key: m for m in measure(catalog, ["tensorflow", "pytorch"], today="2026-12-01", files=files,
                                          resolve_lines=resolve, reachable=lambda host: False)}
    tf = measured["tensorflow/2.21.0/cpu/windows-x86_64"].download
    assert tf == Download(12_900_000 + 1_500_000, "3.12", 2, "2026-12-01",
                          claimed_sizes(catalog)["tensorflow/2.21.0/cpu/windows-x86_64"])
    cpu = measured["pytorch/2.15.0/cpu/linux-x86_64"]  # its wheels live on the PyTorch index, unreachable here
    assert cpu.download is None and "download.pytorch.org" in cpu.detail
    text = write_sizes(measured.values(), {}, claimed_sizes(catalog))
    assert '[downloads."tensorflow/2.21.0/cpu/windows-x86_64"]\nbytes = 14400000\n' in text
    assert "pytorch/2.15.0/cpu/linux-x86_64" not in text


def test_recorded_sizes_reach_the_pins_and_the_cli(catalog, tmp_path):
    key = next(iter(catalog.downloads), None)
    if key is None:
        pytest.skip("frameworks/_sizes.toml holds no measurement (run `scaffold catalog sizes`)")
    fid, version, target, platform, *opts = key.split("/")
    options = dict(o.split("=", 1) for o in opts)
    pins = resolve_pins(fid, target=target, platform=platform, python=catalog.downloads[key].python,
                        framework_version=version, options=options)
    assert pins.download == catalog.downloads[key]
    result = subprocess.run([sys.executable, "-m", "scaffold", "new", "Demo", "-f", fid, "-t", target, "--platform",
                             platform, "--python", pins.download.python, "--framework-version", version, "--dry-run",
                             *(a for k, v in options.items() for a in (f"--{k.replace('_', '-')}", v)),
                             "--no-input", "-o", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"downloads {pins.download.human()}" in result.stdout


# ---- a size belongs to the pins it measured (issue 31) ----

def _sized(tmp_path, catalog, text: str):
    """A copy of frameworks/ whose _sizes.toml is ``text``."""
    import shutil

    from scaffold._paths import frameworks_dir

    folder = tmp_path / "frameworks"
    shutil.copytree(frameworks_dir(), folder)
    (folder / "_sizes.toml").write_text(text, encoding="utf-8")
    return folder


def _entry(key: str, pins: str, size: int = 1000) -> str:
    return f'[downloads."{key}"]\nbytes = {size}\npackages = 3\npython = "3.12"\nmeasured = "2026-12-08"\npins = "{pins}"\n\n'


KEY = "tensorflow/2.21.0/cpu/windows-x86_64"


def test_a_size_measured_for_other_pins_is_stale_and_not_shown(tmp_path, catalog):
    digest = claimed_sizes(catalog)[KEY]
    old_jax = "keras/3.15.1/cuda-13.0/linux-x86_64/backend=jax"  # the variant is cuda-13.5 now (issue 31)
    folder = _sized(tmp_path, catalog, _entry(KEY, digest) + _entry("pytorch/2.15.0/cpu/windows-x86_64", "0" * 16)
                    + _entry(old_jax, "1" * 16) + '[downloads."sklearn/1.9.1/cpu/macos-arm64"]\nbytes = 5\n'
                    'packages = 1\npython = "3.12"\nmeasured = "2026-12-01"\n')
    edited = load_catalog(folder)
    assert {(f.key, f.state) for f in size_findings(edited)} == {
        ("pytorch/2.15.0/cpu/windows-x86_64", "stale"), (old_jax, "orphan"),
        ("sklearn/1.9.1/cpu/macos-arm64", "stale")}  # recorded before sizes carried their pins
    from scaffold.pins import resolve
    from scaffold.targets import TargetSpec

    fresh = resolve(edited, "tensorflow", target=TargetSpec("cpu"), platform="windows-x86_64", python="3.12")
    assert fresh.download is not None and fresh.download.bytes == 1000
    stale = resolve(edited, "pytorch", target=TargetSpec("cpu"), platform="windows-x86_64", python="3.12")
    assert stale.download is None  # never a figure for other pins


def test_a_changed_pin_makes_its_sizes_stale(tmp_path, catalog):
    digests = claimed_sizes(catalog)
    keys = [k for k in digests if k.startswith("tensorflow/2.21.0/")]
    folder = _sized(tmp_path, catalog, "".join(_entry(k, digests[k]) for k in keys))
    assert size_findings(load_catalog(folder)) == ()
    text = (folder / "_tooling.toml").read_text()
    (folder / "_tooling.toml").write_text(text.replace('ruff = "ruff==0.16.4"', 'ruff = "ruff==0.16.5"'))
    assert {f.key for f in size_findings(load_catalog(folder))} == set(keys)  # tooling every project gets


def test_catalog_sizes_rewrites_the_file_whole(catalog):
    digests = claimed_sizes(catalog)
    old = {KEY: Download(1, "3.12", 1, "2026-12-01", digests[KEY]),  # current, not measured again: kept
           "tensorflow/2.21.0/cpu/linux-x86_64": Download(2, "3.12", 1, "2026-12-01", "stale0000000000"),
           "keras/3.15.1/cuda-13.0/linux-x86_64/backend=jax": Download(3, "3.12", 1, "2026-12-01", "x")}
    from scaffold.sizes import Measured

    new = [Measured("pytorch/2.15.0/cpu/macos-arm64", Download(9, "3.12", 4, "2026-12-08", digests[
        "pytorch/2.15.0/cpu/macos-arm64"]))]
    text = write_sizes(new, old, digests)
    assert KEY in text and "pytorch/2.15.0/cpu/macos-arm64" in text
    assert "tensorflow/2.21.0/cpu/linux-x86_64" not in text and "backend=jax" not in text
    assert f'pins = "{digests[KEY]}"' in text


def test_the_recorded_sizes_are_current(catalog):
    """frameworks/_sizes.toml holds no size whose pins changed and none for a target the catalog dropped."""
    assert size_findings(catalog) == ()
