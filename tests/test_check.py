"""The ``check`` module every generated project gets, rendered through the generator and run on recorded machines."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from scaffold import generate
from scaffold.catalog import default_catalog

RECORDED = Path(__file__).parent / "recorded"
CUDA12 = default_catalog().drivers["12"]  # the minimums a CUDA 12 project is checked against


def render(tmp_path: Path, framework: str = "sklearn", **kwargs):
    kwargs.setdefault("target", "cpu")
    kwargs.setdefault("platform", "linux-x86_64")
    kwargs.setdefault("python", "3.12")
    project = generate("Demo", framework=framework, output_dir=tmp_path, **kwargs)
    path = Path(project.path)
    record = json.loads((path / ".scaffold.json").read_text())
    return project, path, record


def load_check(path: Path, package: str):
    """Import the rendered check.py under a unique name (it is standard library only)."""
    name = f"rendered_check_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path / package / "check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sklearn_project(tmp_path):
    project, path, record = render(tmp_path)
    return project, path, record, load_check(path, project.package)


def fine_machine(check, record, **changes):
    values = dict(platform=record["platform"], python=record["python"] + ".4", installed=dict(record["pins"]))
    values.update(changes)
    return check.inspect(record, probe=False, **values)


def problems(check, record, machine):
    return [f"{c.name}: {c.detail} -> {c.fix}" for c in check.compare(record, machine).problems]


def test_the_record_carries_what_check_needs(sklearn_project):
    project, _, record, _ = sklearn_project
    assert record["pins"]["scikit-learn"] == project.pins.framework_version
    assert record["pins"]["pytest"] and "numpy" in record["pins"]
    assert record["accelerator"] == "cpu" and record["facts"] == {}


def test_a_matching_machine_passes(sklearn_project):
    _, _, record, check = sklearn_project
    assert problems(check, record, fine_machine(check, record)) == []


def test_wrong_python_platform_and_packages_each_say_what_to_do(sklearn_project):
    _, _, record, check = sklearn_project
    installed = dict(record["pins"])
    del installed["scipy"]
    installed["numpy"] = "1.26.4"
    found = problems(check, record, fine_machine(check, record, python="3.11.9", platform="macos-arm64",
                                                 installed=installed))
    assert len(found) == 4, found
    text = "\n".join(found)
    assert "this machine is macos-arm64, the project is pinned for linux-x86_64" in text
    assert "--platform macos-arm64" in text
    assert "Python 3.11.9 runs this, the project is pinned for Python 3.12" in text and "python3.12 -m venv" in text
    assert "scipy is not installed (pinned" in text and "-> pip install -r requirements.txt" in text
    assert f"numpy 1.26.4 is installed, pinned {record['pins']['numpy']}" in text


@pytest.mark.parametrize(("pinned", "installed", "same"), [
    ("2.14.1", "2.14.1", True),
    ("2.14.1", "2.14.1+cu130", True),    # a pin without a local label accepts any build of the release
    ("2.14.1+cpu", "2.14.1+cpu", True),
    ("2.14.1+cpu", "2.14.1+cu126", False),  # a CUDA wheel where the CPU build was pinned
    ("2.14.1+cu126", "2.14.1", False),
    ("2.14.1", "2.14.2", False),
    ("1.0", "1.0.0", True),
])
def test_versions_compare_as_pip_reads_equals(sklearn_project, pinned, installed, same):
    assert sklearn_project[3].same_version(pinned, installed) is same


@pytest.fixture
def cuda_project(tmp_path):
    project, path, record = render(tmp_path, framework="pytorch", target="cuda-12.6")
    return project, path, record, load_check(path, project.package)


def test_cuda_facts_reach_the_record(cuda_project):
    _, _, record, _ = cuda_project
    assert record["accelerator"] == "cuda" and record["accelerator_version"] == "12.6"
    assert (record["facts"]["min_driver_linux"], record["facts"]["min_driver_windows"]) == (CUDA12.linux,
                                                                                           CUDA12.windows)
    assert record["pins"]["torch"].endswith("+cu126")


@pytest.mark.parametrize(("smi", "proc", "expect"), [
    ("nvidia-smi-h100x8.txt", None, None),                                      # 570.133.20: new enough
    ("nvidia-smi-failed.txt", "proc-driver-nvidia-version-proprietary.txt", None),  # 550.54.14 from the file
    ("nvidia-smi-failed.txt", None, "no NVIDIA driver found"),
    (None, "proc-driver-nvidia-version-aarch64-old.txt", f"NVIDIA driver 470.239.06 is older than {CUDA12.linux}"),
])
def test_cuda_driver_presence_and_minimum(cuda_project, smi, proc, expect):
    _, _, record, check = cuda_project
    machine = fine_machine(check, record, nvidia_smi=(RECORDED / smi).read_text() if smi else "",
                           nvidia_proc=(RECORDED / proc).read_text() if proc else "")
    found = problems(check, record, machine)
    if expect is None:
        assert found == []
        assert any(c.name == "nvidia driver" and c.ok for c in check.compare(record, machine).checks)
    else:
        assert len(found) == 1 and expect in found[0] and "--target" in found[0], found


def test_a_cpu_torch_in_a_cuda_project_is_reported(cuda_project):
    _, _, record, check = cuda_project
    installed = {**record["pins"], "torch": "2.14.1+cpu"}
    smi = (RECORDED / "nvidia-smi-h100x8.txt").read_text()
    found = problems(check, record, fine_machine(check, record, installed=installed, nvidia_smi=smi))
    assert found == ["package torch: torch 2.14.1+cpu is installed, pinned 2.14.1+cu126 -> "
                     "pip install -r requirements.txt"]


@pytest.mark.parametrize(("java", "expect"), [
    ("java-17.txt", None), ("java-21.txt", None),
    ("java-8.txt", "Java 1.8.0_392 found; spark 4.1.4 supports Java 17, 21"),
    (None, "no Java found"),
])
def test_java_for_records_that_list_java_versions(sklearn_project, java, expect):
    _, _, record, check = sklearn_project
    record = {**record, "framework": "spark", "framework_version": "4.1.4", "facts": {"java": ["17", "21"]}}
    found = problems(check, record, fine_machine(check, record,
                                                 java_version_output=(RECORDED / java).read_text() if java else ""))
    assert found == [] if expect is None else (len(found) == 1 and expect in found[0] and "JAVA_HOME" in found[0])


def test_sagemaker_needs_credentials_and_a_region(sklearn_project):
    _, _, record, check = sklearn_project
    record = {**record, "framework": "sagemaker", "remote_accelerator": True}
    found = problems(check, record, fine_machine(check, record, aws={"credentials": None, "region": None}))
    assert len(found) == 2 and "no AWS credentials" in found[0] and "aws configure" in found[0]
    assert "no AWS region" in found[1]
    assert problems(check, record, fine_machine(check, record, aws={"credentials": "env", "region": "eu-west-1"})) == []


def test_sagemaker_credentials_through_botocores_real_chain_never_printed(sklearn_project, tmp_path):
    pytest.importorskip("botocore")
    _, path, record, _ = sklearn_project
    record = {**record, "framework": "sagemaker", "remote_accelerator": True}
    (path / ".scaffold.json").write_text(json.dumps(record))
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="eu-west-1",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true", PYTHONPATH=str(path))
    result = subprocess.run([sys.executable, "-m", "demo.check"], cwd=path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "aws credentials: found (source: env)" in result.stdout and "aws region: eu-west-1" in result.stdout
    assert secret not in result.stdout + result.stderr and "AKIAIOSFODNN7EXAMPLE" not in result.stdout
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    result = subprocess.run([sys.executable, "-m", "demo.check"], cwd=path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and "no AWS credentials found" in result.stdout


def fake_tool(bindir: Path, name: str, output: Path, *, stderr: bool = False) -> None:
    """A stand-in for a real tool on PATH that prints a recorded output, as the real one would."""
    script = bindir / name
    cat = shutil.which("cat")  # by its full path: the tests narrow PATH to the stand-ins
    script.write_text(f"#!/bin/sh\n{cat} {'>&2 ' if stderr else ''}'{output}'\n")
    script.chmod(0o755)


@pytest.mark.skipif(os.name == "nt", reason="shell stand-ins")
def test_the_command_probes_path_and_lists_every_problem(cuda_project, tmp_path):
    project, path, record, _ = cuda_project
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_tool(bindir, "nvidia-smi", RECORDED / "nvidia-smi-h100x8.txt")
    env = {**{k: v for k, v in os.environ.items() if k != "JAVA_HOME"}, "PATH": str(bindir),
           "PYTHONPATH": str(path)}
    result = subprocess.run([sys.executable, "-m", f"{project.package}.check"], cwd=path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr  # torch is not installed here
    assert f"ok      nvidia driver: 570.133.20 (from nvidia-smi), >= {CUDA12.linux}" in result.stdout
    assert "PROBLEM package torch: torch is not installed (pinned 2.14.1+cu126)" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].endswith("problems")
    as_json = subprocess.run([sys.executable, "-m", f"{project.package}.check", "--json"], cwd=path, env=env,
                             capture_output=True, text=True, timeout=120)
    data = json.loads(as_json.stdout)
    assert data["ok"] is False and {"platform", "python", "nvidia driver"} <= {c["name"] for c in data["checks"]}


@pytest.mark.skipif(os.name == "nt", reason="shell stand-ins")
def test_java_is_probed_where_spark_would_find_it(sklearn_project, tmp_path):
    project, path, record, _ = sklearn_project
    record = {**record, "framework": "spark", "framework_version": "4.1.4", "facts": {"java": ["17", "21"]}}
    (path / ".scaffold.json").write_text(json.dumps(record))
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    fake_tool(home / "bin", "java", RECORDED / "java-8.txt", stderr=True)
    env = {**os.environ, "JAVA_HOME": str(home), "PYTHONPATH": str(path)}
    result = subprocess.run([sys.executable, "-m", "demo.check"], cwd=path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert "PROBLEM java: Java 1.8.0_392 found; spark 4.1.4 supports Java 17, 21" in result.stdout


def test_no_record_is_a_one_line_error(sklearn_project, tmp_path):
    project, path, _, _ = sklearn_project
    (path / ".scaffold.json").unlink()
    env = {**os.environ, "PYTHONPATH": str(path)}
    result = subprocess.run([sys.executable, "-m", f"{project.package}.check"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot read") and len(result.stderr.strip().splitlines()) == 1


def test_the_starter_dispatches_check_before_loading_its_config(sklearn_project, tmp_path):
    project, path, _, _ = sklearn_project
    env = {**os.environ, "PYTHONPATH": str(path)}
    result = subprocess.run([sys.executable, "-m", project.package, "check", "--json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout)
    assert report["target"].startswith("sklearn ")
    assert result.returncode == (0 if report["ok"] else 1), result.stderr  # this machine may lack what it needs


def _one_combination_per_target():
    from scaffold.catalog import default_catalog

    catalog = default_catalog()
    seen = set()
    for fid, fw in catalog.frameworks.items():
        for release in fw.releases:
            for variant in release.variants:
                for platform in variant.platforms:
                    key = (fid, variant.target, platform.split("-")[0], tuple(sorted(variant.options.items())))
                    if key not in seen:
                        seen.add(key)
                        yield pytest.param(fid, release.version, variant, platform, (variant.python or release.python)[-1],
                                           id=f"{fid}-{release.version}-{variant.target}-{platform}"
                                              + "".join(f"-{v}" for v in variant.options.values()))


@pytest.mark.parametrize(("fid", "version", "variant", "platform", "python"), list(_one_combination_per_target()))
def test_every_starter_and_target_passes_check_on_its_ideal_machine(tmp_path, fid, version, variant, platform, python):
    """What each project's own tests/test_environment_check.py asserts, for every starter and target here."""
    project = generate("Demo", framework=fid, framework_version=version, target=variant.target, platform=platform,
                       python=python, options=dict(variant.options), output_dir=tmp_path)
    path = Path(project.path)
    record = json.loads((path / ".scaffold.json").read_text())
    check = load_check(path, project.package)
    facts = record["facts"]
    if record["accelerator"] == "cuda" and not record["remote_accelerator"]:
        assert facts["min_driver_linux"] and facts["min_driver_windows"]  # from the catalog or NVIDIA's table
    driver_key = "min_driver_windows" if platform.startswith("windows") else "min_driver_linux"
    ideal = check.Machine(platform=platform, python=python + ".0", installed=record["pins"],
                          nvidia_driver=facts.get(driver_key), nvidia_source="recorded",
                          rocm=record["accelerator_version"] or None, java=(facts.get("java") or [None])[0],
                          aws={"credentials": "env", "region": "eu-west-1"})
    assert check.compare(record, ideal).problems == ()
    assert (path / "tests" / "test_environment_check.py").is_file()


def test_sagemaker_gpu_instances_ask_for_no_local_driver(tmp_path):
    project, path, record = render(tmp_path, framework="sagemaker", target="cuda", platform="macos-arm64")
    check = load_check(path, project.package)
    assert record["remote_accelerator"] is True and "min_driver_linux" not in record["facts"]
    machine = fine_machine(check, record, aws={"credentials": "sso", "region": "us-east-1"})
    assert problems(check, record, machine) == []
    assert [c.name for c in check.compare(record, machine).checks if "nvidia" in c.name] == []
