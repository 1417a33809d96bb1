"""{{ cookiecutter.package_name }}: train with scikit-learn here, then on Amazon SageMaker.

Modules: entry_point (the training script, local and remote), config (sagemaker.toml),
images (container lookup), aws (requests, retries, errors), jobs (the workflows), cli.
"""
