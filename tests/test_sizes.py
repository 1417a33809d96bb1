"""Download sizes: measured by `scaffold catalog sizes`, recorded in the catalog, shown before installing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scaffold import resolve_pins
from scaffold.models import Download
from scaffold.sizes import measure, pick_file, target_tags, write_sizes

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
    assert tf == Download(12_900_000 + 1_500_000, "3.12", 2, "2026-12-01")
    cpu = measured["pytorch/2.15.0/cpu/linux-x86_64"]  # its wheels live on the PyTorch index, unreachable here
    assert cpu.download is None and "download.pytorch.org" in cpu.detail
    text = write_sizes(measured.values(), {})
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
