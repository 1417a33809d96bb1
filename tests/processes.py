"""Helpers for tests that signal a real ``scaffold`` process."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path


def wait_for_handlers(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the child catches SIGTERM: Python itself never does, so scaffold's ``interrupts.install`` has run.

    Before that, a SIGINT lands in Python's own start-up (site, runpy), where Python prints its KeyboardInterrupt
    trace before any line of scaffold has run; a fixed delay cannot say when that is over on a loaded machine.
    """
    status = Path(f"/proc/{proc.pid}/status")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        caught = next((line.split()[1] for line in status.read_text().splitlines() if line.startswith("SigCgt:")), "0")
        if int(caught, 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.005)
