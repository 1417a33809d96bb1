"""The library surface: what `import scaffold` offers stays callable, whatever was imported before."""

from __future__ import annotations

import subprocess
import sys

import scaffold


def test_public_names_resolve_to_the_documented_objects():
    import scaffold.cli  # noqa: F401  (imports every submodule the commands use)
    import scaffold.generator  # noqa: F401
    import scaffold.recommender  # noqa: F401

    for name in ("recommend", "generate", "detect", "frameworks", "resolve_pins"):
        assert callable(getattr(scaffold, name)), name
    assert issubclass(scaffold.UsageError, scaffold.ScaffoldError)
    assert set(scaffold.__all__) >= {"recommend", "generate", "detect", "frameworks", "ScaffoldError"}


def test_generate_twice_in_one_process(tmp_path):
    for name in ("One", "Two"):
        scaffold.generate(name, framework="sklearn", target="cpu", output_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]


def test_import_is_cheap():
    code = "import sys, scaffold; print(sorted(m for m in sys.modules if m.startswith('scaffold')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['scaffold']"


# ---- decisions by the error's type, not its message ----

def test_an_unsupported_python_is_its_own_error_type():
    from scaffold.errors import PythonUnsupported, TargetError

    try:
        scaffold.resolve_pins("pytorch", target="cpu", platform="linux-x86_64", python="3.10", framework_version="2.15")
    except PythonUnsupported as e:
        assert isinstance(e, TargetError) and e.exit_code == 2 and str(e).startswith("--python 3.10 is not supported")
    else:
        raise AssertionError("PyTorch 2.15 has no Python 3.10 build")


def test_without_a_python_the_next_one_is_tried_and_the_auto_note_stays_first(monkeypatch):
    from pathlib import Path

    from scaffold import hardware

    monkeypatch.setattr(hardware, "this_python", lambda: "3.14")  # no TensorFlow release serves 3.14
    smi = (Path(__file__).parent / "recorded" / "nvidia-smi-h100x8.txt").read_text()
    machine = hardware.detect(probe=False, platform="linux-x86_64", nvidia_smi=smi)
    pins = scaffold.resolve_pins("tensorflow", target="auto", platform="linux-x86_64", machine=machine)
    assert pins.target.python == "3.13" and pins.target.accelerator == "cuda"
    assert pins.notes[0].startswith("auto: found ") and f"picked {pins.target.name}," in pins.notes[0]
    assert pins.notes[1] == (f"Python 3.14 (this interpreter) is not supported by TensorFlow {pins.framework_version}; "
                             "pinned for Python 3.13")


def test_an_error_that_is_not_about_python_is_not_retried_with_another_python(monkeypatch):
    from scaffold import hardware
    from scaffold.errors import PythonUnsupported, TargetError

    monkeypatch.setattr(hardware, "this_python", lambda: "3.14")
    try:
        scaffold.resolve_pins("tensorflow", target="rocm", platform="linux-x86_64")
    except TargetError as e:
        assert not isinstance(e, PythonUnsupported) and str(e).startswith("--target rocm is not available")
    else:
        raise AssertionError("TensorFlow has no ROCm build in the catalog")


def test_one_message_for_an_unknown_framework_wherever_it_is_looked_up():
    from scaffold import maintain, pins, sizes
    from scaffold.catalog import default_catalog
    from scaffold.errors import UsageError
    from scaffold.targets import TargetSpec

    catalog = default_catalog()
    expected = f"--framework 'nope' is not allowed; choose one of: {', '.join(catalog.frameworks)}"
    calls = [
        lambda: scaffold.resolve_pins("nope", target="cpu", platform="linux-x86_64", python="3.12"),
        lambda: pins.resolve(catalog, "nope", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.12"),
        lambda: maintain.catalog_check(catalog, ["nope"]),
        lambda: sizes.measure(catalog, ["nope"], today="2026-12-01"),
        lambda: catalog.framework("nope"),
    ]
    for call in calls:
        try:
            call()
        except UsageError as e:
            assert str(e) == expected
        else:
            raise AssertionError("an unknown framework was accepted")


def test_the_platform_is_checked_once_per_request(monkeypatch):
    from scaffold import pins, targets

    calls = []
    monkeypatch.setattr(pins, "check_platform", lambda p: calls.append(p) or targets.check_platform(p))
    scaffold.resolve_pins("sklearn", target="cpu", platform="linux-x86_64", python="3.12")
    assert calls == ["linux-x86_64"]
