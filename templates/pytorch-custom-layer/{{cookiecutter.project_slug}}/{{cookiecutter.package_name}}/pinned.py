"""What this project was generated for, written once by scaffold-ml from its framework catalog.

The device check reads these to explain a mismatch between the installed torch and the hardware
the requirements were pinned for (for example a CUDA build on a machine without an NVIDIA driver).
"""

TORCH_VERSION = {{ cookiecutter.framework_version|tojson }}
TARGET = {{ cookiecutter.target|tojson }}
ACCELERATOR = {{ cookiecutter.accelerator|tojson }}
ACCELERATOR_VERSION = {{ cookiecutter.accelerator_version|tojson }}
PLATFORM = {{ cookiecutter.platform|tojson }}
# Free-form facts of the pinned build, e.g. the minimum NVIDIA driver for its CUDA major.
FACTS: dict[str, str] = {{ cookiecutter.facts|tojson }}
