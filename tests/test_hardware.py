"""Detection from recorded probe outputs: no GPU, driver or JDK needed to test it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold import resolve_pins
from scaffold.catalog import default_catalog
from scaffold.hardware import (
    detect,
    java_major,
    parse_java_version,
    parse_nvidia_proc,
    parse_nvidia_smi,
    parse_rocm_version,
)
from scaffold.targets import cuda_for_driver, driver_facts

DRIVERS = default_catalog().drivers  # the expected minimums: the catalog's own table

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_nvidia_smi_one_row_per_gpu():
    gpus = parse_nvidia_smi(recorded("nvidia-smi-h100x8.txt"))
    assert len(gpus) == 8
    assert gpus[0] == {"name": "NVIDIA H100 80GB HBM3", "driver_version": "570.133.20", "memory": "81559 MiB",
                       "compute_capability": ""}  # the older three-field query
    mixed = parse_nvidia_smi(recorded("nvidia-smi-mixed.txt"))
    assert [g["name"] for g in mixed] == ["NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3060"]
    assert parse_nvidia_smi(recorded("nvidia-smi-failed.txt")) == []
    assert parse_nvidia_smi("") == []


@pytest.mark.parametrize(("name", "driver"), [
    ("proc-driver-nvidia-version-proprietary.txt", "550.54.14"),
    ("proc-driver-nvidia-version-open.txt", "580.82.07"),
    ("proc-driver-nvidia-version-aarch64-old.txt", "470.239.06"),
])
def test_driver_version_from_the_kernel_modules_file(name, driver):
    assert parse_nvidia_proc(recorded(name)) == driver


def test_a_file_that_is_not_the_drivers_gives_nothing():
    assert parse_nvidia_proc("") is None
    assert parse_nvidia_proc("GCC version:  gcc version 12.3.0\n") is None


@pytest.mark.parametrize(("name", "version", "major"), [
    ("java-17.txt", "17.0.15", "17"),
    ("java-21.txt", "21.0.5", "21"),
    ("java-8.txt", "1.8.0_392", "8"),
    ("java-25-picked-up.txt", "25", "25"),
])
def test_java_version_and_major(name, version, major):
    assert parse_java_version(recorded(name)) == version
    assert java_major(version) == major


def test_java_missing_or_unreadable():
    assert parse_java_version("") is None
    assert parse_java_version("bash: java: command not found") is None


def test_rocm_version():
    assert parse_rocm_version(recorded("rocm-info-version.txt")) == "7.2"
    assert parse_rocm_version("") is None


def test_detect_several_gpus_with_nvidia_smi():
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-h100x8.txt"),
               memory_bytes=128 * 2**30, cpu_cores=16, java_version_output=recorded("java-21.txt"))
    assert (m.accelerator, m.accelerator_version) == ("cuda", "12")
    d = m.details
    assert d["gpu"] == "NVIDIA H100 80GB HBM3" and d["gpu_count"] == 8 and d["gpu_memory"] == "81559 MiB"
    assert d["driver_version"] == "570.133.20" and d["driver_source"] == "nvidia-smi"
    assert (d["cpu_cores"], d["memory_gib"], d["java_version"], d["java_major"]) == (16, 128.0, "21.0.5", "21")
    assert len(d["gpus"]) == 8 and d["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"
    mixed = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-mixed.txt"))
    assert mixed.accelerator_version == "13"
    assert [g["name"] for g in mixed.details["gpus"]] == ["NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3060"]


def test_detect_falls_back_to_the_drivers_file_when_nvidia_smi_fails():
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-failed.txt"),
               nvidia_proc=recorded("proc-driver-nvidia-version-open.txt"))
    assert (m.accelerator, m.accelerator_version) == ("cuda", "13")
    assert m.details["driver_source"] == "/proc/driver/nvidia/version" and m.details["driver_version"] == "580.82.07"


def test_the_drivers_file_is_a_linux_fallback_only():
    m = detect(probe=False, platform="windows-x86_64", nvidia_smi="",
               nvidia_proc=recorded("proc-driver-nvidia-version-open.txt"))
    assert m.accelerator == "cpu"


def test_a_driver_too_old_for_cuda_12_means_the_cpu_and_says_why():
    m = detect(probe=False, platform="linux-aarch64", nvidia_proc=recorded("proc-driver-nvidia-version-aarch64-old.txt"))
    assert m.accelerator == "cpu" and "470.239.06 is too old" in m.details["note"]
    pins = resolve_pins("pytorch", target="auto", machine=m, python="3.12")
    assert pins.target.accelerator == "cpu"
    assert f"driver 470.239.06, too old for CUDA 12 (needs >= {DRIVERS['12'].linux})" in pins.notes[0]


def test_rocm_apple_and_plain_cpu():
    m = detect(probe=False, platform="linux-x86_64", rocm_version=recorded("rocm-info-version.txt"))
    assert (m.accelerator, m.accelerator_version, m.details["rocm_version"]) == ("rocm", "7.2", "7.2")
    m = detect(probe=False, platform="macos-arm64", apple_chip="Apple M3 Pro")
    assert (m.accelerator, m.details["chip"]) == ("mps", "Apple M3 Pro")
    m = detect(probe=False, platform="linux-x86_64")
    assert m.accelerator == "cpu" and "java_version" not in m.details and "gpu" not in m.details


@pytest.mark.parametrize(("smi", "target", "version"), [
    ("nvidia-smi-h100x8.txt", "cuda-12.6", "2.14.1"),  # driver 570: CUDA 12 at most -> the newest 12.x build
    ("nvidia-smi-mixed.txt", "cuda-13.2", "2.15.0"),   # driver 580: CUDA 13
])
def test_auto_picks_the_newest_build_the_driver_runs_and_says_why(smi, target, version):
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded(smi))
    pins = resolve_pins("pytorch", target="auto", machine=m, python="3.12")
    assert (pins.target.name, pins.framework_version) == (target, version)
    note = pins.notes[0]
    assert note.startswith("auto: found ") and f"driver {m.details['driver_version']}" in note
    assert f"picked {target}, the newest CUDA build of PyTorch {version} it can run" in note


def test_detect_on_this_machine_is_well_formed():
    m = detect()
    assert m.accelerator in ("cpu", "cuda", "rocm", "mps")
    assert isinstance(m.details["cpu_cores"], int) and m.details["cpu_cores"] >= 1


@pytest.mark.parametrize("cuda", ["12.6", "13.2"])
def test_driver_facts(cuda):
    entry = DRIVERS[cuda.split(".")[0]]
    facts = driver_facts(cuda, DRIVERS)
    assert facts == {"min_driver_linux": entry.linux, "min_driver_windows": entry.windows, "cuda_major": entry.major}
    assert driver_facts("11.8", DRIVERS) == {}


# ---- compute capability: the driver says which CUDA runs, the architecture which builds have kernels ----

GPUS = {"gtx980": "5.2", "gtx1080": "6.1", "v100": "7.0", "t4": "7.5", "a100": "8.0", "h200": "9.0", "b200": "10.0"}
CUDA12, CUDA13 = "550.127.05", "580.95.05"


def machine_with(gpu: str, driver: str, platform: str = "linux-x86_64"):
    return detect(probe=False, platform=platform, nvidia_smi=recorded(f"nvidia-smi-cc-{gpu}-{driver}.txt"))


@pytest.mark.parametrize("gpu", sorted(GPUS))
def test_detect_reads_each_gpus_compute_capability(gpu):
    m = machine_with(gpu, CUDA13)
    assert list(m.details["compute_capabilities"]) == [GPUS[gpu]]
    assert m.details["gpus"][0]["compute_capability"] == GPUS[gpu]
    assert m.as_dict()["gpus"][0]["compute_capability"] == GPUS[gpu]  # scaffold detect --json


def test_a_gpu_that_answers_na_has_no_capability_and_is_not_ruled_out():
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-cc-na.txt"))
    assert m.accelerator == "cpu" and "compute_capabilities" not in m.details  # driver 470: too old anyway
    assert m.details["gpus"][0]["compute_capability"] == ""


# (gpu, driver) -> the build `auto` picks: PyTorch's CUDA 13 builds start at sm_75, its CUDA 12.6 builds carry
# sm_50..sm_90 (none for Blackwell); TensorFlow's wheels carry sm_60..sm_89 plus PTX for 9.0 (newer GPUs JIT).
PYTORCH = {
    ("gtx980", CUDA12): ("2.14.1", "cuda-12.6"), ("gtx980", CUDA13): ("2.14.1", "cuda-12.6"),
    ("gtx1080", CUDA12): ("2.14.1", "cuda-12.6"), ("gtx1080", CUDA13): ("2.14.1", "cuda-12.6"),
    ("v100", CUDA12): ("2.14.1", "cuda-12.6"), ("v100", CUDA13): ("2.14.1", "cuda-12.6"),
    ("t4", CUDA12): ("2.14.1", "cuda-12.6"), ("t4", CUDA13): ("2.15.0", "cuda-13.2"),
    ("a100", CUDA12): ("2.14.1", "cuda-12.6"), ("a100", CUDA13): ("2.15.0", "cuda-13.2"),
    ("h200", CUDA12): ("2.14.1", "cuda-12.6"), ("h200", CUDA13): ("2.15.0", "cuda-13.2"),
    ("b200", CUDA12): (None, "cpu"), ("b200", CUDA13): ("2.15.0", "cuda-13.2"),
}
TENSORFLOW = {gpu: "cuda-12.9" for gpu in GPUS if gpu != "gtx980"} | {"gtx980": "cpu"}


@pytest.mark.parametrize(("gpu", "driver"), sorted(PYTORCH))
def test_auto_pytorch_fits_the_driver_and_the_architecture(gpu, driver):
    version, target = PYTORCH[(gpu, driver)]
    pins = resolve_pins("pytorch", target="auto", machine=machine_with(gpu, driver), python="3.12")
    assert pins.target.name == target
    if version:
        assert pins.framework_version == version


def test_auto_says_why_a_volta_gets_cuda_12_6_on_a_cuda_13_driver():
    pins = resolve_pins("pytorch", target="auto", machine=machine_with("v100", CUDA13), python="3.12")
    note = pins.notes[0]
    assert "found Tesla V100-SXM2-32GB (sm_70) with driver 580.95.05" in note
    assert "the cuda-13.2 build starts at sm_75 (PyTorch 2.15.0), so not cuda-13.2" in note
    assert note.endswith("picked cuda-12.6, the newest CUDA build of PyTorch 2.14.1 it can run")


def test_auto_on_blackwell_with_a_cuda_12_driver_falls_back_to_the_cpu_and_says_why():
    pins = resolve_pins("pytorch", target="auto", machine=machine_with("b200", CUDA12), python="3.12")
    assert pins.target.accelerator == "cpu"
    assert any("none has kernels for compute capability 10.0" in n for n in pins.notes)


@pytest.mark.parametrize(("gpu", "driver"), [(g, d) for g in sorted(GPUS) for d in (CUDA12, CUDA13)])
@pytest.mark.parametrize("framework", ["tensorflow", "keras"])
def test_auto_tensorflow_and_keras_fit_the_architecture(framework, gpu, driver):
    pins = resolve_pins(framework, target="auto", machine=machine_with(gpu, driver), python="3.12")
    if framework == "keras" and gpu == "gtx980":
        # No TensorFlow kernels for Maxwell: the backend left to its default steps aside for JAX, whose CUDA 12
        # architecture list nobody publishes (so it is not ruled out).
        assert (pins.target.name, pins.options["backend"]) == ("cuda-12.9", "jax")
    else:
        assert pins.target.name == TENSORFLOW[gpu]


def test_auto_keras_torch_backend_follows_pytorchs_matrix():
    pins = resolve_pins("keras", target="auto", options={"backend": "torch"}, machine=machine_with("v100", CUDA13),
                        python="3.12")
    assert pins.target.name == "cuda-12.6"
    pins = resolve_pins("keras", target="auto", options={"backend": "torch"}, machine=machine_with("h200", CUDA13),
                        python="3.12")
    assert pins.target.name == "cuda-13.0"


def test_a_mixed_machine_gets_a_build_that_runs_on_every_gpu():
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-cc-mixed-a100-v100.txt"))
    assert list(m.details["compute_capabilities"]) == ["7.0", "8.0"]
    pins = resolve_pins("pytorch", target="auto", machine=m, python="3.12")
    assert pins.target.name == "cuda-12.6"
    assert "NVIDIA A100-SXM4-40GB (sm_80) and Tesla V100-PCIE-16GB (sm_70)" in pins.notes[0]


def test_an_explicit_target_the_gpu_cannot_run_is_generated_with_a_warning():
    pins = resolve_pins("pytorch", target="cuda-13.2", machine=machine_with("v100", CUDA13), python="3.12")
    assert pins.target.name == "cuda-13.2"
    assert pins.warnings == ("cuda-13.2 will not run on this machine's Tesla V100-SXM2-32GB (sm_70): the cuda-13.2 "
                             "build starts at sm_75; use --target auto to get a build it runs",)
    old_driver = resolve_pins("pytorch", target="cuda-13.2", machine=machine_with("h200", CUDA12), python="3.12")
    assert "its NVIDIA driver 550.127.05 runs CUDA 12.x at most" in old_driver.warnings[0]
    fine = resolve_pins("pytorch", target="cuda-12.6", machine=machine_with("v100", CUDA13), python="3.12")
    assert fine.warnings == ()
    elsewhere = resolve_pins("pytorch", target="cuda-13.2", platform="linux-aarch64",
                             machine=machine_with("v100", CUDA13), python="3.12")
    assert elsewhere.warnings == ()  # generated for another machine: nothing to say about this one


def test_pytorch_aarch64_cuda_12_6_builds_cover_ampere_and_hopper_only():
    volta = machine_with("v100", CUDA12, platform="linux-aarch64")
    assert resolve_pins("pytorch", target="auto", machine=volta, python="3.12").target.accelerator == "cpu"
    hopper = machine_with("h200", CUDA12, platform="linux-aarch64")
    assert resolve_pins("pytorch", target="auto", machine=hopper, python="3.12").target.name == "cuda-12.6"


# Linux aarch64 GPUs (tests/recorded/nvidia-smi-cc-{t4g,gh200,thor}-*.txt): PyTorch's aarch64 CUDA 13 wheels carry
# sm_80, sm_90, sm_100, sm_110 and sm_120 (read from the wheels, frameworks/_gpu.toml), not x86_64's sm_75..sm_120.
AARCH64 = {"t4g": ("7.5", "580.95.05"), "gh200": ("9.0", "580.95.05"), "thor": ("11.0", "580.00")}


def aarch64_machine(gpu: str):
    return machine_with(gpu, AARCH64[gpu][1], platform="linux-aarch64")


@pytest.mark.parametrize("gpu", sorted(AARCH64))
def test_detect_reads_aarch64_gpus(gpu):
    m = aarch64_machine(gpu)
    assert m.accelerator == "cuda" and list(m.details["compute_capabilities"]) == [AARCH64[gpu][0]]


def test_auto_gives_an_aws_t4g_no_cuda_13_aarch64_build():
    # sm_75 is in the x86_64 CUDA 13 wheels only; the aarch64 CUDA 12.6 builds start at sm_80 too.
    pins = resolve_pins("pytorch", target="auto", machine=aarch64_machine("t4g"), python="3.12")
    assert pins.target.accelerator == "cpu"
    assert any("none has kernels for compute capability 7.5" in n for n in pins.notes), pins.notes
    explicit = resolve_pins("pytorch", target="cuda-13.2", machine=aarch64_machine("t4g"), python="3.12")
    assert explicit.warnings and "the cuda-13.2 build starts at sm_80" in explicit.warnings[0]
    keras = resolve_pins("keras", target="auto", options={"backend": "torch"}, machine=aarch64_machine("t4g"),
                         python="3.12")
    assert keras.target.accelerator == "cpu"


@pytest.mark.parametrize("gpu", ["gh200", "thor"])
def test_auto_gives_grace_hopper_and_jetson_thor_the_cuda_13_aarch64_build(gpu):
    pins = resolve_pins("pytorch", target="auto", machine=aarch64_machine(gpu), python="3.12")
    assert (pins.target.platform, pins.framework_version, pins.target.name) == ("linux-aarch64", "2.15.0", "cuda-13.2")
    assert pins.warnings == ()
    keras = resolve_pins("keras", target="auto", options={"backend": "torch"}, machine=aarch64_machine(gpu),
                         python="3.12")
    assert keras.target.name == "cuda-13.0"


def test_each_platform_of_a_cuda_13_build_says_its_own_architectures():
    x86 = resolve_pins("pytorch", target="cuda-13.2", platform="linux-x86_64", python="3.12")
    arm = resolve_pins("pytorch", target="cuda-13.2", platform="linux-aarch64", python="3.12")
    assert ("Its wheels carry GPU kernels for sm_75, sm_80, sm_86, sm_90, sm_100, sm_120: a GPU older than sm_75 "
            "cannot run it.") in x86.notes
    assert ("Its wheels carry GPU kernels for sm_80, sm_90, sm_100, sm_110, sm_120: a GPU older than sm_80 "
            "cannot run it.") in arm.notes
    assert not any("Turing" in n for n in arm.notes)


def test_windows_takes_its_own_minimum_driver():
    cuda12 = DRIVERS["12"]
    between = f"{cuda12.linux.split('.')[0]}.99"  # past Linux's minimum, short of Windows' (NVIDIA's own split)
    assert cuda_for_driver(between, "linux-x86_64", DRIVERS) == "12"
    assert cuda_for_driver(between, "windows-x86_64", DRIVERS) is None
    assert cuda_for_driver(cuda12.windows, "windows-x86_64", DRIVERS) == "12"
    assert cuda_for_driver(f"{DRIVERS['13'].windows}.88", "windows-x86_64", DRIVERS) == "13"


def test_wsl2_is_detected_and_treated_as_linux():
    m = detect(probe=False, platform="linux-x86_64", proc_version=recorded("proc-version-wsl2.txt"),
               nvidia_smi=recorded(f"nvidia-smi-cc-t4-{CUDA13}.txt"))
    assert m.platform == "linux-x86_64" and m.accelerator == "cuda"
    assert "WSL2" in m.details["wsl"] and "Windows host" in m.details["wsl"]
    plain = detect(probe=False, platform="linux-x86_64", proc_version=recorded("proc-version-ubuntu.txt"))
    assert "wsl" not in plain.details
    assert resolve_pins("pytorch", target="auto", machine=m, python="3.12").target.platform == "linux-x86_64"


def test_every_cuda_architecture_list_in_the_catalog_has_a_source(catalog):
    from scaffold.gpus import runs_on

    seen = 0
    for fw in catalog.frameworks.values():
        for release in fw.releases:
            for variant in release.variants:
                for arch in variant.architectures.values():
                    assert arch.known and arch.source.startswith(("C:", "D:")), (fw.id, variant.target)
                    assert runs_on(arch, "9.0") is True  # every listed build serves Hopper
                    seen += 1
    assert seen > 20


# ---- the driver table: once in frameworks/_gpu.toml, everything else derived from it ----

def test_the_driver_table_is_nvidias_published_minimums():
    # NVIDIA CUDA Toolkit release notes, "CUDA Toolkit and Minimum Required Driver Version for CUDA Minor Version
    # Compatibility": the only place outside frameworks/_gpu.toml that writes the numbers, to hold the table to them.
    published = {"12": ("525.60.13", "528.33"), "13": ("580", "580")}
    assert {major: (e.linux, e.windows) for major, e in DRIVERS.items()} == published
    assert all("Minimum Required Driver Version for CUDA Minor Version Compatibility" in e.source
               for e in DRIVERS.values())


def test_every_local_cuda_build_says_its_driver_once_from_the_table(catalog):
    from scaffold.maintain import claimed_combinations, pins_for

    seen = 0
    for fid, fw in catalog.frameworks.items():
        for release, variant, platform, python in claimed_combinations(catalog, fid):
            if variant.accelerator != "cuda" or fw.remote_accelerator:
                continue
            entry = DRIVERS[variant.version.split(".")[0]]
            minimum = entry.windows if platform.startswith("windows") else entry.linux
            pins = pins_for(catalog, fid, release, variant, platform, python)
            assert (pins.facts["min_driver_linux"], pins.facts["min_driver_windows"]) == (entry.linux, entry.windows)
            saying = [n for n in pins.notes if "driver" in n.lower() and minimum in n]
            assert len(saying) == 1 and saying[0].startswith(f"The NVIDIA driver must be {minimum} or newer")
            # the catalog's prose no longer repeats a number the table holds
            assert not any(e.linux in n or e.windows in n for n in variant.notes for e in DRIVERS.values())
            seen += 1
    assert seen > 100


def test_a_driver_table_without_a_major_or_with_a_bad_version_is_reported(tmp_path):
    import shutil

    from scaffold.catalog import load_catalog
    from scaffold.errors import CatalogError

    frameworks = tmp_path / "frameworks"
    shutil.copytree(Path(__file__).parent.parent / "frameworks", frameworks)
    gpu = frameworks / "_gpu.toml"
    text = gpu.read_text()
    gpu.write_text(text.replace(f'linux = "{DRIVERS["13"].linux}"', 'linux = "five-eighty"'))
    with pytest.raises(CatalogError, match=r"_gpu.toml: drivers\.13\.linux: 'five-eighty' is not a driver version"):
        load_catalog(frameworks)
    gpu.write_text(text[:text.index("[drivers.12]")])
    with pytest.raises(CatalogError, match=r"_gpu.toml: drivers: the minimum NVIDIA driver per CUDA major is missing"):
        load_catalog(frameworks)


# ---- the platform table: one record per platform, the facts every consumer reads ----

def test_the_platform_table_is_the_contracts_platforms_with_their_facts():
    from scaffold.targets import PLATFORM_TABLE, PLATFORMS, UV_PLATFORMS, marker_environment

    assert PLATFORMS == ("linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64")
    for name, p in PLATFORM_TABLE.items():
        env = marker_environment(name, "3.12")
        assert UV_PLATFORMS[name] == p.uv_platform and env["sys_platform"] == p.sys_platform
        assert (env["os_name"] == "nt") == (p.os == "windows") == (p.venv_bin == "Scripts")
        assert p.activate.replace("\\", "/").endswith(f".venv/{p.venv_bin}/activate")
        assert (p.macos_deployment_target is not None) == (p.os == "macos")
    assert PLATFORM_TABLE["linux-aarch64"].ci_runner == "ubuntu-24.04-arm"


@pytest.mark.parametrize("platform", ["linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64"])
def test_generated_projects_take_activation_and_ci_runner_from_the_table(platform, tmp_path):
    import scaffold
    from scaffold.targets import PLATFORM_TABLE

    project = scaffold.generate("Demo", framework="sklearn", target="cpu", platform=platform, python="3.12",
                                output_dir=tmp_path)
    facts = PLATFORM_TABLE[platform]
    assert f"python -m venv .venv && {facts.activate}" in project.next_steps
    ci = (Path(project.path) / ".github" / "workflows" / "ci.yml").read_text()
    assert f'runs-on: "{facts.ci_runner}"' in ci
