"""Locking: the full tree, hash-pinned for the project's target, resolved with uv; clean failure offline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scaffold
from scaffold import ToolError
from scaffold.locking import count_packages, explain_failure, requirements_lines

from .conftest import snapshot

# An index nothing listens on: uv fails at once, as it does without network (its cache cannot help).
UNREACHABLE = {"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_DEFAULT_INDEX": "http://127.0.0.1:9/simple",
               "UV_HTTP_RETRIES": "0", "UV_NO_CACHE": "1"}

UV_OFFLINE_STDERR = """error: Failed to fetch: http://127.0.0.1:9/simple/scikit-learn/
  cause: error sending request for url (http://127.0.0.1:9/simple/scikit-learn/)
  cause: client error (Connect)
  cause: tcp connect error
  cause: Connection refused (os error 111)
"""
UV_UNSATISFIABLE_STDERR = """error: No solution found when resolving dependencies
  cause: Because there is no version of scikit-learn==99.0 and you require scikit-learn==99.0, we can conclude \
that your requirements are unsatisfiable.
"""


def project(tmp_path: Path, platform: str = "linux-x86_64", python: str = "3.12") -> Path:
    made = scaffold.generate("Churn Model", framework="sklearn", target="cpu", platform=platform, python=python,
                             output_dir=tmp_path)
    return Path(made.path)


def test_the_lock_input_is_requirements_txt_without_the_project_itself():
    text = ("# pins\n--index-url https://download.pytorch.org/whl/cpu\ntorch==2.14.1+cpu\n"
            "numpy==2.5.5; python_version >= \"3.12\"  # why\n\n-e .\n")
    assert requirements_lines(text) == ["--index-url https://download.pytorch.org/whl/cpu", "torch==2.14.1+cpu",
                                        'numpy==2.5.5; python_version >= "3.12"']


def test_uv_failures_become_one_line():
    offline = explain_failure(UV_OFFLINE_STDERR, platform="linux-x86_64", python="3.12")
    assert offline.startswith("cannot lock for linux-x86_64, Python 3.12: the package index cannot be reached")
    assert "Failed to fetch: http://127.0.0.1:9/simple/scikit-learn/" in offline and "Connection refused" in offline
    assert "\n" not in offline
    bad = explain_failure(UV_UNSATISFIABLE_STDERR, platform="macos-arm64", python="3.11")
    assert "uv could not resolve the pins" in bad and "scikit-learn==99.0" in bad and "\n" not in bad


def test_count_packages():
    assert count_packages("# header\nnumpy==2.4.6 \\\n    --hash=sha256:00\n    # via x\nrequests[socks]==2.0\n") == 2


def test_without_network_lock_fails_cleanly_and_writes_nothing(tmp_path):
    path = project(tmp_path)
    before = snapshot(path)
    with pytest.raises(ToolError, match="the package index cannot be reached") as e:
        scaffold.lock(path, env={**os.environ, **UNREACHABLE})
    assert e.value.exit_code == 1 and "\n" not in str(e.value)
    assert snapshot(path) == before  # no requirements.lock, no temporary file


def test_the_command_without_network_is_one_line_exit_1(tmp_path):
    path = project(tmp_path)
    result = subprocess.run([sys.executable, "-m", "scaffold", "lock"], cwd=path, capture_output=True, text=True,
                            env={**os.environ, **UNREACHABLE}, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("failed: cannot lock for") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not (path / "requirements.lock").exists()


def test_new_with_lock_without_network_writes_no_project(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scaffold", "new", "Demo", "--framework", "sklearn", "--target",
                             "cpu", "--lock", "--output-dir", str(tmp_path / "out")],
                            capture_output=True, text=True, env={**os.environ, **UNREACHABLE}, timeout=120)
    assert result.returncode == 1 and "cannot be reached" in result.stderr
    assert not (tmp_path / "out").exists()


def test_lock_outside_a_project_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scaffold", "lock", "--project", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.startswith("error: no .scaffold.json in")


def test_generation_without_lock_stays_offline(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scaffold", "new", "Demo", "--framework", "sklearn", "--target",
                             "cpu", "--output-dir", str(tmp_path)],
                            capture_output=True, text=True, env={**os.environ, **UNREACHABLE}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "demo" / "requirements.lock").exists()
    readme = (tmp_path / "demo" / "README.md").read_text()
    assert "run `scaffold lock` in this\nfolder" in readme and "pip install --require-hashes -r requirements.lock" in readme


def _assert_a_lock_for(path: Path, record: dict, lock_text: str) -> None:
    assert lock_text.startswith("# This file was autogenerated by uv") and "scaffold lock" in lock_text
    for name, version in record["pins"].items():
        assert f"\n{name}=={version} \\\n    --hash=sha256:" in lock_text, name
    assert "-e " not in lock_text and "file://" not in lock_text  # the project itself is installed after it
    assert count_packages(lock_text) > len(record["pins"])  # the transitive tree too


@pytest.mark.network
@pytest.mark.parametrize(("platform", "python"), [("linux-x86_64", "3.12"), ("macos-arm64", "3.11")])
def test_lock_for_another_platform_from_here(tmp_path, platform, python):
    path = project(tmp_path, platform, python)
    result = scaffold.lock(path)
    record = json.loads((path / ".scaffold.json").read_text())
    lock_text = Path(result.path).read_text()
    _assert_a_lock_for(path, record, lock_text)
    assert (result.platform, result.python) == (platform, python)
    if platform == "macos-arm64":
        # pandas/numpy wheels are chosen for macOS: the tree has no Linux-only package such as nvidia-*
        assert "nvidia-" not in lock_text
    assert [p.name for p in path.iterdir() if p.name.startswith(".requirements.lock")] == []
    assert Path(result.path).stat().st_mode & 0o777 == 0o644  # readable as any file the project holds, not 0600


@pytest.mark.network
def test_new_with_lock_writes_the_lock_and_the_readme_installs_from_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scaffold", "new", "Demo", "--framework", "sklearn", "--target",
                             "cpu", "--platform", "linux-aarch64", "--python", "3.13", "--lock", "--json",
                             "--output-dir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["next_steps"][2:4] == ["pip install --require-hashes -r requirements.lock", "pip install --no-deps -e ."]
    path = tmp_path / "demo"
    record = json.loads((path / ".scaffold.json").read_text())
    _assert_a_lock_for(path, record, (path / "requirements.lock").read_text())
    readme = (path / "README.md").read_text()
    assert "pip install --require-hashes -r requirements.lock\npip install --no-deps -e .\n" in readme


def _lock_cli(path: Path, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scaffold", "lock", "--project", str(path)], capture_output=True,
                          text=True, env={**os.environ, **UNREACHABLE, **(env or {})}, timeout=timeout)


def _one_line_error(result: subprocess.CompletedProcess, code: int = 2) -> bool:
    lines = result.stderr.strip().splitlines()
    return result.returncode == code and len(lines) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("field", ["platform", "python"])
@pytest.mark.parametrize("value", [None, ["3.12"], 3.12, {"x": 1}, "", "beos"])
def test_a_record_with_a_bad_field_is_one_line_exit_2(tmp_path, field, value):
    path = project(tmp_path)
    record = json.loads((path / ".scaffold.json").read_text())
    record[field] = value
    (path / ".scaffold.json").write_text(json.dumps(record))
    result = _lock_cli(path)
    assert _one_line_error(result) and f'"{field}"' in result.stderr, result.stderr


# Short ids: pytest puts the test id in PYTEST_CURRENT_TEST, and 2 MB of it would not fit a child's environment.
@pytest.mark.parametrize("content", [b"[1, 2]", b"{not json", b'{"platform": NaN}', b"\xff\xfe{}", b"x" * (2 << 20)],
                         ids=["list", "not-json", "nan", "not-utf8", "2-mib"])
def test_a_record_that_is_not_a_small_json_object_is_refused(tmp_path, content):
    path = project(tmp_path)
    (path / ".scaffold.json").write_bytes(content)
    assert _one_line_error(_lock_cli(path))


def test_a_record_that_is_a_device_or_a_fifo_neither_hangs_nor_eats_memory(tmp_path):
    path = project(tmp_path)
    (path / ".scaffold.json").unlink()
    (path / ".scaffold.json").symlink_to("/dev/zero")
    assert _one_line_error(_lock_cli(path, timeout=20))
    (path / ".scaffold.json").unlink()
    os.mkfifo(path / ".scaffold.json")
    result = _lock_cli(path, timeout=20)  # a FIFO nobody writes to would block a plain open() forever
    assert _one_line_error(result) and "not a regular file" in result.stderr


@pytest.mark.parametrize(("content", "message"), [(b"scikit-learn==1.9.1\n\xe9\n", "not UTF-8"),
                                                  (b"# nothing\n\n-e .\n", "lists no packages"),
                                                  (b"", "lists no packages")])
def test_requirements_that_cannot_be_locked_are_refused(tmp_path, content, message):
    path = project(tmp_path)
    (path / "requirements.txt").write_bytes(content)
    result = _lock_cli(path)
    assert _one_line_error(result) and message in result.stderr, result.stderr
    assert not (path / "requirements.lock").exists()


def test_a_read_only_project_is_one_line(tmp_path):
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        path = project(mnt)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        result = _lock_cli(path)
        assert _one_line_error(result) and "read-only" in result.stderr, result.stderr
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


@pytest.fixture
def silent_index():
    """An index that accepts connections and never answers: uv waits, as on a stalled network."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    server.close()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the uv child")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_the_uv_child_dies_with_its_parent_and_temp_files_go(tmp_path, silent_index, how):
    path = project(tmp_path / "p")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "UV_INDEX_URL": silent_index, "UV_DEFAULT_INDEX": silent_index, "UV_NO_CACHE": "1",
           "UV_HTTP_TIMEOUT": "120", "TMPDIR": str(tmp)}
    parent = subprocess.Popen([sys.executable, "-m", "scaffold", "lock", "--project", str(path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (children := _children_of(parent.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children, "uv never started"
    time.sleep(0.5)
    parent.send_signal(how)
    rc = parent.wait(timeout=30)
    _, err = parent.communicate()
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(c) for c in children), "uv outlived scaffold"
    if how != signal.SIGKILL:
        assert rc == 128 + how and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert list(tmp.iterdir()) == []  # the temporary lock folder went too
    assert not (path / "requirements.lock").exists()
