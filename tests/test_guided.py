"""The guided `scaffold new`, driven as a person drives it: the real program in a pseudo-terminal (pexpect).

Each run answers with the keys a person presses (a number, a name, Enter alone, Ctrl-C, Ctrl-D) and then looks
at what came out and what was written. Generation itself is proven elsewhere; most runs here use --dry-run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold.completion import candidates
from scaffold.guided import match_choice, match_many
from scaffold.models import SITUATION

pexpect = pytest.importorskip("pexpect")

# The situation questions in the order they are put, with their prompt labels.
QUESTIONS = [o.replace("_", " ").capitalize() for o in SITUATION]
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_SCAFFOLD")}
    # No terminal answers prompt_toolkit's cursor-position query inside pexpect: without this it waits for one.
    return {**env, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "COLUMNS": "100", "LINES": "50",
            "HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _spawn(tmp_path: Path, *args: str):
    child = pexpect.spawn(sys.executable, ["-m", "scaffold", "new", *args], env=_env(tmp_path), cwd=str(tmp_path),
                          encoding="utf-8", timeout=20, dimensions=(50, 100))
    child.logfile_read = _Log()
    return child


class _Log:
    """Everything the program showed, for the assertion messages and the no-traceback checks."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return ANSI.sub("", "".join(self.parts)).replace("\r", "")


def _prompt(label: str) -> str:
    """The open prompt for ``label`` (questionary's styled "? Label [default]: "), not the hint line above it."""
    return r"\?(\x1b\[[0-9;]*m)* " + re.escape(label) + r"( \[[^\]]*\])?:"


def _ask(child, label: str, answer: str) -> None:
    child.expect(_prompt(label))
    child.sendline(answer)


def _finish(child) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + child.signalstatus


def test_full_guided_run_records_the_situation(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = _spawn(tmp_path, "-o", str(out))
    _ask(child, "Project name", "Penguin Study")
    answers = {"Experience": "beginner", "Math": "1", "Task": "tabular-classification", "Data size": "small",
               "Infra": "laptop", "Time frame": "", "Goal": "learning", "Need": "visualization"}
    for label in QUESTIONS:
        _ask(child, label, answers[label])
    child.expect(r"Use scikit-learn \(sklearn\)")  # the recommendation, shown before the framework question
    _ask(child, "Framework", "")  # Enter: the recommended one
    child.expect("Proposed target: ")
    child.expect(r"Target: cpu \(the only one here\)")  # scikit-learn pins for the CPU only: stated, not asked
    child.expect("Summary:")
    _ask(child, "Go on", "y")
    child.expect(r"Set up \[no\]:")  # Enter must not download hundreds of MB: the default is no
    child.sendline("")
    assert _finish(child) == 0, child.logfile_read.text
    assert not (out / "penguin-study" / ".venv").exists()
    record = json.loads((out / "penguin-study" / ".scaffold.json").read_text())
    assert record["framework"] == "sklearn" and record["target"] == "cpu"
    assert record["answers"]["situation"] == {
        "experience": "beginner", "math": "weak", "task": "tabular-classification", "data_size": "small",
        "infra": "laptop", "goal": "learning", "need": ["visualization"]}
    assert record["answers"]["name"] == "Penguin Study"
    assert "Traceback" not in child.logfile_read.text


def test_a_bad_answer_is_refused_with_the_reason_and_asked_again(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "Retry", "--dry-run", "-o", str(tmp_path / "out"))
    _ask(child, "Experience", "wizard")
    child.expect(r"'wizard' is not a choice; type a number 1-4")
    child.send("\x15")  # Ctrl-U clears the refused text; the same question is still open
    child.sendline("9")
    child.expect(r"9 is not one of the numbers 1-4")
    child.send("\x15")
    child.sendline("2")  # a number: the second choice
    _ask(child, "Math", "SOLID")  # a name, in any case
    for label in QUESTIONS[2:]:
        _ask(child, label, "")
    _ask(child, "Framework", "tensorflow")  # one with several targets here
    _ask(child, "Task", "")  # TensorFlow's starter serves several: Enter takes its first
    child.expect("Proposed target")
    _ask(child, "Target", "rocm-0.1")
    child.expect("rocm-0.1")  # refused with the resolver's own reason
    child.send("\x15")
    child.sendline("1")
    child.expect("Summary:")
    _ask(child, "Go on", "")
    assert _finish(child) == 0, child.logfile_read.text
    shown = child.logfile_read.text
    assert "situation:  experience intermediate, math solid" in shown
    assert "Would write" in shown and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("stop_at", "key", "code"), [
    ("Project name", "\x03", 130),
    ("Task", "\x03", 130),
    ("Target", "\x03", 130),
    ("Infra", "\x04", 1),
])
def test_ctrl_c_or_d_at_a_question_ends_in_one_line_and_writes_nothing(tmp_path: Path, stop_at: str, key: str,
                                                                        code: int) -> None:
    out = tmp_path / "out"
    child = _spawn(tmp_path, "-o", str(out))
    for label in ["Project name", *QUESTIONS, "Framework", "Task", "Target"]:
        if label == stop_at:
            child.expect(_prompt(label))
            child.send(key)
            break
        # (TensorFlow: a framework with several targets here, so the target is asked)
        _ask(child, label, {"Project name": "Quit Test", "Framework": "tensorflow"}.get(label, ""))
    assert _finish(child) == code
    shown = child.logfile_read.text
    after = [line for line in shown[shown.rindex(f" {stop_at}"):].splitlines()[1:] if line.strip()]
    assert after == ["failed: interrupted; nothing was written" if code == 130
                     else "failed: input ended; nothing was written"], shown
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown
    assert not out.exists() and not list(tmp_path.rglob(".scaffold*"))


