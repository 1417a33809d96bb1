"""Command line: ``python -m {{ cookiecutter.package_name }} {train,evaluate,predict,submit,check,check-java}``.

Settings come from ``conf/job.toml`` with command-line overrides; Spark's own settings from
``conf/<cluster>.conf``. Data errors exit 2, environment errors exit 1, each with one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from .config import (
    CLUSTERS,
    DEFAULT_CONFIG,
    FORMATS,
    JOBS,
    TASK_ALIASES,
    TASKS,
    TUNERS,
    JobConfig,
    load_config,
    locate,
)
from .runtime import DataError, EnvironmentProblem, run, setup_logging

log = logging.getLogger(__package__)
APP_NAME = "{{ cookiecutter.project_slug }}"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Bad arguments are one line and exit 2, like every other input error."""
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


# ---- what the local commands share ----


def _properties(args: argparse.Namespace) -> tuple[dict[str, str], str]:
    from .config import read_spark_properties

    properties = read_spark_properties(args.properties)
    if args.master:
        properties["spark.master"] = args.master
    properties.setdefault("spark.master", "local[*]")
    return properties, properties["spark.master"]


def _session(properties: dict[str, str] | None, conf_dir: Path | None = None):
    """The running SparkSession (under spark-submit, or in tests), else a new one with ``properties``."""
    from pyspark.sql import SparkSession

    from .sparkerrors import environment_errors

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    # Python workers must be this interpreter (with the pinned numpy), not whatever `python3` is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = dict(properties or {})
    log4j = (conf_dir or Path("conf")) / "log4j2.properties"
    if properties is not None and log4j.is_file():
        # Quiet local runs: a failed task raises here and becomes one line; its JVM stack trace is noise.
        option = f"-Dlog4j2.configurationFile={log4j.resolve().as_uri()}"
        settings["spark.driver.extraJavaOptions"] = f"{settings.get('spark.driver.extraJavaOptions', '')} {option}"
    builder = SparkSession.builder.appName(APP_NAME)
    for key, value in settings.items():
        builder = builder.config(key, value.strip())
    with environment_errors("could not start Spark"):
        spark = builder.getOrCreate()
    return spark, True


def _source(config: JobConfig, master: str, given: str | None):
    from .data import data_format, precheck
    from .job import Source

    if config.format == "table" and not given:
        return Source(location="", format="table", table=config.table)
    location = locate(given or config.path, master, "--data")
    fmt = data_format(location, config.format)
    precheck(location, fmt)
    return Source(location=location, format=fmt)


def _run_local(args: argparse.Namespace, job) -> None:
    """Start Spark with conf/local.conf (or --properties), run ``job(spark)``, always stop what was started."""
    from .compat import check_java
    from .sparkerrors import environment_errors

    properties = args.spark_properties
    check_java()
    spark, owned = _session(properties, Path(args.properties).parent)
    try:
        with environment_errors("Spark failed"):
            job(spark)
    finally:
        if owned:
            spark.stop()


def _config(args: argparse.Namespace) -> JobConfig:
    return load_config(
        args.config,
        path=getattr(args, "data", None),
        target=getattr(args, "target", None),
        format=args.format,
        task=getattr(args, "task", None),
        exclude=_excluded(args),
        categorical=getattr(args, "categorical", None),
        numeric=getattr(args, "numeric", None),
        seed=getattr(args, "seed", None),
        test_fraction=getattr(args, "test_fraction", None),
        tuner=getattr(args, "tuner", None),
        folds=getattr(args, "folds", None),
        model_dir=args.model_dir,
        metrics=getattr(args, "metrics", None),
        predictions=getattr(args, "output", None),
    )


def _excluded(args: argparse.Namespace) -> list[str] | None:
    """``--exclude`` and ``--drop`` (the name every scaffold-ml starter uses) are one list at training."""
    if getattr(args, "command", "") not in ("train", "submit", "run-submitted"):
        return None
    names = [*(getattr(args, "exclude", None) or []), *(getattr(args, "drop", None) or [])]
    return names or None


