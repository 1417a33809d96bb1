"""Fault injection, for real: concurrent runs, signals at random moments, full disks, links, mount points.

Each case runs the real ``scaffold`` command in a child process and then looks at the output
folder: there is a complete project or nothing, never a temporary folder or a parent this run
made. ``FAULTS`` counts the cases run and the clean ones; the summary line prints them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaffold.generator import TEMP_PREFIX

from .generated import check_project
from .processes import wait_for_handlers

ARGS = ["-f", "sklearn", "-t", "cpu", "--platform", "linux-x86_64", "--python", "3.12", "--no-input"]
FAULTS = {"run": 0, "clean": 0}
_rng = random.Random(int(os.environ.get("SCAFFOLD_FAULT_SEED", "0")) or None)


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "PYTHONDONTWRITEBYTECODE": "1"}


def start(tmp: Path, *args: str, cwd: Path | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scaffold", *args], cwd=cwd, env=_env(tmp), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def scaffold(tmp: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scaffold", *args], cwd=cwd, env=_env(tmp), text=True,
                          capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> set[str]:
    """The files of a complete project, generated once without any fault."""
    tmp = tmp_path_factory.mktemp("reference")
    done = scaffold(tmp, "new", "Race", *ARGS, "-o", str(tmp / "out"))
    assert done.returncode == 0, done.stderr
    return _files(tmp / "out" / "race")


def _files(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}


def _debris(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return [p.name for p in folder.iterdir() if p.name.startswith((TEMP_PREFIX, ".scaffold-"))]


def _one_line(stderr: str) -> bool:
    return "Traceback" not in stderr and len(stderr.strip().splitlines()) <= 1


def _count(clean: bool) -> None:
    FAULTS["run"] += 1
    FAULTS["clean"] += bool(clean)


def test_concurrent_runs_for_one_destination_one_wins(tmp_path, reference):
    """N runs into one destination at once: exactly one project, N-1 one-line refusals, no debris."""
    for round_ in range(5):
        out = tmp_path / f"round{round_}"
        if round_ % 2:
            (out / "race").mkdir(parents=True)  # an empty destination is taken too, but by one run only
        procs = [start(tmp_path, "new", "Race", *ARGS, "-o", str(out)) for _ in range(4)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = sorted(rc for rc, _, _ in results)
        refusals = [err for rc, _, err in results if rc == 2]
        clean = (codes == [0, 2, 2, 2] and all(_one_line(e) and e.startswith("error: ") for e in refusals)
                 and sorted(p.name for p in out.iterdir()) == ["race"] and _files(out / "race") == reference)
        _count(clean)
        assert clean, (codes, [e for _, _, e in results])
        check_project(out / "race")


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]



def test_signals_at_random_moments_leave_the_project_or_nothing(tmp_path, reference):
    """SIGINT/SIGTERM/SIGHUP at a random moment: exit 128+N with one line, and a complete project or nothing."""
    for trial in range(18):
        sig = SIGNALS[trial % 3]
        base = tmp_path / f"t{trial}"
        base.mkdir()
        out = base / "new" / "deeper"  # parents this run must create, and remove again if it stops
        proc = start(tmp_path, "new", "Race", *ARGS, "-o", str(out))
        # SIGTERM/SIGHUP from the first instant (before scaffold runs, their default action ends the process and
        # nothing is written); SIGINT only once scaffold's handlers are in (see wait_for_handlers).
        if sig == signal.SIGINT:
            wait_for_handlers(proc)
        time.sleep(_rng.uniform(0.0, 1.2))
        proc.send_signal(sig)
        rc = proc.wait(timeout=120)
        _, err = proc.communicate()
        made = (out / "race").exists()
        state_ok = (made and _files(out / "race") == reference and _debris(out) == []) or \
                   (not made and list(base.iterdir()) == [])
        code_ok = rc == 0 or rc in (128 + sig, -sig)  # -sig: it arrived before Python had started our handler
        clean = state_ok and code_ok and _one_line(err) and (rc != 0 or made)
        _count(clean)
        assert clean, (trial, sig, rc, err, sorted(str(p.relative_to(base)) for p in base.rglob("*"))[:10])


@pytest.mark.parametrize("where", ["run-first-instants", "run-last-instant"])
def test_a_signal_outside_the_commands_handler_is_one_line_and_its_status(monkeypatch, capsys, where):
    """The instants around ``cli.run``'s own handler (its imports before it, its return) belong to ``__main__``:
    one line and 128+N, never a traceback (seen once in the random-moment test above: SIGHUP while typer
    loaded, exit 1 with a trace); and once the run is over, later signals are ignored until the exit."""
    from scaffold import __main__ as entry
    from scaffold import cli, interrupts

    def interrupted() -> bool:
        raise interrupts.Interrupted(signal.SIGHUP)

    def returning(argv: list[str]) -> int:
        signal.raise_signal(signal.SIGHUP)  # as the run returns, after its own handler
        return 0

    if where == "run-first-instants":
        monkeypatch.setattr(cli, "_standard_streams", interrupted)
    else:
        monkeypatch.setattr(cli, "run", returning)
    monkeypatch.setattr(sys, "argv", ["scaffold", "--version"])
    monkeypatch.setattr(interrupts, "_raised", None)
    before = {sig: signal.getsignal(sig) for sig in interrupts.HANDLED}
    try:
        with pytest.raises(SystemExit) as stopped:
            entry.main()
        after = {sig: signal.getsignal(sig) for sig in interrupts.HANDLED}
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    assert stopped.value.code == 128 + signal.SIGHUP
    assert capsys.readouterr().err == "interrupted: SIGHUP; stopped without leaving anything half-written\n"
    assert set(after.values()) == {signal.SIG_IGN}


def test_sigkill_leaves_nothing_a_later_run_does_not_sweep(tmp_path, reference):
    """SIGKILL cannot be handled: what it leaves is the temporary folder, and the next run removes it."""
    for trial in range(5):
        out = tmp_path / f"k{trial}"
        out.mkdir()
        proc = start(tmp_path, "new", "Race", *ARGS, "-o", str(out))
        time.sleep(_rng.uniform(0.3, 1.2))
        proc.kill()
        proc.wait(timeout=60)
        proc.communicate()
        later = scaffold(tmp_path, "new", "Other", *ARGS, "-o", str(out))
        names = sorted(p.name for p in out.iterdir())
        clean = later.returncode == 0 and names in (["other"], ["other", "race"]) and \
            ("race" not in names or _files(out / "race") == reference)
        _count(clean)
        assert clean, (trial, later.stderr, names)


def test_a_folder_killed_before_its_note_is_swept_only_when_its_maker_is_gone(tmp_path):
    """The window between making the temporary folder and writing its note: the pid in its name decides."""
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = out / f"{TEMP_PREFIX}{gone.pid}-abc"
    live = out / f"{TEMP_PREFIX}{os.getpid()}-def"  # this test process: alive, as a run still preparing is
    cut = out / f"{TEMP_PREFIX}{gone.pid}-ghi"
    for folder in (dead, live, cut):
        folder.mkdir()
    (cut / ".scaffold-owner").write_text("{", encoding="utf-8")  # killed in the middle of writing its note
    done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(["race", live.name])


def test_a_sweep_holding_the_new_folders_lock_for_an_instant_is_waited_for(tmp_path, monkeypatch):
    """Another run's sweep locks each temporary folder for an instant, a new one too, before its note is written:
    the run that made it waits for the lock instead of failing (seen once in four concurrent runs)."""
    import fcntl
    import threading

    from scaffold import generate, generator

    made = tmp_path / "out" / f"{TEMP_PREFIX}{os.getpid()}-held"
    made.mkdir(parents=True)
    held = os.open(made, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as _sweep holds it while it reads the note and sees the maker alive
    monkeypatch.setattr(generator.tempfile, "mkdtemp", lambda **_: str(made))
    release = threading.Timer(0.3, os.close, (held,))
    release.start()
    project = generate("Race", framework="sklearn", target="cpu", output_dir=tmp_path / "out")
    release.join()
    assert Path(project.path).is_dir() and not made.exists()


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not allowed'}); run as root to test ENOSPC")


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.parametrize("options", ["size=96k", "size=200k", "size=320k", "size=400k", "nr_inodes=30",
                                     "nr_inodes=60"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, options):
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, options)
    try:
        done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(mnt / "sub"))
        left = sorted(p.name for p in mnt.iterdir())
        if done.returncode == 0:  # it fitted: then it must be complete
            clean = left == ["sub"] and check_project(mnt / "sub" / "race") is not None
        else:
            clean = (done.returncode == 1 and _one_line(done.stderr) and "No space left on device" in done.stderr
                     and left == [])
        _count(clean)
        assert clean, (done.returncode, done.stderr, left)
    finally:
        _umount(mnt)


def test_a_mount_point_destination_is_refused(tmp_path):
    dest = tmp_path / "race"
    _mount_tmpfs(dest, "size=1m")
    try:
        done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(tmp_path), "--force")
        clean = done.returncode == 2 and "mount point" in done.stderr and _one_line(done.stderr) and \
            list(dest.iterdir()) == [] and _debris(tmp_path) == []
        _count(clean)
        assert clean, done.stderr
        into = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(dest))  # the mount point as the output folder works
        assert into.returncode == 0, into.stderr
        assert (dest / "race" / ".scaffold.json").is_file() and _debris(dest) == []
    finally:
        _umount(dest)


def test_links_on_the_way_are_refused_or_followed_safely(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "keep.txt").write_text("mine")
    cases = []
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "race").symlink_to(real)  # destination is a link to a folder: never written through
    cases.append(("a", ["--force"], 2, "is a symlink"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "race").symlink_to(tmp_path / "nowhere")  # dangling destination link
    cases.append(("b", [], 2, "is a symlink"))
    (tmp_path / "c").symlink_to(tmp_path / "gone")  # -o a dangling link: it would create folders elsewhere
    cases.append(("c", [], 2, "does not exist"))
    for out, extra, code, message in cases:
        done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(tmp_path / out), *extra)
        clean = done.returncode == code and message in done.stderr and _one_line(done.stderr)
        _count(clean)
        assert clean, (out, done.returncode, done.stderr)
    assert sorted(p.name for p in real.iterdir()) == ["keep.txt"] and not (tmp_path / "gone").exists()
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "d").symlink_to(real)  # -o a link to a folder: the project goes into the real folder
    done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(tmp_path / "d"))
    assert done.returncode == 0 and (real / "race" / ".scaffold.json").is_file(), done.stderr
    assert json.loads(scaffold(tmp_path, "new", "Race", *ARGS, "--dry-run", "--json", "-o",
                               str(tmp_path / "d" / "x")).stdout)["path"] == str(real / "x" / "race")


def test_an_output_dir_through_the_destination_keeps_it(tmp_path):
    """``cd x/myproj && scaffold new myproj -o ..`` used to lose the folder; now it fills it."""
    here = tmp_path / "x" / "myproj"
    here.mkdir(parents=True)
    done = scaffold(tmp_path, "new", "myproj", *ARGS, "-o", "..", cwd=here)
    assert done.returncode == 0, done.stderr
    assert (here / ".scaffold.json").is_file() and sorted(p.name for p in (tmp_path / "x").iterdir()) == ["myproj"]
    (here / "mine.txt").write_text("keep")
    again = scaffold(tmp_path, "new", "myproj", *ARGS, "-o", "..", "--force", cwd=here)
    assert again.returncode == 0, again.stderr
    assert not (here / "mine.txt").exists() and _debris(tmp_path / "x") == []


def test_force_replaces_only_generated_projects(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.c").write_text("int main(void) { return 0; }\n")
    done = scaffold(tmp_path, "new", "src", *ARGS, "-o", str(tmp_path), "--force")
    clean = done.returncode == 2 and "not a project scaffold-ml generated" in done.stderr and \
        (src / "main.c").read_text().startswith("int main")
    _count(clean)
    assert clean, done.stderr


def test_an_incomplete_removal_of_the_replaced_project_is_an_error(tmp_path):
    """--force: the new project is in place, but part of the old one cannot go (a read-only mount inside it)."""
    assert scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(tmp_path)).returncode == 0
    stuck = tmp_path / "race" / "stuck"
    _mount_tmpfs(stuck, "size=64k")
    try:
        (stuck / "old.txt").write_text("old")
        subprocess.run(["mount", "-o", "remount,ro", str(stuck)], check=True, capture_output=True)
        done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(tmp_path), "--force")
        clean = (done.returncode == 1 and _one_line(done.stderr) and "could not be removed completely" in done.stderr
                 and "Read-only file system" in done.stderr and (tmp_path / "race" / ".scaffold.json").is_file()
                 and not (tmp_path / "race" / "stuck").exists())
        _count(clean)
        assert clean, done.stderr
    finally:
        for line in subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout.split():
            if line.startswith(str(tmp_path)):
                _umount(Path(line))


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path):
    done = scaffold(tmp_path, "new", "Race", *ARGS, "-o", str(tmp_path / ("x" * 300) / "y"))
    clean = done.returncode == 2 and _one_line(done.stderr) and "File name too long" in done.stderr
    _count(clean)
    assert clean, done.stderr
    assert list(p for p in tmp_path.iterdir() if p.name != "cache") == []


@pytest.mark.parametrize(("shell", "expect_code", "expect"), [
    ("<&-", 0, ""),  # stdin closed: never a prompt, works
    (">/dev/full", 1, "cannot write to standard output"),
    (">&-", 1, "standard output is closed"),
    ("2>&-", 0, ""),
])
def test_closed_or_failing_std_streams(tmp_path, shell, expect_code, expect):
    out = tmp_path / "o"
    command = " ".join([sys.executable, "-m", "scaffold", "new", "Race", *ARGS, "-o", str(out)]) + " " + shell
    done = subprocess.run(["bash", "-c", command + (" 2>err.txt" if "2>" not in shell else "")], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    err = (tmp_path / "err.txt").read_text() if (tmp_path / "err.txt").exists() else ""
    clean = done.returncode == expect_code and expect in err and _one_line(err)
    if expect_code == 0 or "full" in shell:
        clean = clean and _files(out / "race") != set()
    else:
        clean = clean and not out.exists()
    _count(clean)
    assert clean, (done.returncode, err)


def test_an_ascii_terminal_gets_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "scaffold", "recommend"], capture_output=True, text=True,
                          env={**_env(tmp_path), "PYTHONIOENCODING": "ascii"}, timeout=60)
    clean = done.returncode == 0 and done.stderr == "" and "#" in done.stdout  # the bars fall back to ASCII
    _count(clean)
    assert clean, done.stderr


def test_an_update_killed_at_random_then_edited_keeps_the_edit_and_ends_updated(tmp_path):
    """`scaffold update` SIGKILLed at a random moment, the user edits a file the update writes, the next update
    runs: it ends fully updated, the edit kept (merged), nothing left in .scaffold/update."""
    env = {**_env(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def run(*args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "scaffold", *args], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    made = subprocess.run([sys.executable, "-m", "scaffold", "new", "Killed", *ARGS, "-o", str(tmp_path / "seed")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    seed = tmp_path / "seed" / "killed"
    after = tmp_path / "after"
    shutil.copytree(seed, after)
    done = run("update", "--project", str(after), "--python", "3.11")
    assert done.wait(timeout=120) == 0, done.communicate()
    done.communicate()
    expected = {rel: data for rel, data in _contents(after).items()}
    mine = "\n[tool.mine]\nkept = true\n"
    expected["pyproject.toml"] += mine.encode()
    for trial in range(4):
        project = tmp_path / f"k{trial}"
        shutil.copytree(seed, project)
        proc = run("update", "--project", str(project), "--python", "3.11")
        time.sleep(_rng.uniform(0.3, 2.5))
        proc.kill()
        proc.wait(timeout=60)
        proc.communicate()
        with (project / "pyproject.toml").open("a") as f:
            f.write(mine)
        again = run("update", "--project", str(project), "--python", "3.11")
        rc = again.wait(timeout=120)
        _, err = again.communicate()
        clean = rc == 0 and _one_line(err) and not (project / ".scaffold" / "update").exists() and \
            _contents(project) == expected and not _renders_of(proc.pid)
        _count(clean)
        assert clean, (trial, rc, err, sorted(set(_contents(project).items()) ^ set(expected.items()))[:4])


def test_update_check_and_dry_run_work_on_a_read_only_file_system(tmp_path):
    """A read-only checkout (a tmpfs remounted ro): --check says "up to date" (exit 0, not CI's "behind"),
    --dry-run plans, and a real update is one line, exit 1, the project as it was."""
    mnt = tmp_path / "ro"
    _mount_tmpfs(mnt, "size=8m")
    env = {**_env(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    try:
        made = scaffold(tmp_path, "new", "Readonly", *ARGS, "-o", str(mnt))
        assert made.returncode == 0, made.stderr
        project = mnt / "readonly"
        before = _contents(project)
        assert subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True).returncode == 0
        runs = [subprocess.run([sys.executable, "-m", "scaffold", "update", "--project", str(project), *extra],
                               env=env, capture_output=True, text=True, timeout=120)
                for extra in (["--check"], ["--dry-run", "--python", "3.11"], ["--python", "3.11"])]
        check, dry, real = runs
        clean = (check.returncode == 0 and "up to date" in check.stdout and dry.returncode == 0
                 and "Would update" in dry.stdout and real.returncode == 1 and _one_line(real.stderr)
                 and "left as it was" in real.stderr and _contents(project) == before)
        _count(clean)
        assert clean, [(r.returncode, r.stdout[-300:], r.stderr) for r in runs]
    finally:
        _umount(mnt)


def _renders_of(pid: int) -> list[str]:
    """The render folders a killed update (by its pid) left in the system's temporary folder: swept by the next."""
    import tempfile

    return [p.name for p in Path(tempfile.gettempdir()).glob(f"scaffold-update-{pid}-*")]


def _contents(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_fault_counts_are_reported(capsys):
    """The closing figure of the fault-injection tests above (run in file order)."""
    with capsys.disabled():
        print(f"\nfault injection: {FAULTS['run']} cases run, {FAULTS['clean']} clean")
    assert FAULTS["run"] == 0 or FAULTS["clean"] == FAULTS["run"]