def test_answers_on_the_command_line_are_not_asked_again(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "Keras Thing", "--framework", "keras", "--target", "cpu", "--dry-run",
                   "-o", str(tmp_path / "out"))
    _ask(child, "Task", "")  # the Keras starter serves two tasks: Enter takes its first
    # The starter's own option, from the catalog (keras: backend tensorflow|jax|torch), is the next question.
    child.expect(r"Backend: Keras backend")
    child.expect(r"1\. tensorflow")
    _ask(child, "Backend", "torch")
    _ask(child, "Go on", "yes")
    assert _finish(child) == 0
    shown = child.logfile_read.text
    for never in ("Project name", "Experience", "Framework [", "Target ["):
        assert never not in shown, shown
    assert "keras-prototype" in shown and "backend:" in shown


def test_no_input_never_prompts_and_needs_the_name(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--no-input", "-o", str(tmp_path / "out"))
    assert _finish(child) == 2
    assert child.logfile_read.text.strip().splitlines() == [
        "error: missing the project NAME: scaffold new NAME [options] (at a terminal, without --no-input, it is asked)"]
    child = _spawn(tmp_path, "--json", "-o", str(tmp_path / "out"))
    assert _finish(child) == 2  # with --json the one line is JSON
    assert json.loads(child.logfile_read.text)["error"].startswith("missing the project NAME")
    child = _spawn(tmp_path, "Quiet", "--no-input", "--dry-run", "-o", str(tmp_path / "out"))
    assert _finish(child) == 0
    assert "?" not in child.logfile_read.text.split("Would write")[0]


def test_piped_stdin_never_prompts(tmp_path: Path) -> None:
    # stdout is the pseudo-terminal, stdin a pipe: still no question.
    env = _env(tmp_path)
    command = f"echo yes | {sys.executable} -m scaffold new Piped --dry-run -o {tmp_path / 'out'} --target cpu"
    child = pexpect.spawn("/bin/sh", ["-c", command], env=env, encoding="utf-8", timeout=30)
    child.logfile_read = _Log()
    assert _finish(child) == 0, child.logfile_read.text
    shown = child.logfile_read.text
    assert shown.startswith("Recommended") or shown.startswith("Would write"), shown
    assert "Experience" not in shown and "?" not in shown.split("Would write")[0]
    missing = subprocess.run([sys.executable, "-m", "scaffold", "new"], input="", capture_output=True, text=True,
                             env=env, timeout=60)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and missing.stdout == ""


@pytest.mark.parametrize("argv", [["--help"], ["recommend", "--task", "images"], ["new", "--help"]])
def test_help_and_recommend_do_not_load_the_prompt_library(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "scaffold", *argv], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()
              if line.startswith("import time:")}
    assert "typer" in loaded  # the measurement works
    assert not loaded & {"questionary", "prompt_toolkit"}


