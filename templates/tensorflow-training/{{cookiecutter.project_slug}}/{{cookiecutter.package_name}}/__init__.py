"""{{ cookiecutter.project_name }}: a TensorFlow training job with a custom loop, checkpoints and a SavedModel export."""

import os

# Keras 3 reads its backend once, at first import, from this variable (or ~/.keras/keras.json).
# The training loop below is TensorFlow code, so the backend must be TensorFlow whatever the
# user's global Keras setting says.
os.environ["KERAS_BACKEND"] = "tensorflow"
# TensorFlow's C++ runtime logs INFO lines on import; keep warnings and errors only unless asked.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
