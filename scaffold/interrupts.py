"""Signals as an exception, and the short sections no signal may cut in half.

The command installs :func:`install`, so SIGINT, SIGTERM and SIGHUP unwind the stack like an
exception: every ``finally`` runs and the temporary folder goes away. The few steps that must
happen together (moving a project into place, removing what this run made) run inside
:func:`critical`: a signal that arrives there waits until the section is over.

May import: the standard library only, nothing of ours: ``__main__`` loads it before anything else, and the
generator (whose moves run in :func:`critical`) imports it, so it must stay below both.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

HANDLED: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(BaseException):  # noqa: N818 - it is a signal, not an error; like KeyboardInterrupt
    """Raised when: SIGINT, SIGTERM or SIGHUP arrives while :func:`install` is in effect.

    A BaseException, so library code's ``except Exception`` never swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


_depth = 0
_pending: list[int] = []
_raised: int | None = None  # the signal already unwinding the stack: later ones only wait for the exit


def _handler(signum: int, frame: object) -> None:
    global _raised
    if _raised is not None:
        return
    if _depth:
        _pending.append(signum)
        return
    _raised = signum
    raise Interrupted(signum)


def install() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted` (main thread only)."""
    global _raised
    _raised = None
    _pending.clear()
    for sig in HANDLED:
        signal.signal(sig, _handler)


@contextlib.contextmanager
def unwinding() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind the block as an exception, also for a library caller that never called
    :func:`install` (SIGINT already does: KeyboardInterrupt), so every ``finally`` and rollback runs.

    Under the command, :func:`install` is in effect and nothing changes. Off the main thread signals are
    left alone (Python allows handlers there only).
    """
    global _raised
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in HANDLED
                if sig != signal.SIGINT and signal.getsignal(sig) is not _handler}
    if previous:
        _raised = None
        _pending.clear()
    for sig in previous:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def ignore_further() -> None:
    """After the first signal has been handled: later ones must not interrupt the last words."""
    for sig in HANDLED:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, signal.SIG_IGN)


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block is done; then deliver the first that came.

    The signals are blocked in the kernel too, so the default actions (a library caller who
    installed nothing) also wait for the end of the section.
    """
    global _depth, _raised
    if threading.current_thread() is not threading.main_thread():
        # Python runs signal handlers in the main thread only: a section here cannot be cut by one, and counting it
        # would make the main thread's handler hold (and later raise in this thread) a signal meant for the main one.
        yield
        return
    mask = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED) if mask else None
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if _depth == 0 and _pending and _raised is None:
            signum = _pending[0]
            _pending.clear()
            _raised = signum
            raise Interrupted(signum)