def _drop(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(getattr(args, "drop", None) or ())


# ---- commands ----


def cmd_train(args: argparse.Namespace) -> None:
    from .store import require_writable

    config = _config(args)
    args.spark_properties, master = _properties(args)
    if config.format == "table":
        args.spark_properties.setdefault("spark.sql.catalogImplementation", "hive")
    source = _source(config, master, args.data)
    model_dir = locate(config.model_dir, master, "--model-dir")
    require_writable(model_dir, "model")
    require_writable(config.metrics, "metrics")

    def job(spark) -> None:
        from .job import train

        metrics = train(spark, config, source, model_dir, config.metrics)
        print(json.dumps(metrics, indent=2, sort_keys=True))

    _run_local(args, job)


def cmd_evaluate(args: argparse.Namespace) -> None:
    from .store import require_writable

    config = _config(args)
    args.spark_properties, master = _properties(args)
    source = _source(config, master, args.data) if args.data else None
    model_dir = locate(config.model_dir, master, "--model-dir")
    require_writable(config.metrics, "metrics")

    def job(spark) -> None:
        from .job import evaluate

        metrics = evaluate(spark, model_dir, config.metrics, source, _drop(args))
        print(json.dumps(metrics, indent=2, sort_keys=True))

    _run_local(args, job)


def cmd_predict(args: argparse.Namespace) -> None:
    from .store import refuse_to_overwrite, require_writable

    config = _config(args)
    args.spark_properties, master = _properties(args)
    source = _source(config, master, args.data)
    model_dir = locate(config.model_dir, master, "--model-dir")
    output = locate(config.predictions, master, "--output")
    refuse_to_overwrite(output, {"the input": source.location})  # the training data is checked with the model
    require_writable(output, "predictions")

    def job(spark) -> None:
        from .job import predict

        predict(spark, model_dir, source, output, _drop(args))
        print(output)

    _run_local(args, job)


def cmd_run_submitted(args: argparse.Namespace) -> None:
    """Under spark-submit: master, memory and the rest come from spark-submit; paths arrive as URIs."""
    from .data import data_format, precheck
    from .job import Source, evaluate, predict, train
    from .sparkerrors import environment_errors

    config = _config(args)
    spark, _ = _session(None)
    master = spark.sparkContext.master
    with environment_errors("Spark failed"):
        source = None
        if args.data or args.job == "train":
            if config.format == "table" and not args.data:
                source = Source(location="", format="table", table=config.table)
            else:
                location = locate(config.path, master, "--data")
                source = Source(location=location, format=data_format(location, config.format))
                precheck(source.location, source.format)
        model_dir = locate(config.model_dir, master, "--model-dir")
        if args.job == "train":
            metrics = train(spark, config, source, model_dir, config.metrics)
        elif args.job == "evaluate":
            metrics = evaluate(spark, model_dir, config.metrics, source, _drop(args))
        else:
            if source is None:
                raise DataError("predict needs --data")
            predict(spark, model_dir, source, locate(config.predictions, master, "--output"), _drop(args))
            return
    print(json.dumps(metrics, indent=2, sort_keys=True))


def cmd_submit(args: argparse.Namespace) -> int:
    """Check the cluster's settings, package the project and call spark-submit."""
    from .compat import check_java
    from .config import read_spark_properties
    from .submit import (
        Submission,
        build_artifacts,
        cluster_problems,
        find_spark_submit,
        hadoop_version,
    )

    if args.job == "predict" and not args.data:
        raise DataError("submit --job predict needs --data")
    config = _config(args)
    cluster = args.cluster or config.cluster
    properties_path = Path(args.conf_dir) / f"{cluster}.conf"
    properties = read_spark_properties(properties_path)
    master = args.master or properties.get("spark.master") or ""
    archive = Path(args.archive).resolve() if args.archive else None
    if archive is not None and not archive.is_file():
        raise DataError(f"{args.archive}: archive not found (build one with venv-pack -o env.tar.gz)")
    problems = cluster_problems(
        cluster,
        properties,
        str(properties_path),
        master=master,
        deploy_mode=args.deploy_mode,
        archive=archive,
        environ=os.environ,
        hadoop=hadoop_version(),
    )
    if problems:
        raise DataError("; ".join(problems))

    job_args = ["--job", args.job, "--target", config.target, "--format", config.format]
    if args.data or (args.job == "train" and config.format != "table"):
        job_args += ["--data", locate(config.path, master, "--data")]
    job_args += ["--model-dir", locate(config.model_dir, master, "--model-dir")]
    for flag, names in (
        ("--exclude", config.exclude),
        ("--categorical", config.categorical),
        ("--numeric", config.numeric),
        ("--drop", _drop(args) if args.job != "train" else ()),
    ):
        for name in names:
            job_args += [flag, name]
    if args.job == "predict":
        job_args += ["--output", locate(config.predictions, master, "--output")]
    if args.deploy_mode == "client" or "://" in config.metrics:
        metrics = config.metrics if "://" in config.metrics else str(Path(config.metrics).resolve())
        job_args += ["--metrics", metrics]
    else:
        log.warning(
            "cluster mode: metrics.json is written inside the driver's container; pass --metrics "
            "with a URI (hdfs://, s3a://) to keep it"
        )
    py_files, entry = build_artifacts(Path(args.dist))
    spark_submit = find_spark_submit()
    if spark_submit is None:
        raise EnvironmentProblem("spark-submit not found: set SPARK_HOME or install the pinned pyspark")
    submission = Submission(
        cluster=cluster,
        job_config=Path(args.config).resolve(),
        properties=properties_path.resolve(),
        py_files=py_files.resolve(),
        entry=entry.resolve(),
        job_args=tuple(job_args),
        master=args.master,
        deploy_mode=args.deploy_mode,
        archive=archive,
        extra=tuple(args.spark_args),
    )
    command = submission.command(spark_submit)
    print(" ".join(command), flush=True)
    if args.dry_run:
        return 0
    check_java()
    return subprocess.run(command, check=False).returncode


def cmd_check_java(args: argparse.Namespace) -> None:
    """Say which Java Spark would use and whether this release supports it."""
    from .compat import check_java, load_platform

    platform = load_platform()
    major = check_java(platform)
    print(
        f"Java {major}: supported by Spark {platform.spark} (Java {', '.join(platform.java)}; Scala {platform.scala})"
    )


# ---- the parser ----


def _data_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "--data",
        required=required,
        help="a CSV or Parquet file or folder; on a cluster a URI (hdfs://, s3a://, file:///)",
    )
    parser.add_argument("--format", choices=FORMATS, help="how to read --data (default: from its name)")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="job settings (default: %(default)s)")
    parser.add_argument("--model-dir", help="where the model is (default: [output] model_dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _local(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--properties",
        type=Path,
        default=Path("conf") / "local.conf",
        help="Spark settings, spark-defaults.conf form (default: %(default)s)",
    )
    parser.add_argument("--master", help="override spark.master, e.g. local[2]")


