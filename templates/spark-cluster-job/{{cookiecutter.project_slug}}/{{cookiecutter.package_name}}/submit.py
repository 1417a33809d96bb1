"""Package the project and hand it to ``spark-submit`` for a standalone, YARN or Kubernetes cluster.

Before anything runs, :func:`cluster_problems` checks that ``conf/<cluster>.conf`` says what that cluster
needs (a real master, an image, an upload location with its jars and credentials, executors' Python),
so a missing piece is one line here rather than a stack trace from a driver pod minutes later.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ENV_ALIAS = "environment"
PLACEHOLDER = "CHANGE-ME"


@dataclass(frozen=True)
class Submission:
    """One ``spark-submit`` call, built without side effects so it can be shown (``--dry-run``) or tested."""

    cluster: str
    job_config: Path
    properties: Path
    py_files: Path
    entry: Path
    job_args: tuple[str, ...] = ()
    master: str | None = None
    deploy_mode: str = "client"
    archive: Path | None = None
    driver_python: str = sys.executable
    extra: tuple[str, ...] = field(default_factory=tuple)

    def command(self, spark_submit: str) -> list[str]:
        """The argument list; settings come from the cluster's properties file, flags override it."""
        cmd = [
            spark_submit,
            "--properties-file",
            str(self.properties),
            "--deploy-mode",
            self.deploy_mode,
            "--name",
            PACKAGE.name,
            "--py-files",
            str(self.py_files),
        ]
        if self.master:
            cmd += ["--master", self.master]
        if self.archive:
            # The packed environment is unpacked in each executor's (and a cluster-mode driver's) working
            # directory as ./environment, so its Python, with the pinned packages, runs the job there.
            cmd += [
                "--archives",
                f"{self.archive}#{ENV_ALIAS}",
                "--conf",
                f"spark.pyspark.python=./{ENV_ALIAS}/bin/python",
            ]
            if self.deploy_mode == "client":
                # In client mode the driver runs here, where ./environment does not exist: it keeps this
                # interpreter, and only the executors use the archive's.
                cmd += ["--conf", f"spark.pyspark.driver.python={self.driver_python}"]
        if self.deploy_mode == "cluster":
            # In cluster mode the driver runs on the cluster: ship job.toml and name it by its basename,
            # which is where YARN and Kubernetes place --files in the driver's working directory.
            cmd += ["--files", str(self.job_config)]
            config_arg = self.job_config.name
        else:
            config_arg = str(self.job_config)
        cmd += [*self.extra, str(self.entry), *self.job_args, "--config", config_arg]
        return cmd


def hadoop_version(spark_home: Path | None = None) -> str | None:
    """The Hadoop client release inside this Spark (``hadoop-client-api-X.Y.Z.jar``): hadoop-aws must match it."""
    if spark_home is None:
        import pyspark

        spark_home = Path(os.environ.get("SPARK_HOME") or Path(pyspark.__file__).parent)
    for jar in sorted((spark_home / "jars").glob("hadoop-client-api-*.jar")):
        return jar.name.removeprefix("hadoop-client-api-").removesuffix(".jar")
    return None