def test_match_choice_takes_numbers_names_prefixes_and_the_default() -> None:
    choices = ("tabular-classification", "tabular-regression", "clustering", "skip")
    assert match_choice("2", choices, "skip") == "tabular-regression"
    assert match_choice(" Clustering ", choices, "skip") == "clustering"
    assert match_choice("clu", choices, "skip") == "clustering"
    assert match_choice("", choices, "skip") == "skip"
    for bad, why in [("tab", "not a choice"), ("0", "1-4"), ("", "an answer is needed")]:
        with pytest.raises(ValueError, match=why):
            match_choice(bad, choices, None)
    assert match_many("1, distributed 1", ("custom-layers", "distributed", "skip")) == ("custom-layers", "distributed")
    assert match_many("", ("custom-layers", "skip")) == ()


def test_completion_offers_the_contract_identifiers(tmp_path: Path) -> None:
    assert candidates("task", "tab") == ["tabular-classification", "tabular-regression"]
    assert candidates("framework", "") == ["sklearn", "pytorch", "keras", "tensorflow", "spark", "sagemaker"]
    assert "cuda-12.6" in candidates("target", "CUDA")
    # Through the shell's own protocol (what `scaffold --install-completion bash` wires up).
    env = {**_env(tmp_path), "_SCAFFOLD_COMPLETE": "complete_bash", "COMP_WORDS": "scaffold new --data-size ",
           "COMP_CWORD": "3"}
    result = subprocess.run([sys.executable, "-m", "scaffold"], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["small", "large", "big-data"], result.stderr


def test_the_case_rule_identifiers_in_any_case_mean_the_lowercase_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "scaffold", "new", "Case Demo", "--framework", "Keras", "--target",
                             "CPU", "--backend", "Torch", "--task", "Tabular-Classification", "--need", "Custom-Layers", "--no-input",
                             "-o", str(out)], capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    record = json.loads((out / "case-demo" / ".scaffold.json").read_text())
    assert (record["framework"], record["target"], record["answers"]["backend"]) == ("keras", "cpu", "torch")
    assert record["task"] == "tabular-classification"
    assert record["answers"]["situation"] == {"task": "tabular-classification", "need": ["custom-layers"]}
    bad = subprocess.run([sys.executable, "-m", "scaffold", "recommend", "--Task", "images"], capture_output=True,
                         text=True, env=_env(tmp_path), timeout=60)
    assert bad.returncode == 2  # option names are exact; only the values are identifiers


def test_tab_completes_a_name_at_the_question(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "Tab", "--dry-run", "--experience", "beginner", "--math", "weak", "-o", str(tmp_path / "o"))
    child.expect(_prompt("Task"))
    child.send("tabular-c\t")
    # Completed on the screen: the whole hyphenated word (prompt_toolkit draws only the added "lassification"),
    # not "tabular-clustering".
    child.expect("lassification")
    child.sendline("")
    for label in QUESTIONS[3:]:
        _ask(child, label, "")
    _ask(child, "Framework", "")
    child.expect(r"Target: cpu \(the only one here\)")
    _ask(child, "Go on", "no")
    assert _finish(child) == 0  # declining is an answer, not a failure
    shown = child.logfile_read.text
    assert "situation:  experience beginner, math weak, task tabular-classification" in shown
    assert shown.rstrip().endswith("Not generated (answered no); nothing was written.")
    assert "failed" not in shown and not (tmp_path / "o").exists()


