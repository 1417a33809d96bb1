"""Which prebuilt container image to run, looked up the way the SageMaker SDK does it."""

from __future__ import annotations

from .config import Config
from .runtime import EnvironmentProblem


class ImageNotAvailable(EnvironmentProblem):
    """Raised when the SDK knows no image for this framework, version, region and instance type."""


def image_uri(config: Config, scope: str, instance_type: str) -> str:
    """ECR URI of the ``scope`` ("training" or "inference") image for ``instance_type``.

    ``image_uris.retrieve`` reads the SDK's bundled image_uri_config JSON: the account that
    hosts the image in each region, the repository, and the tag (CPU or GPU image, picked from
    the instance family). It works offline and sends no request.
    """
    # Imported here because the SDK takes seconds to import and only remote commands need it.
    from sagemaker.core import image_uris

    version = config.container_version(scope)
    try:
        return image_uris.retrieve(
            framework=config.framework,
            region=config.region,
            version=version,
            instance_type=instance_type,
            image_scope=scope,
        )
    except ValueError as exc:
        raise ImageNotAvailable(
            f"no SageMaker {config.framework} {version} {scope} image for region {config.region} "
            f"on {instance_type}: {exc} Pick another aws.region, container.framework or instance type "
            "in sagemaker.toml."
        ) from exc
