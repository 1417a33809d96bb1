"""A real Spark standalone cluster (one master, one worker) on 127.0.0.1 for end-to-end tests.

pip's pyspark has no start-master.sh, but its ``spark-class`` runs the master and worker daemons.
Each daemon is started in its own session, so its process group also holds the executors and
Python workers it spawns; teardown kills the groups and checks that nothing is left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cluster:
    master_url: str  # spark://127.0.0.1:PORT
    master_ui: str   # http://127.0.0.1:PORT
    work_dir: Path   # the worker's --work-dir: one folder per application, one per executor

    def state(self) -> dict:
        """The master's JSON status: workers, active and completed applications."""
        with urllib.request.urlopen(f"{self.master_ui}/json", timeout=5) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, ready, timeout: float, procs: list[subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: a daemon exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except (OSError, ValueError):
            pass  # the web UI is not listening yet, or answers a busy start-up with an empty page
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready in {timeout:.0f} s:\n" + "\n".join(log.read_text()[-2000:] for log in logs))


def _stop(proc: subprocess.Popen) -> None:
    """Stop a daemon's whole process group (daemon, executors, Python workers) and confirm it is gone."""
    pgid = proc.pid  # start_new_session=True made the daemon its group's leader
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader so it does not linger as a zombie
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            continue
        break
    proc.wait(timeout=5)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return
    raise RuntimeError(f"processes of group {pgid} survived SIGKILL")


@contextmanager
def standalone_cluster(spark_bin: Path, root: Path, env: dict[str, str] | None = None,
                       cores: int = 1, memory: str = "1g", timeout: float = 120.0) -> Iterator[Cluster]:
    """Start a master and one worker from ``spark_bin/spark-class``; stop both (and their children) on exit."""
    env = {**os.environ, **(env or {}), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DAEMON_MEMORY": "512m"}
    port, ui, worker_port, worker_ui = (free_port() for _ in range(4))
    work_dir = root / "worker-work"
    work_dir.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}", work_dir)
    spark_class = str(spark_bin / "spark-class")
    commands = {
        "master": [spark_class, "org.apache.spark.deploy.master.Master",
                   "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)],
        "worker": [spark_class, "org.apache.spark.deploy.worker.Worker", cluster.master_url,
                   "--host", "127.0.0.1", "--port", str(worker_port), "--webui-port", str(worker_ui),
                   "--cores", str(cores), "--memory", memory, "--work-dir", str(work_dir)],
    }
    with ExitStack() as stack:
        procs: list[subprocess.Popen] = []
        logs: list[Path] = []
        for name, command in commands.items():
            log = root / f"{name}.log"
            out = stack.enter_context(log.open("wb"))
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root,
                                    start_new_session=True)
            stack.callback(_stop, proc)
            procs.append(proc)
            logs.append(log)
            if name == "master":
                _wait("master", lambda: cluster.state()["status"] == "ALIVE", timeout, procs, logs)
        _wait("worker", lambda: any(w["state"] == "ALIVE" for w in cluster.state()["workers"]),
              timeout, procs, logs)
        yield cluster
