"""Maintainer commands: the proof-of-pins table and the newer-releases check (recorded PyPI answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scaffold import ToolError
from scaffold.maintain import (
    catalog_check,
    claimed_combinations,
    count_outcomes,
    fetch_pypi_json,
    format_table,
    newer_releases,
    prove_pins,
)

RECORDED = Path(__file__).parent / "recorded"
# A proxy nothing listens on: urllib fails at once, as it does without network.
NO_NETWORK = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}


def pypi(package: str) -> dict:
    return json.loads((RECORDED / f"pypi-{package}.json").read_text())


def test_newer_final_releases_newest_first(catalog):
    sklearn = catalog.get("sklearn")
    behind = replace(sklearn, releases=tuple(r for r in sklearn.releases if r.version == "1.7.2"))
    stale = newer_releases(behind, pypi("scikit-learn"))
    assert stale.newest_pinned == "1.7.2"
    assert [v for v, _ in stale.newer] == ["1.9.1", "1.9.0", "1.8.0"]  # the release candidates are left out
    assert all(len(d) == 10 and d.startswith("20") for _, d in stale.newer)
    assert newer_releases(sklearn, pypi("scikit-learn")).newer == ()  # the catalog is current


def test_yanked_and_empty_releases_do_not_count(catalog):
    doc = pypi("torch")
    doc["releases"]["2.16.0"] = [{**f, "yanked": True} for f in doc["releases"]["2.15.0"]]
    doc["releases"]["2.17.0"] = []
    doc["releases"]["not-a-version"] = doc["releases"]["2.15.0"]
    assert newer_releases(catalog.get("pytorch"), doc).newer == ()


def test_a_framework_without_pins_lists_everything(catalog):
    empty = replace(catalog.get("pytorch"), releases=())
    stale = newer_releases(empty, pypi("torch"))
    assert stale.newest_pinned is None and [v for v, _ in stale.newer] == ["2.15.0", "2.14.1", "2.14.0", "2.13.0"]


def test_catalog_check_takes_the_fetch_as_a_parameter(catalog):
    report = catalog_check(catalog, ["sklearn", "pytorch"], fetch=lambda package: pypi(package))
    assert [(r.framework, r.package, r.newer) for r in report] == [("sklearn", "scikit-learn", ()),
                                                                   ("pytorch", "torch", ())]


def test_offline_catalog_check_is_one_line_exit_1():
    result = subprocess.run([sys.executable, "-m", "scaffold", "catalog", "check", "-f", "sklearn"],
                            capture_output=True, text=True, env={**os.environ, **NO_NETWORK}, timeout=60)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("failed: cannot reach PyPI (https://pypi.org/pypi/scikit-learn/json")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.network
def test_pypi_answers_for_every_framework(catalog):
    for fid in ("sklearn", "pytorch"):
        fw = catalog.get(fid)
        doc = fetch_pypi_json(fw.package)
        assert fw.releases[0].version in doc["releases"]  # the newest pin is a real release
        stale = newer_releases(fw, doc)
        assert all(v not in {r.version for r in fw.releases} for v, _ in stale.newer)
    with pytest.raises(ToolError, match="PyPI answered 404"):
        fetch_pypi_json("no-such-package-scaffold-ml-test-0f3a")


def test_prove_counts_unverified_and_failed_never_as_passed(catalog):
    claimed = list(claimed_combinations(catalog, "pytorch"))

    def compile_pins(pins):
        if pins.framework == "pytorch" and pins.target.platform == "windows-x86_64" and pins.target.python == "3.14":
            raise ToolError("cannot lock: no torch wheel")

    report = prove_pins(catalog, ["pytorch", "sklearn"], reachable=lambda host: host == "pypi.org",
                        compile_pins=compile_pins, jobs=2)
    counts = report.counts()
    torch = counts["pytorch"]
    assert torch["claimed"] == len(claimed) == torch["resolved"] + torch["unverified"] + torch["failed"]
    assert torch["unverified"] > 0 and torch["failed"] > 0
    assert all(c.framework == "pytorch" and c.platform == "windows-x86_64" and c.python == "3.14"
               for c in report.failed)
    unverified = [c for c in report.combinations if c.outcome == "unverified"]
    assert all("download.pytorch.org is not reachable" in c.detail for c in unverified)
    assert counts["sklearn"] == {"claimed": 32, "resolved": 32, "unverified": 0, "failed": 0}


def test_the_table():
    table = format_table(count_outcomes(["sklearn", "spark"], [("sklearn", "resolved"), ("sklearn", "failed")]))
    lines = table.splitlines()
    assert lines[0].split() == ["framework", "claimed", "resolved", "unverified", "failed"]
    assert lines[2].split() == ["sklearn", "2", "1", "0", "1"] and lines[3].split() == ["spark", "0", "0", "0", "0"]
    assert lines[-1].split() == ["total", "2", "1", "0", "1"]


DEAD_INDEX = {"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_DEFAULT_INDEX": "http://127.0.0.1:9/simple",
              "UV_HTTP_RETRIES": "0", "UV_NO_CACHE": "1", **NO_NETWORK, "HTTP_PROXY": "http://127.0.0.1:9",
              "http_proxy": "http://127.0.0.1:9"}


def test_prove_with_the_index_and_proxy_unreachable_is_unverified_never_failed(tmp_path):
    """Whatever index or proxy the environment names: when it does not answer, nothing is proven either way."""
    result = subprocess.run([sys.executable, "-m", "scaffold", "catalog", "prove", "-f", "sklearn", "--json"],
                            capture_output=True, text=True, env={**os.environ, **DEAD_INDEX}, timeout=300)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]["sklearn"]
    assert counts["failed"] == 0 and counts["resolved"] == 0 and counts["unverified"] == counts["claimed"] > 0


def test_prove_command_prints_the_table_and_why_nothing_was_proven(catalog):
    claimed = len(list(claimed_combinations(catalog, "sklearn")))
    result = subprocess.run([sys.executable, "-m", "scaffold", "catalog", "prove", "-f", "sklearn"],
                            capture_output=True, text=True, env={**os.environ, **DEAD_INDEX}, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["framework", "claimed", "resolved", "unverified", "failed"]
    assert lines[2].split() == ["sklearn", str(claimed), "0", str(claimed), "0"]
    reasons = lines[5:]  # after the five lines of the table
    assert reasons and all(r.startswith("unverified: ") and " combinations (sklearn): " in r for r in reasons)
    assert sum(int(r.split()[1]) for r in reasons) == claimed


def test_identical_pins_are_resolved_once_and_keep_what_uv_answered(catalog):
    calls = []

    def compile_pins(pins):
        calls.append((tuple(pins.requirements), pins.target.platform, pins.target.python))
        return "scikit-learn==1.9.1\n    # via -r requirements.txt\nnumpy==2.4.6 \\\n    --hash=sha256:00\n"

    report = prove_pins(catalog, ["sklearn", "sagemaker"], compile_pins=compile_pins, reachable=lambda host: True)
    distinct = {(tuple(c.resolved), c.framework, c.release, c.target, c.platform, c.python, c.options)
                for c in report.combinations}
    assert len(distinct) == len(report.combinations)  # each claim keeps its own row
    assert len(calls) == len(set(calls)) < len(report.combinations)  # sagemaker's CPU claims share their pins
    assert {c.resolved for c in report.combinations} == {(("scikit-learn", "1.9.1"), ("numpy", "2.4.6"))}


def test_a_real_resolution_failure_is_failed(catalog):
    def unsatisfiable(pins):
        raise ToolError("cannot lock: uv could not resolve the pins: no version of scikit-learn==99.0")

    report = prove_pins(catalog, ["sklearn"], jobs=2, compile_pins=unsatisfiable)
    assert report.counts()["sklearn"]["failed"] == report.counts()["sklearn"]["claimed"] > 0


@pytest.mark.parametrize("jobs", [0, -1, 1.5, "4", True])
def test_prove_refuses_a_bad_jobs_count(catalog, jobs):
    from scaffold import UsageError

    with pytest.raises(UsageError, match="--jobs"):
        prove_pins(catalog, ["sklearn"], jobs=jobs, compile_pins=lambda pins: None)


def _one_claim(catalog, fid: str = "sklearn"):
    """The catalog cut to ``fid``'s newest release on Linux x86_64 and Python 3.12: one real resolution."""
    fw = catalog.get(fid)
    release = fw.releases[0]
    variant = replace(release.variants[0], platforms=("linux-x86_64",), python=("3.12",))
    small = replace(fw, releases=(replace(release, variants=(variant,)),))
    return replace(catalog, frameworks={fid: small})


