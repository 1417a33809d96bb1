"""{{ cookiecutter.project_name }}: a Spark MLlib training job that runs locally or on a cluster."""
