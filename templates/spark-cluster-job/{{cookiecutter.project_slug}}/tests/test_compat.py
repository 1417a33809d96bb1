import stat
from pathlib import Path

import pyspark
import pytest

from {{ cookiecutter.package_name }}.compat import (
    JavaError,
    SparkPlatform,
    check_java,
    load_platform,
    parse_java_major,
)


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', "8"),
        ('openjdk version "11.0.22" 2024-01-16', "11"),
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', "17"),
        ('openjdk version "21" 2023-09-19', "21"),
        ('openjdk version "25-ea" 2025-09-16', "25"),
    ],
)
def test_parse_java_major(output, major):
    assert parse_java_major(output) == major


def test_platform_matches_installed_pyspark():
    # The generated facts and the installed client must agree, or the cluster check means nothing.
    assert load_platform().spark == pyspark.__version__


def _fake_java(tmp_path: Path, version: str) -> str:
    script = tmp_path / "java"
    script.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2030-01-01' >&2\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_check_java_rejects_unsupported_version_and_lists_supported(tmp_path):
    platform = SparkPlatform(spark="9.9.9", scala="2.13", java=("17", "21"), python="3.11")
    with pytest.raises(JavaError, match=r"supports Java 17, 21, but .* is Java 11"):
        check_java(platform, _fake_java(tmp_path, "11.0.2"))
    assert check_java(platform, _fake_java(tmp_path, "21.0.1")) == "21"


def test_check_java_without_java_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(JavaError, match="found no JAVA_HOME/bin/java"):
        check_java(load_platform())