@pytest.mark.network
def test_a_kept_proof_cache_answers_offline_what_the_index_answered(catalog, tmp_path):
    """The second proof with the same cache resolves from it alone and finds exactly what the index gave."""
    small, cache = _one_claim(catalog), tmp_path / "proof-cache"
    first = prove_pins(small, cache=cache)
    second = prove_pins(small, cache=cache)
    assert [c.outcome for c in first.combinations] == ["resolved"], first.combinations
    assert (first.from_cache, second.from_cache) == (0, 1)
    assert second.combinations == first.combinations and first.combinations[0].resolved
    assert json.loads((cache / "scaffold-proof-cache.json").read_text())["made_by"] == "scaffold catalog prove"
    kept = list((cache / "answers").iterdir())
    assert len(kept) == 1 and "==" in kept[0].read_text()  # the resolved lock, answered again without uv


def test_a_proof_cache_is_trusted_for_a_day_then_cleaned(tmp_path):
    from scaffold.maintain import proof_cache

    def uv_entries(folder: Path) -> list[Path]:
        return [p for p in folder.rglob("*") if p.is_file() and p.name not in ("CACHEDIR.TAG", ".lock", ".gitignore")]

    cache, empty = tmp_path / "proof-cache", tmp_path / "empty.txt"
    empty.write_text("")
    with proof_cache(cache, now=lambda: 1_000_000.0) as folder:
        assert folder == cache / "uv"
        # a real entry: uv records the interpreter it found (no network needed)
        subprocess.run([sys.executable, "-m", "uv", "pip", "compile", "--offline", "-q", str(empty)], check=True,
                       env={**os.environ, "UV_CACHE_DIR": str(folder)}, capture_output=True, timeout=120)
    entries = uv_entries(cache / "uv")
    assert entries  # kept by `uv cache prune`: they are uv's own
    (cache / "answers").mkdir()
    (cache / "answers" / "0.txt").write_text("numpy==2.4.6\n")  # a kept resolution goes with its cache
    with proof_cache(cache, now=lambda: 1_000_000.0 + 23 * 3600):
        assert uv_entries(cache / "uv") == entries and (cache / "answers" / "0.txt").is_file()
    with proof_cache(cache, now=lambda: 1_000_000.0 + 25 * 3600):
        assert not uv_entries(cache / "uv")  # emptied by `uv cache clean`, then stamped afresh
        assert not (cache / "answers").exists()
    assert json.loads((cache / "scaffold-proof-cache.json").read_text())["started"] == 1_000_000.0 + 25 * 3600
    with proof_cache() as temporary:
        assert temporary.is_dir()
    assert not temporary.exists()


