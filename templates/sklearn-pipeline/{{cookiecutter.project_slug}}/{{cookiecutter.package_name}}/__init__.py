"""{{ cookiecutter.project_name }}: a scikit-learn pipeline for tabular data."""

__version__ = "0.1.0"
