"""The one writer of files replaced in place: old bytes or new, never half, and no temporary file left behind."""

from __future__ import annotations

import os
import signal
import stat

import pytest

from scaffold import atomic, interrupts


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_new_file_gets_the_usual_mode_and_text_is_utf8(tmp_path):
    target = tmp_path / "requirements.lock"
    atomic.write_atomic(target, "caf\u00e9==1\n")
    assert target.read_bytes() == "caf\u00e9==1\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == atomic.NEW_FILE_MODE  # not mkstemp's 0o600
    assert _names(tmp_path) == ["requirements.lock"]


def test_a_replaced_file_keeps_its_own_mode(tmp_path):
    target = tmp_path / "run.sh"
    target.write_bytes(b"old")
    target.chmod(0o750)
    atomic.write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o750
    assert _names(tmp_path) == ["run.sh"]


@pytest.mark.parametrize("stop", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch, stop):
    target = tmp_path / "metrics.json"
    target.write_bytes(b"old")

    def failing(fd, *args, **kwargs):
        raise stop

    monkeypatch.setattr(atomic.os, "chmod", failing)  # after the bytes are written, before the rename
    with pytest.raises(type(stop)):
        atomic.write_atomic(target, b"new")
    assert target.read_bytes() == b"old" and _names(tmp_path) == ["metrics.json"]


def test_a_signal_while_the_temporary_file_is_made_is_delivered_after_it_is_removed(tmp_path, monkeypatch):
    """SIGINT inside the section that creates the temporary file waits for its end; the finally then removes it."""
    target = tmp_path / "a.txt"
    real = atomic.tempfile.mkstemp

    def interrupted_mkstemp(*args, **kwargs):
        made = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # held by critical() until the name is kept
        return made

    monkeypatch.setattr(atomic.tempfile, "mkstemp", interrupted_mkstemp)
    monkeypatch.setattr(interrupts, "_raised", None)  # the module's state comes back after the test
    before = {sig: signal.getsignal(sig) for sig in interrupts.HANDLED}
    interrupts.install()
    try:
        with pytest.raises(interrupts.Interrupted):
            atomic.write_atomic(target, b"new")
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    assert _names(tmp_path) == []


def test_a_missing_folder_is_the_callers_error_not_a_guess(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic.write_atomic(tmp_path / "absent" / "x", b"")
    assert _names(tmp_path) == []