def _columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", help="the column to predict (default: [data] target)")
    parser.add_argument("--exclude", action="append", metavar="COLUMN", help="a column that is not a feature")
    parser.add_argument("--categorical", action="append", metavar="COLUMN", help="a categorical feature column")
    parser.add_argument("--numeric", action="append", metavar="COLUMN", help="a numeric feature column")
    _drop_option(parser)


def _drop_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drop",
        action="append",
        metavar="COLUMN",
        help="a column that is not a feature (an id): left out at train, copied to predict's output; repeat for more",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m {{ cookiecutter.package_name }}",
        description=__doc__,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="train here (local[*], conf/local.conf): tune, hold out, save")
    _data_options(train)
    _columns(train)
    train.add_argument(
        "--task",
        choices=(*TASKS, *TASK_ALIASES),
        help="default: [data] task, the project's own (auto: from the target)",
    )
    train.add_argument("--seed", type=int, help="split and tuning seed")
    train.add_argument("--test-fraction", type=float, help="share of rows held out for testing")
    train.add_argument("--tuner", choices=TUNERS)
    train.add_argument("--folds", type=int, help="cross-validation folds")
    train.add_argument("--metrics", help="where metrics.json goes (default: [output] metrics)")
    _common(train)
    _local(train)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="score the held-out rows of training (or --data) with the model")
    _data_options(evaluate)
    evaluate.add_argument("--metrics", help="where metrics.json goes (default: [output] metrics)")
    _drop_option(evaluate)
    _common(evaluate)
    _local(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    predict = sub.add_parser("predict", help="write --data with a prediction column (and class probabilities)")
    _data_options(predict, required=True)
    predict.add_argument("--output", help="a .csv file, or a folder of CSV parts (default: [output] predictions)")
    _drop_option(predict)
    _common(predict)
    _local(predict)
    predict.set_defaults(func=cmd_predict)

    submit = sub.add_parser("submit", help="check conf/<cluster>.conf, package the project, run spark-submit")
    submit.add_argument("--cluster", choices=CLUSTERS, help="which conf/<cluster>.conf (default: [submit] cluster)")
    submit.add_argument("--master", help="override spark.master: spark://HOST:7077, yarn, k8s://https://HOST:6443")
    submit.add_argument(
        "--deploy-mode",
        choices=("client", "cluster"),
        default="client",
        help="where the driver runs (default: %(default)s)",
    )
    submit.add_argument("--archive", help="a packed environment (venv-pack -o env.tar.gz) for the executors' Python")
    submit.add_argument("--job", choices=JOBS, default="train", help="what to run (default: %(default)s)")
    _data_options(submit)
    _columns(submit)
    submit.add_argument("--output", help="predict: where the predictions go (a URI on a cluster)")
    submit.add_argument("--metrics", help="where the driver writes metrics.json")
    submit.add_argument("--conf-dir", default="conf", help="where <cluster>.conf files are (default: %(default)s)")
    submit.add_argument("--dist", default="dist", help="where the zip and entry script go (default: %(default)s)")
    submit.add_argument("--dry-run", action="store_true", help="check and print the spark-submit command only")
    _common(submit)
    submit.add_argument("spark_args", nargs="*", help="after --: passed to spark-submit as they are")
    submit.set_defaults(func=cmd_submit)

    submitted = sub.add_parser("run-submitted", help=argparse.SUPPRESS)
    submitted.add_argument("--job", choices=JOBS, default="train")
    _data_options(submitted)
    _columns(submitted)
    submitted.add_argument("--output")
    submitted.add_argument("--metrics")
    _common(submitted)
    submitted.set_defaults(func=cmd_run_submitted)

    sub.add_parser("check", help="compare this machine and the installed packages with .scaffold.json")
    check_java = sub.add_parser("check-java", help="is Java present, and a version this Spark supports?")
    check_java.set_defaults(func=cmd_check_java, verbose=False)
    return parser


def main(argv: list[str]) -> int:
    """Run one command; return its exit status (0, 1 for the environment, 2 for the data or the input)."""
    if argv[:1] == ["check"]:
        from .check import main as check

        return check(argv[1:])
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    logging.getLogger("py4j").setLevel(logging.WARNING)
    status = 0

    def command() -> None:
        nonlocal status
        status = args.func(args) or 0

    return run(command) or status