@pytest.mark.parametrize("answer", ["9", "6, 9", "Skip"])
def test_skip_by_its_number_at_the_multi_select_means_no_need(tmp_path: Path, answer: str) -> None:
    """The number shown beside `skip` is skip, alone or with others: the answers so far are kept, never an error."""
    child = _spawn(tmp_path, "Skipper", "--dry-run", "--experience", "beginner", "--math", "weak", "--task",
                   "tabular-classification", "--data-size", "small", "--infra", "laptop", "--time-frame", "days",
                   "--goal", "learning", "-o", str(tmp_path / "o"))
    child.expect(r"\b9\. skip")
    _ask(child, "Need", answer)
    _ask(child, "Framework", "")
    child.expect(r"Target: cpu \(the only one here\)")
    _ask(child, "Go on", "no")
    assert _finish(child) == 0, child.logfile_read.text
    shown = child.logfile_read.text
    assert "not allowed" not in shown and "need" not in shown.split("Summary:")[1].split("Go on")[0]


def test_a_taken_folder_re_asks_the_name_and_yes_to_setup_runs_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "taken").mkdir(parents=True)
    (out / "taken" / "notes.txt").write_text("mine\n")
    env = {**_env(tmp_path), "SCAFFOLD_INSTALLER": "uv", "UV_OFFLINE": "1", "UV_CACHE_DIR": str(tmp_path / "uv")}
    child = pexpect.spawn(sys.executable, ["-m", "scaffold", "new", "-o", str(out), "--framework", "sklearn",
                                           "--target", "cpu"], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=60, dimensions=(50, 400))  # wide: the reason names the folder's whole path
    child.logfile_read = _Log()
    _ask(child, "Project name", "Taken")
    child.expect("exists and is not empty")
    child.send("\x15")
    child.sendline("Fresh")
    _ask(child, "Task", "")  # Enter: the starter's first task
    _ask(child, "Go on", "")
    _ask(child, "Set up", "yes")
    # Offline with an empty uv cache the install cannot succeed: the step is named, the project kept.
    assert _finish(child) == 1, child.logfile_read.text
    shown = child.logfile_read.text
    assert "[1/3] create the virtual environment (.venv): done" in shown
    assert "failed: setup step 2/3 (install the pins with uv) failed" in shown and "Traceback" not in shown
    assert (out / "fresh" / ".scaffold.json").is_file() and (out / "taken" / "notes.txt").read_text() == "mine\n"
    refused = subprocess.run([sys.executable, "-m", "scaffold", "new", "Taken", "-o", str(out), "--no-input",
                              "--dry-run", "-f", "sklearn", "-t", "cpu"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert refused.returncode == 2 and "exists and is not empty" in refused.stderr


def test_a_name_new_would_refuse_is_refused_at_its_question_and_asked_again(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--framework", "pytorch", "--target", "cpu", "--dry-run", "-o", str(tmp_path / "out"))
    _ask(child, "Project name", "numpy")
    child.expect(r"a package the project installs")  # under the prompt, before any other question
    child.send("\x15")
    child.sendline("Fine Name")
    _ask(child, "Task", "")
    _ask(child, "Go on", "")
    assert _finish(child) == 0, child.logfile_read.text
    shown = child.logfile_read.text
    assert "Would write" in shown and "fine-name" in shown and "Summary:" in shown.split("numpy")[-1]


def test_only_targets_this_platform_can_have_are_offered(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "Torch Thing", "--framework", "pytorch", "--dry-run", "-o", str(tmp_path / "out"))
    _ask(child, "Task", "")
    child.expect(_prompt("Target"))
    listing = child.before.split("Target: the hardware the pins are for")[-1]
    assert "cuda" in listing and "mps" not in listing  # Apple's GPU is not a target a Linux machine can have
    child.sendline("cpu")
    _ask(child, "Go on", "")
    assert _finish(child) == 0, child.logfile_read.text
