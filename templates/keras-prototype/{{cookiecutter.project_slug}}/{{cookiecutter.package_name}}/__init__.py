"""A Keras prototype: a small network for tables (a classifier or a regressor) with a config-driven training, prediction and sweep loop.

Keras reads its backend from the ``KERAS_BACKEND`` environment variable once, when ``keras`` is first
imported. Every module of this package imports Keras only after this file has run, so the backend
this project's requirements install is set here; an explicit ``KERAS_BACKEND`` in the environment
still wins (e.g. ``KERAS_BACKEND=jax`` after ``pip install jax``).
"""

import os

#: The backend that requirements.txt installs (``scaffold new --backend`` chose it, ``scaffold update --backend``
#: changes it).
BACKEND: str = {{ cookiecutter.options.backend|tojson }}

#: What this project predicts: ``tabular-classification`` (labels) or ``tabular-regression`` (numbers);
#: ``scaffold new --task`` chose it.
TASK: str = {{ cookiecutter.task|tojson }}

os.environ.setdefault("KERAS_BACKEND", BACKEND)

__all__ = ["BACKEND", "TASK"]
