"""Command line: ``python -m {{ cookiecutter.package_name }} {train,submit,check-java}``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from .compat import JavaError, check_java, load_platform
from .config import CLUSTERS, ConfigError, load_job_config, read_spark_properties

DEFAULT_CONFIG = Path("conf") / "job.ini"
log = logging.getLogger("{{ cookiecutter.package_name }}")


def _session(app_name: str, properties: dict[str, str] | None):
    """A SparkSession; ``properties`` are applied for local runs, spark-submit applies its own."""
    from pyspark.sql import SparkSession  # imported late so `check-java` and `--help` start fast

    builder = SparkSession.builder.appName(app_name)
    for key, value in (properties or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _train(config_path: Path, properties: dict[str, str] | None) -> int:
    from .job import run

    config = load_job_config(config_path)
    if config.input_format == "table" and properties is not None:
        properties = {"spark.sql.catalogImplementation": "hive", **properties}
    spark = _session("{{ cookiecutter.project_slug }}", properties)
    try:
        result = run(spark, config)
    finally:
        spark.stop()
    print(json.dumps(result["metrics"], indent=2))
    print(f"model written to {result['model_dir']}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Run the job in this process on local[*] with conf/local.conf."""
    check_java()
    properties = read_spark_properties(args.properties)
    if args.master:
        properties["spark.master"] = args.master
    # Python workers must be this interpreter (with the pinned numpy), not whatever `python3` is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return _train(args.config, properties)


def cmd_run_submitted(args: argparse.Namespace) -> int:
    """Run under spark-submit: master, memory and the rest were set by spark-submit's properties file."""
    return _train(args.config, None)


def cmd_submit(args: argparse.Namespace) -> int:
    """Package the project and call spark-submit for the chosen cluster."""
    from .submit import Submission, build_artifacts, find_spark_submit

    config = load_job_config(args.config)
    cluster = args.cluster or config.cluster
    properties = Path(args.conf_dir) / f"{cluster}.conf"
    read_spark_properties(properties)  # fail here, with the line number, rather than inside the JVM
    if not args.dry_run:
        check_java()
    py_files, entry = build_artifacts(Path(args.dist))
    submission = Submission(
        cluster=cluster,
        job_config=Path(args.config).resolve(),
        properties=properties.resolve(),
        py_files=py_files.resolve(),
        entry=entry.resolve(),
        master=args.master,
        deploy_mode=args.deploy_mode,
        archive=Path(args.archive).resolve() if args.archive else None,
        extra=tuple(args.spark_args),
    )
    command = submission.command(find_spark_submit())
    print(" ".join(command), flush=True)
    if args.dry_run:
        return 0
    return subprocess.run(command, check=False).returncode


def cmd_check_java(args: argparse.Namespace) -> int:
    """Say which Java Spark would use and whether this release supports it."""
    platform = load_platform()
    major = check_java(platform)
    print(f"Java {major}: supported by Spark {platform.spark} "
          f"(Java {', '.join(platform.java)}; Scala {platform.scala})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train locally (local[*]) with conf/local.conf")
    train.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="job settings (default: %(default)s)")
    train.add_argument("--properties", type=Path, default=Path("conf") / "local.conf",
                       help="Spark settings in spark-defaults.conf form (default: %(default)s)")
    train.add_argument("--master", help="override spark.master, e.g. local[2]")
    train.set_defaults(func=cmd_train)

    submitted = sub.add_parser("run-submitted", help=argparse.SUPPRESS)
    submitted.add_argument("--config", type=Path, required=True)
    submitted.set_defaults(func=cmd_run_submitted)

    submit = sub.add_parser("submit", help="package the project and run it with spark-submit on a cluster")
    submit.add_argument("--cluster", choices=CLUSTERS,
                        help="which conf/<cluster>.conf to use (default: [submit] cluster in job.ini)")
    submit.add_argument("--master", help="override spark.master, e.g. spark://host:7077, yarn, k8s://https://host:6443")
    submit.add_argument("--deploy-mode", choices=("client", "cluster"), default="client",
                        help="where the driver runs (default: %(default)s)")
    submit.add_argument("--archive", help="a packed virtualenv (venv-pack -o env.tar.gz) for executors' Python")
    submit.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="job settings (default: %(default)s)")
    submit.add_argument("--conf-dir", default="conf", help="where <cluster>.conf files live (default: %(default)s)")
    submit.add_argument("--dist", default="dist", help="where the zip and entry script go (default: %(default)s)")
    submit.add_argument("--dry-run", action="store_true", help="print the spark-submit command, run nothing")
    submit.add_argument("spark_args", nargs="*", help="after --: passed to spark-submit as they are")
    submit.set_defaults(func=cmd_submit)

    check = sub.add_parser("check-java", help="check that Java is present and supported by this Spark")
    check.set_defaults(func=cmd_check_java)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:  # compare machine and environment with .scaffold.json, before anything heavy
        from .check import main as check

        return check(argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, JavaError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
