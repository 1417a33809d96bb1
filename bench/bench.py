"""Time scaffold's CLI against plain cookiecutter on a template of the same size, in one run.

    python bench/bench.py [--runs 9]

Reports the median wall time of each command and the ratios the project aims for:
``scaffold --help`` at most 0.6x ``cookiecutter --help``; ``scaffold new`` at most 1.0x
``cookiecutter --no-input`` on a template of similar size (the sklearn starter's own files).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _time(argv: list[str], runs: int, cwd: Path, before=None) -> float:
    samples = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _plain_template(work: Path) -> Path:
    """The sklearn starter (base + starter layers) as a plain cookiecutter template with the same context."""
    import scaffold
    from scaffold.catalog import default_catalog
    from scaffold.generator import _assemble, build_context, next_steps

    pins = scaffold.resolve_pins("sklearn", target="cpu", platform="linux-x86_64", python="3.11")
    fw = default_catalog().get("sklearn")
    context = build_context(name="Churn Model", slug="churn-model", package="churn_model", fw=fw, pins=pins,
                            task="tabular-classification", build_requires=default_catalog().build_requires,
                            steps=next_steps("churn-model", "churn_model", pins))
    repo = _assemble("sklearn-pipeline", "tabular-classification", work)
    settings = json.loads((ROOT / "templates/sklearn-pipeline/cookiecutter.json").read_text())
    full = {**context, **{k: v for k, v in settings.items() if k.startswith("_")}}
    (repo / "cookiecutter.json").write_text(json.dumps({"project_name": "Churn Model"}))
    # A replay file hands cookiecutter the same context scaffold renders with, without prompting
    # (cookiecutter refuses --no-input beside it; a replay never prompts). Plain --no-input would turn
    # the context's lists into choice prompts.
    (work / "replay.json").write_text(json.dumps({"cookiecutter": full}))
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    scaffold_cmd = [sys.executable, "-m", "scaffold"]
    cookiecutter_cmd = [sys.executable, "-m", "cookiecutter"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = _plain_template(work / "plain")
        out_s, out_c = work / "out-s", work / "out-c"

        def clean(path: Path):
            return lambda: shutil.rmtree(path, ignore_errors=True)

        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "scaffold --help": ([*scaffold_cmd, "--help"], None),
            "cookiecutter --help": ([*cookiecutter_cmd, "--help"], None),
            "scaffold recommend": ([*scaffold_cmd, "recommend", "--experience", "beginner", "--task",
                                    "tabular-classification", "--json"], None),
            "scaffold new": ([*scaffold_cmd, "new", "Churn Model", "--framework", "sklearn", "--target", "cpu",
                              "--platform", "linux-x86_64", "--python", "3.11", "--no-input", "--output-dir",
                              str(out_s)], clean(out_s)),
            "cookiecutter --no-input": ([*cookiecutter_cmd, "--replay-file", str(work / "plain" / "replay.json"),
                                         "--output-dir", str(out_c), str(template)], clean(out_c)),
        }
        # Round-robin, so a burst of load elsewhere on the machine hits every command alike.
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, before) in commands.items():
                samples[name].append(_time(argv, 1, work, before))
        results = {name: statistics.median(values) for name, values in samples.items()}
        files_s = sum(1 for p in (out_s / "churn-model").rglob("*") if p.is_file()) if out_s.exists() else 0
    for name, seconds in results.items():
        print(f"{name:<26} {seconds * 1000:8.0f} ms")
    help_ratio = results["scaffold --help"] / results["cookiecutter --help"]
    new_ratio = results["scaffold new"] / results["cookiecutter --no-input"]
    print(f"\nscaffold --help / cookiecutter --help        = {help_ratio:.2f}x (aim <= 0.6x)")
    print(f"scaffold new / cookiecutter --no-input       = {new_ratio:.2f}x (aim <= 1.0x; {files_s} files)")
    print(f"scaffold recommend / cookiecutter --help     = "
          f"{results['scaffold recommend'] / results['cookiecutter --help']:.2f}x")


if __name__ == "__main__":
    main()
