"""Files beside the model, on whatever storage the model lives on (a local folder, HDFS, S3, ...).

Spark writes the PipelineModel itself; the small JSON files next to it go through Hadoop's FileSystem
API, the one Spark uses, so ``hdfs://`` and ``s3a://`` model folders work like local ones.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from .config import local_path
from .runtime import DataError, write_json


def _hadoop(spark, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def write_json_at(spark, uri: str, data: Any) -> None:
    """Strict JSON at ``uri``; local files are replaced atomically."""
    path = local_path(uri)
    if path is not None:
        write_json(path, data)
        return
    fs, target = _hadoop(spark, uri)
    out = fs.create(target, True)
    try:
        out.write(bytearray(json.dumps(data, indent=2, sort_keys=True, allow_nan=False).encode("utf-8")))
    finally:
        out.close()


def read_json_at(spark, uri: str, what: str) -> Any:
    path = local_path(uri)
    try:
        if path is not None:
            text = path.read_text(encoding="utf-8")
        else:
            fs, source = _hadoop(spark, uri)
            if not fs.exists(source):
                raise FileNotFoundError(uri)
            stream = fs.open(source)
            try:
                text = spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
            finally:
                stream.close()
        return json.loads(text)
    except FileNotFoundError:
        raise DataError(f"{uri}: {what} not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{uri}: {what} is corrupt ({e})") from None


def exists(spark, uri: str) -> bool:
    path = local_path(uri)
    if path is not None:
        return path.exists()
    fs, target = _hadoop(spark, uri)
    return bool(fs.exists(target))


def delete(spark, uri: str) -> None:
    fs, target = _hadoop(spark, uri)
    fs.delete(target, True)


def replace_dir(spark, staged: str, final: str) -> None:
    """Put the finished ``staged`` folder at ``final``; the old model stays until the new one is complete."""
    fs, final_path = _hadoop(spark, final)
    _, staged_path = _hadoop(spark, staged)
    old = None
    if fs.exists(final_path):
        _, old = _hadoop(spark, f"{final.rstrip('/')}.old-{os.getpid()}")
        if not fs.rename(final_path, old):
            raise OSError(f"could not move the old model at {final} aside")
    if not fs.rename(staged_path, final_path):
        raise OSError(f"could not move the new model into {final}")
    if old is not None:
        fs.delete(old, True)


def require_writable(location: str, what: str) -> None:
    """Fail before any work when ``location`` (a file or folder of this machine) cannot be written."""
    path = local_path(location)
    if path is None:
        return  # remote storage: its permissions are known only to the cluster
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir() and probe != path:
        raise DataError(f"{location}: cannot write the {what}: {probe} is a file, not a folder")
    folder = probe if probe.is_dir() else probe.parent
    if not os.access(folder, os.W_OK | os.X_OK) or (probe.is_file() and not _writable_file(probe)):
        raise DataError(f"{location}: cannot write the {what}: {folder} is not writable")


def _writable_file(path: Path) -> bool:
    return os.access(path, os.W_OK) or not stat.S_ISREG(path.stat().st_mode)


def refuse_to_overwrite(output: str, protected: dict[str, str | None]) -> None:
    """Never write predictions over (or into a folder that holds) the input or the training data."""
    out_local = local_path(output)
    for what, other in protected.items():
        if not other:
            continue
        other_local = local_path(other)
        if out_local is not None and other_local is not None:
            clash = other_local == out_local or other_local.is_relative_to(out_local)
        else:
            clash = other.rstrip("/") == output.rstrip("/") or other.startswith(output.rstrip("/") + "/")
        if clash:
            raise DataError(f"{output}: refusing to overwrite {what} ({other}); choose another --output")
