"""Every (release, target, platform, python, algorithm framework) the SageMaker catalog claims resolves.

The offline tests resolve through ``scaffold.pins`` and parse every requirement with
``packaging``; the ``network`` ones ask uv to resolve each distinct requirement set from
PyPI's metadata for that platform and Python (all SageMaker pins come from PyPI), through the
same helper as tests/test_pins_resolve.py.
"""

from __future__ import annotations

from itertools import product

import pytest
from packaging.requirements import Requirement

from scaffold import pins
from scaffold.catalog import default_catalog
from scaffold.errors import TargetError
from scaffold.models import PinSet
from scaffold.targets import TargetSpec

FRAMEWORK = "sagemaker"


def _claims() -> list[tuple[str, str, str, str, str]]:
    """(release, target, platform, python, algorithm_framework) for every claimed combination."""
    fw = default_catalog().get(FRAMEWORK)
    choices = fw.options["algorithm_framework"].choices
    claims = []
    for release in fw.releases:
        for variant in release.variants:
            target = variant.accelerator + (f"-{variant.version}" if variant.version else "")
            served = [c for c in choices if variant.options.get("algorithm_framework", c) == c]
            for platform, python, choice in product(variant.platforms, variant.python or release.python, served):
                claims.append((release.version, target, platform, python, choice))
    return claims


CLAIMS = _claims()


def _resolve(release: str, target: str, platform: str, python: str, choice: str) -> PinSet:
    accelerator, _, version = target.partition("-")
    return pins.resolve(
        default_catalog(), FRAMEWORK, target=TargetSpec(accelerator, version or None), platform=platform,
        python=python, framework_version=release, options={"algorithm_framework": choice},
    )


def test_the_catalog_claims_both_targets_and_both_container_frameworks() -> None:
    targets = {claim[1] for claim in CLAIMS}
    assert {"cpu", "cuda-13.0"} <= targets
    assert {(claim[1].split("-")[0], claim[4]) for claim in CLAIMS} == {
        ("cpu", "sklearn"), ("cpu", "pytorch"), ("cuda", "pytorch"),
    }


def test_every_claim_pins_the_sdk_and_its_container_facts() -> None:
    """For each algorithm framework a variant serves (wider than its options: a CPU variant serves both)."""
    wrong = []
    for claim in CLAIMS:
        pinset = _resolve(*claim)
        names = {Requirement(text).name for text in (*pinset.requirements, *pinset.dev_requirements)}
        missing = {"sagemaker-core", "boto3", "botocore", "scikit-learn", "moto"} - names
        # Facts the template prints into sagemaker.toml.
        empty = [fact for fact in ("training_instance_type", "hosting_instance_type", "sklearn_container_version",
                                   "pytorch_training_container_version", "pytorch_inference_container_version")
                 if not pinset.facts.get(fact)]
        if pinset.options["algorithm_framework"] != claim[4] or missing or empty:
            wrong.append(f"{claim}: options {pinset.options}, missing {missing}, no facts {empty}")
    assert not wrong, "\n".join(wrong)


def test_bare_cuda_defaults_to_the_pytorch_gpu_images() -> None:
    pinset = pins.resolve(default_catalog(), FRAMEWORK, target=TargetSpec("cuda"), platform="linux-x86_64",
                          python="3.11")
    assert pinset.options["algorithm_framework"] == "pytorch"
    assert pinset.facts["training_instance_type"].startswith("ml.g")


def test_gpu_with_scikit_learn_images_is_refused() -> None:
    # SageMaker publishes scikit-learn images for CPU only.
    with pytest.raises(TargetError, match="algorithm-framework sklearn"):
        pins.resolve(default_catalog(), FRAMEWORK, target=TargetSpec("cuda"), platform="linux-x86_64",
                     python="3.11", options={"algorithm_framework": "sklearn"})
