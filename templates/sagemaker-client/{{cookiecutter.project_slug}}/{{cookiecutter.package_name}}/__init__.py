"""{{ cookiecutter.package_name }}: train with scikit-learn here, then on Amazon SageMaker.

Modules: entry_point (the training script, local and remote), local (train, evaluate and predict
here), config (sagemaker.toml), images (container lookup), aws (requests, retries, errors), jobs
(the SageMaker workflows), state (what was created), cli; runtime and check are shared by every
scaffold-ml starter.
"""
