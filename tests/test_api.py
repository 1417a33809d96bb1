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
