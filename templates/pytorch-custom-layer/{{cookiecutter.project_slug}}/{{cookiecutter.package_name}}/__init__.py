"""{{ cookiecutter.project_name }}: a PyTorch model built from custom layers, trained with or without torchrun."""

__version__ = "0.1.0"
