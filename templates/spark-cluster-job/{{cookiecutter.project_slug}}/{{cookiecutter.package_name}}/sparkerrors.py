"""Spark's errors as one line: a Java stack trace names the cause at its bottom, the user needs only that."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .runtime import DataError, EnvironmentProblem


def reason(error: BaseException) -> str:
    """The innermost message of a Spark or Py4J error, on one line."""
    from py4j.protocol import Py4JError

    java = getattr(error, "java_exception", None)
    message = ""
    if java is not None:
        try:
            cause = java
            while cause is not None:
                text = cause.getMessage()
                if text:
                    message = str(text)
                cause = cause.getCause()
        except Py4JError:  # the JVM may be gone; fall back to Python's view of the error
            message = ""
    if not message:
        message = str(error)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:500]


def spark_error_types() -> tuple[type[BaseException], ...]:
    from py4j.protocol import Py4JError

    try:
        from pyspark.errors import PySparkException
    except ImportError:  # pyspark < 3.4
        return (Py4JError,)
    return (Py4JError, PySparkException)


@contextmanager
def data_errors(context: str) -> Iterator[None]:
    """Inside: a Spark failure is the data's fault (reading, parsing, converting); one line, exit 2."""
    try:
        yield
    except spark_error_types() as e:
        raise DataError(f"{context}: {reason(e)}") from None


@contextmanager
def environment_errors(context: str) -> Iterator[None]:
    """Inside: a Spark failure is the environment's (no JVM, no cluster, storage unreachable); exit 1."""
    try:
        yield
    except spark_error_types() as e:
        raise EnvironmentProblem(f"{context}: {reason(e)}") from None
