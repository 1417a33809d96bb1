"""``check`` asks the framework about the GPU: recorded answers, so no GPU is needed to test what it says."""

from {{ cookiecutter.package_name }} import gpu_check

CUDA = {
    "accelerator": "cuda",
    "target": "cuda-13.0",
    "framework": "pytorch",
    "project_name": "Demo",
    "pins": {"torch": "1.0", "numpy": "1.0"},
}
CU130_ARCHS = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]


def test_the_runtime_comes_from_the_pins():
    assert gpu_check.runtime(CUDA) == "torch"
    assert gpu_check.runtime({"pins": {"keras": "1.0", "jax": "1.0"}}) == "jax"
    assert gpu_check.runtime({"pins": {"keras": "1.0", "tensorflow": "1.0"}}) == "tensorflow"
    assert gpu_check.runtime({"pins": {"scikit-learn": "1.0"}}) is None


def test_kernels_for_the_gpus_architecture():
    assert gpu_check.has_kernels("8.6", CU130_ARCHS)  # sm_80 code runs on 8.6
    assert not gpu_check.has_kernels("7.0", CU130_ARCHS)  # a V100 on a CUDA 13 build
    assert gpu_check.has_kernels("10.0", ["sm_60", "sm_80", "compute_90"])  # PTX for 9.0 JIT-compiles on 10.0
    assert not gpu_check.has_kernels("9.0", ["sm_80", "sm_86"])


def test_a_gpu_the_build_has_no_kernels_for_is_a_problem_with_the_build_that_runs():
    answer = {
        "version": "2.14.1+cu130",
        "available": True,
        "device": "Tesla V100-SXM2-32GB",
        "capability": "7.0",
        "arch_list": CU130_ARCHS,
        "matmul": False,
    }
    [(name, ok, detail, fix)] = gpu_check.assess(CUDA, "torch", answer)
    assert name == "gpu (PyTorch)"
    assert not ok
    assert "compute capability 7.0" in detail
    assert "no kernel image" in detail
    assert "--target auto" in fix


def test_a_working_gpu_passes():
    answer = {
        "version": "2.14.1",
        "available": True,
        "device": "NVIDIA H200",
        "capability": "9.0",
        "arch_list": CU130_ARCHS,
        "matmul": True,
    }
    [(_, ok, detail, _)] = gpu_check.assess(CUDA, "torch", answer)
    assert ok
    assert "NVIDIA H200" in detail


def test_a_cpu_fallback_fails_only_with_require_gpu():
    answer = {"version": "2.21.0", "available": False, "devices": []}
    [(_, ok, detail, _)] = gpu_check.assess(CUDA, "tensorflow", answer)
    assert ok
    assert "would train on the CPU" in detail
    [(_, ok, _, fix)] = gpu_check.assess(CUDA, "tensorflow", answer, require_gpu=True)
    assert not ok
    assert fix


def test_a_failed_kernel_or_a_broken_import_is_a_problem():
    broken = {"version": "0.10.2", "available": True, "devices": ["cuda:H100"], "matmul_error": "XlaRuntimeError: ..."}
    [(_, ok, detail, _)] = gpu_check.assess(CUDA, "jax", broken)
    assert not ok
    assert "matmul" in detail
    [(_, ok, detail, _)] = gpu_check.assess(CUDA, "torch", {"error": "ImportError: libcudnn.so.9"})
    assert not ok
    assert "libcudnn" in detail


def test_require_gpu_on_a_cpu_project_is_a_problem():
    [(_, ok, _, _)] = gpu_check.probe_checks({"accelerator": "cpu", "target": "cpu"}, require_gpu=True)
    assert not ok
    assert gpu_check.probe_checks({"accelerator": "cpu", "target": "cpu"}) == []
