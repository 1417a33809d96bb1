"""What this project was pinned to, and the start-up check that the JVM can run it.

The facts live in ``spark_platform.json``, written by scaffold-ml from its catalog when the
project was generated; nothing here repeats them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources

from .runtime import EnvironmentProblem


@dataclass(frozen=True)
class SparkPlatform:
    """The Spark release this project targets and what that release runs on."""

    spark: str
    scala: str
    java: tuple[str, ...]
    python: str


class JavaError(EnvironmentProblem):
    """Raised when Java is missing or of a version this Spark release does not support; exit status 1."""


def load_platform() -> SparkPlatform:
    """Read ``spark_platform.json`` (works from a source tree and from a ``--py-files`` zip)."""
    raw = json.loads(resources.files(__package__).joinpath("spark_platform.json").read_text("utf-8"))
    return SparkPlatform(spark=raw["spark"], scala=raw["scala"], java=tuple(raw["java"]), python=raw["python"])


def parse_java_major(version_output: str) -> str:
    """The feature release ("8", "17", "21", ...) from ``java -version`` output.

    Java 8 and older report ``1.8.0_392``; Java 9 and newer report ``17.0.15`` or just ``21``.
    """
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        raise JavaError(f"could not read a Java version from: {version_output.strip()[:200]!r}")
    major, minor = match.group(1), match.group(2)
    return minor if major == "1" and minor else major


def java_command() -> str | None:
    """The ``java`` Spark will launch: ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, as Spark's scripts do."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = os.path.join(home, "bin", "java")
        return candidate if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def check_java(platform: SparkPlatform | None = None, java: str | None = None) -> str:
    """Return the Java feature release if this Spark supports it, else raise :class:`JavaError`.

    Spark fails late and obscurely on an unsupported JVM (class-file or module errors deep in a
    stack trace), so the job checks before it starts one.
    """
    platform = platform or load_platform()
    supported = ", ".join(platform.java)
    java = java or java_command()
    if java is None:
        where = "JAVA_HOME/bin/java" if os.environ.get("JAVA_HOME") else "java on PATH"
        raise JavaError(
            f"Spark {platform.spark} needs Java ({supported}) but found no {where}. "
            "Install one (Debian/Ubuntu: `apt-get install openjdk-<version>-jre-headless`) "
            "or point JAVA_HOME at one."
        )
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    major = parse_java_major(result.stderr or result.stdout)
    if major not in platform.java:
        raise JavaError(
            f"Spark {platform.spark} supports Java {supported}, but {java} is Java {major}. "
            "Set JAVA_HOME to a supported JDK."
        )
    return major