def cluster_problems(
    cluster: str,
    properties: Mapping[str, str],
    source: str,
    *,
    master: str,
    deploy_mode: str,
    archive: Path | None,
    environ: Mapping[str, str],
    hadoop: str | None,
) -> list[str]:
    """What ``conf/<cluster>.conf`` (and the command line) still lack for ``cluster``; empty when ready."""
    # --master replaces spark.master, so a placeholder left there does not matter.
    problems = [
        f"{source}: {key} is still {value!r}; fill it in"
        for key, value in properties.items()
        if PLACEHOLDER in value and not (key == "spark.master" and master != value)
    ]
    if PLACEHOLDER in master:
        master = ""  # reported above with its key; the checks of its shape would only repeat that
    python_set = archive is not None or "spark.pyspark.python" in properties
    if cluster == "standalone" and master and not master.startswith("spark://"):
        problems.append(f"{source}: spark.master {master!r} is not a standalone master (spark://HOST:7077)")
    if cluster == "yarn":
        if master and master != "yarn":
            problems.append(f"{source}: spark.master {master!r}: YARN's is 'yarn'")
        conf_dir = environ.get("HADOOP_CONF_DIR") or environ.get("YARN_CONF_DIR")
        if not conf_dir or not Path(conf_dir).is_dir():
            problems.append(
                "YARN needs HADOOP_CONF_DIR (or YARN_CONF_DIR) set to the cluster's client "
                "configuration folder (core-site.xml, yarn-site.xml)"
            )
        if not python_set:
            problems.append(
                "YARN executors need Python with the pinned packages: pass --archive env.tar.gz "
                "(venv-pack) or set spark.pyspark.python in " + source
            )
    if cluster == "kubernetes":
        if master and not master.startswith("k8s://"):
            problems.append(f"{source}: spark.master {master!r}: Kubernetes' is k8s://https://API_SERVER:PORT")
        if not properties.get("spark.kubernetes.container.image"):
            problems.append(
                f"{source}: spark.kubernetes.container.image is not set (an image with Spark, "
                "Java and Python with the pinned packages)"
            )
        if deploy_mode == "client" and "spark.driver.host" not in properties:
            problems.append(
                f"{source}: client mode on Kubernetes needs spark.driver.host, an address of this "
                "machine that the executor pods can reach (or use --deploy-mode cluster)"
            )
        upload = properties.get("spark.kubernetes.file.upload.path", "")
        if deploy_mode == "cluster" and not upload:
            problems.append(
                f"{source}: cluster mode needs spark.kubernetes.file.upload.path, storage that "
                "spark-submit uploads the code to and the driver pod reads from (s3a://, hdfs://)"
            )
        if upload.startswith("s3a://") and PLACEHOLDER not in upload:
            problems += _s3a_problems(properties, source, hadoop)
    return problems


def _s3a_problems(properties: Mapping[str, str], source: str, hadoop: str | None) -> list[str]:
    """s3a:// needs hadoop-aws (of Spark's own Hadoop release) on the client and in the image, and credentials."""
    problems = []
    jars = properties.get("spark.jars.packages", "") + "," + properties.get("spark.jars", "")
    match = re.search(r"hadoop-aws[:-](\d[\w.]*?)(?:\.jar)?(?:,|$)", jars)
    wanted = f"org.apache.hadoop:hadoop-aws:{hadoop}" if hadoop else "org.apache.hadoop:hadoop-aws:<Spark's Hadoop>"
    if not match:
        problems.append(f"{source}: s3a:// needs the hadoop-aws jar: add spark.jars.packages {wanted}")
    elif hadoop and match.group(1) != hadoop:
        problems.append(
            f"{source}: hadoop-aws {match.group(1)} does not match this Spark's Hadoop {hadoop}; use {wanted}"
        )
    keys = ("spark.hadoop.fs.s3a.aws.credentials.provider", "spark.hadoop.fs.s3a.access.key")
    if not any(k in properties for k in keys):
        problems.append(
            f"{source}: s3a:// needs credentials for the client and the driver pod: set "
            "spark.hadoop.fs.s3a.aws.credentials.provider (e.g. a web-identity or instance-profile "
            "provider) or spark.hadoop.fs.s3a.access.key and secret.key"
        )
    return problems


# The file spark-submit runs on the driver. It lives outside the package so that running it as a
# script does not put the package folder (config.py, job.py, ...) at the front of sys.path.
ENTRY_SCRIPT = f"""\"\"\"Driver entry point written by `python -m {PACKAGE.name} submit`.\"\"\"
import sys

from {PACKAGE.name}.cli import main

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


def find_spark_submit() -> str | None:
    """``$SPARK_HOME/bin/spark-submit`` (a cluster's own Spark on an edge node) or the one pyspark installed."""
    candidates = []
    if os.environ.get("SPARK_HOME"):
        candidates.append(Path(os.environ["SPARK_HOME"]) / "bin" / "spark-submit")
    candidates.append(Path(sys.executable).parent / "spark-submit")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("spark-submit")
