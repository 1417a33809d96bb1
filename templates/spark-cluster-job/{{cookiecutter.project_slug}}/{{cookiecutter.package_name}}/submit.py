"""Package the project and hand it to ``spark-submit`` for a standalone, YARN or Kubernetes cluster."""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ENV_ALIAS = "environment"


@dataclass(frozen=True)
class Submission:
    """One ``spark-submit`` call, built without side effects so it can be shown (``--dry-run``) or tested."""

    cluster: str
    job_config: Path
    properties: Path
    py_files: Path
    entry: Path
    master: str | None = None
    deploy_mode: str = "client"
    archive: Path | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)

    def command(self, spark_submit: str) -> list[str]:
        """The argument list; settings come from the cluster's properties file, flags override it."""
        cmd = [spark_submit, "--properties-file", str(self.properties), "--deploy-mode", self.deploy_mode,
               "--name", PACKAGE.name, "--py-files", str(self.py_files)]
        if self.master:
            cmd += ["--master", self.master]
        if self.archive:
            # The packed virtualenv is unpacked next to each executor (and a cluster-mode driver) as
            # ./environment, so its Python, with pyspark's companions, runs the job there.
            cmd += ["--archives", f"{self.archive}#{ENV_ALIAS}",
                    "--conf", f"spark.pyspark.python=./{ENV_ALIAS}/bin/python"]
        if self.deploy_mode == "cluster":
            # In cluster mode the driver runs on the cluster: ship job.ini and name it by its basename,
            # which is where YARN and Kubernetes place --files in the driver's working directory.
            cmd += ["--files", str(self.job_config)]
            config_arg = self.job_config.name
        else:
            config_arg = str(self.job_config)
        cmd += [*self.extra, str(self.entry), "--config", config_arg]
        return cmd


# The file spark-submit runs on the driver. It lives outside the package so that running it as a
# script does not put the package folder (config.py, job.py, ...) at the front of sys.path.
ENTRY_SCRIPT = f"""\"\"\"Driver entry point written by `python -m {PACKAGE.name} submit`.\"\"\"
import sys

from {PACKAGE.name}.__main__ import main

sys.exit(main(["run-submitted", *sys.argv[1:]]))
"""


def build_artifacts(dist: Path) -> tuple[Path, Path]:
    """Zip the package (code and ``spark_platform.json``) for ``--py-files`` and write the entry script.

    Returns ``(zip, entry script)``. Executors and the driver import the package from the zip, so a
    cluster runs exactly the code in this checkout.
    """
    dist.mkdir(parents=True, exist_ok=True)
    py_files = dist / f"{PACKAGE.name}.zip"
    with zipfile.ZipFile(py_files, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, Path(PACKAGE.name) / path.relative_to(PACKAGE))
    entry = dist / f"{PACKAGE.name}_job.py"
    entry.write_text(ENTRY_SCRIPT, encoding="utf-8")
    return py_files, entry


def find_spark_submit() -> str:
    """``$SPARK_HOME/bin/spark-submit`` (a cluster's own Spark on an edge node) or the one pyspark installed."""
    candidates = []
    if os.environ.get("SPARK_HOME"):
        candidates.append(Path(os.environ["SPARK_HOME"]) / "bin" / "spark-submit")
    candidates.append(Path(sys.executable).parent / "spark-submit")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("spark-submit")
    if found:
        return found
    raise FileNotFoundError("spark-submit not found: set SPARK_HOME or install the pinned pyspark")