def test_a_folder_no_proof_made_is_refused_and_left_alone(tmp_path):
    from scaffold import UsageError
    from scaffold.maintain import proof_cache

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="holds files no proof made"), proof_cache(mine):
        pass
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    with pytest.raises(UsageError, match="it is a file"), proof_cache(mine / "notes.txt"):
        pass
    result = subprocess.run([sys.executable, "-m", "scaffold", "catalog", "prove", "-f", "sklearn", "--cache", str(mine)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "holds files no proof made" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_the_prune_gate_waits_for_every_resolution_and_holds_new_ones():
    """`uv cache prune` runs alone: after the resolutions in flight, before the next one starts."""
    import threading
    import time

    from scaffold.maintain import _Gate

    gate, events = _Gate(), []
    inside, release = threading.Event(), threading.Event()

    def resolution(name: str, hold: bool) -> None:
        with gate.sharing():
            events.append(f"{name} in")
            if hold:
                inside.set()
                release.wait(5)
            events.append(f"{name} out")

    def prune() -> None:
        with gate.alone():
            events.append("prune")

    first = threading.Thread(target=resolution, args=("first", True))
    first.start()
    inside.wait(5)
    pruning = threading.Thread(target=prune)
    pruning.start()
    time.sleep(0.2)
    second = threading.Thread(target=resolution, args=("second", False))
    second.start()
    time.sleep(0.2)
    assert events == ["first in"]  # the prune waits for the first; the second waits behind the prune
    release.set()
    for thread in (first, pruning, second):
        thread.join(5)
    assert events == ["first in", "first out", "prune", "second in", "second out"]


# ---- every other pin: newer releases reported, never failed (issue 31) ----

def _files(name: str, version: str, plats: tuple[str, ...], pys: tuple[str, ...] = ("cp311", "cp312", "cp313")) -> list:
    return [{"filename": f"{name.replace('-', '_')}-{version}-{py}-{py}-{p}.whl", "requires_python": ">=3.10"}
            for py in pys for p in plats]


def test_pins_beyond_the_newest_claims_are_held_to_pypi(catalog):
    from scaffold.maintain import pin_check, pinned_uses

    uses = pinned_uses(catalog)
    names = {name for name, _ in uses}
    # what issue 31 found nothing checks: the AWS SDK, moto, tensorboard, the CUDA wheels, Keras's torch, tooling
    assert {"boto3", "moto", "tensorboard", "nvidia-cudnn-cu12", "nvidia-cuda-runtime", "torch", "ruff"} <= names
    assert "numpy" not in names and "pandas" not in names  # promised the newest: the companion check's
    assert ("tensorflow-cpu", "2.19.1") not in uses  # a release's own build under another name
    everywhere = ("manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_11_0_arm64", "win_amd64")

    def fetch(name: str) -> dict:
        if name == "moto":  # a newer pure-Python release: reported
            return {"releases": {"5.2.5": [{"filename": "moto-5.2.5-py3-none-any.whl"}],
                                 "5.3.0": [{"filename": "moto-5.3.0-py3-none-any.whl"}],
                                 "5.4.0rc1": [{"filename": "moto-5.4.0rc1-py3-none-any.whl"}]}}
        if name == "tensorboard":  # newer, but without a file for Windows: not where the pin installs
            return {"releases": {"2.21.0": [{"filename": "tensorboard-2.21.0-py3-none-any.whl"}],
                                 "2.22.0": _files("tensorboard", "2.22.0", everywhere[:3])}}
        return {"releases": {}}

    report = pin_check(catalog, fetch=fetch)
    # tensorboard 2.21.0 is newer than what TensorFlow 2.19/2.20 pin; 2.22.0 has no Windows wheel: not offered
    assert [(p.package, p.pinned, p.newest) for p in report] == [
        ("moto", "5.2.5", "5.3.0"), ("tensorboard", "2.19.0", "2.21.0"), ("tensorboard", "2.20.0", "2.21.0")]
    assert report[0].used_by[0].startswith("sagemaker 3.27.0 ")
    assert report[1].used_by == ("tensorflow 2.19.1 cpu", "tensorflow 2.19.1 cuda-12.5")


def test_check_json_lists_pins_and_sizes(tmp_path):
    """`catalog check --json` carries the new findings beside the old ones (the shape automation reads)."""
    code = ("import json, sys\nfrom scaffold import cli, maintain\n"
            "maintain.fetch_pypi_json = lambda name, **k: {'releases': {}}\n"
            "sys.argv = ['scaffold', 'catalog', 'check', '-f', 'sagemaker', '--json']\ncli.main()\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"frameworks", "companions", "pins", "sizes"}
