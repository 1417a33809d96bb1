"""Bad input files fail before a JVM starts, with one line."""

import os

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data import (
    data_format,
    precheck,
)
from {{ cookiecutter.package_name }}.runtime import (
    DataError,
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "data file is empty"),
        (b"a,b,label\n", "header but no data rows"),
        (b"a,b,label\n1,caf\xe9,x\n2,b,y\n", r"not UTF-8 text \(byte 15\)"),
        # Spark would rename them a0 and a1 and train on columns the file does not have.
        (b"a,b,a,label\n1,2,3,x\n", "column 'a' appears more than once in the header"),
        (b"a,A,label\n1,2,x\n", "column 'A' appears more than once in the header .as 'a'; Spark ignores case"),
    ],
)
def test_unusable_csv(tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        precheck(str(path), "csv")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        precheck(str(fifo), "csv")


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(DataError, match="not a Parquet file"):
        precheck(str(path), data_format(str(path), "auto"))


def test_format_from_the_name_or_refused(tmp_path):
    assert data_format("s3a://b/t.parquet", "auto") == "parquet"
    assert data_format("data/x.csv", "auto") == "csv"
    with pytest.raises(DataError, match="pass --format"):
        data_format("hdfs://nn/tables/customers", "auto")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--data", "no-such.csv", "--target", "y"],
        ["predict", "--data", "no-such.csv"],
        ["evaluate", "--data", "no-such.csv"],
    ],
)
def test_missing_file_is_one_line_exit_2(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    from conftest import PROJECT

    for name in ("job.toml", "local.conf"):
        (tmp_path / "conf" / name).write_text((PROJECT / "conf" / name).read_text())
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {tmp_path.as_uri()}/no-such.csv: data file not found"]
    assert not (tmp_path / "artifacts").exists()


def test_bad_argument_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--tuner", "grid"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: argument --tuner: invalid choice")
