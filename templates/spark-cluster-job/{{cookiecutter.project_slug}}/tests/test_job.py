import json
import random

from pyspark.ml import PipelineModel

from {{ cookiecutter.package_name }}.config import load_job_config
from {{ cookiecutter.package_name }}.job import run


def test_classification_on_bundled_data(spark, job_ini, tmp_path):
    config = load_job_config(job_ini)
    result = run(spark, config)

    assert result["rows"]["total"] == 800
    assert result["rows"]["train"] + result["rows"]["test"] == 800
    # The bundled data has real signal (support calls, tenure, contract); a broken pipeline scores ~0.5.
    assert result["metrics"]["areaUnderROC"] > 0.75
    assert json.loads((tmp_path / "metrics.json").read_text()) == result

    model = PipelineModel.load(config.model_dir)
    scored = model.transform(spark.createDataFrame(
        [("basic", "mars", "monthly", 2.0, 35.0, 9.0)],  # new rows: no target, "mars" never seen in training
        "plan string, region string, contract string, tenure_months double, monthly_charges double, "
        "support_calls double"))
    assert scored.select("prediction").first()[0] in (0.0, 1.0)


def test_regression_from_parquet_with_cross_validation(spark, job_ini, tmp_path):
    rng = random.Random(7)
    rows = []
    for _ in range(300):
        size = rng.uniform(30, 200)
        kind = rng.choice(["flat", "house"])
        rows.append((kind, size, 1000 + 12.5 * size + (300 if kind == "house" else 0) + rng.gauss(0, 40)))
    data = tmp_path / "homes.parquet"
    spark.createDataFrame(rows, "kind string, size double, price double").write.parquet(str(data))

    text = job_ini.read_text()
    for old, new in [("format = csv", "format = parquet"), ("task = classification", "task = regression"),
                     ("target = churned", "target = price"),
                     ("categorical = plan, region, contract", "categorical = kind"),
                     ("numeric = tenure_months, monthly_charges, support_calls", "numeric = size"),
                     ("tuner = train-validation-split", "tuner = cross-validator")]:
        text = text.replace(old, new)
    text = "\n".join(f"path = {data}" if line.startswith("path = ") else line for line in text.splitlines())
    job_ini.write_text(text)

    result = run(spark, load_job_config(job_ini))
    assert result["metrics"]["r2"] > 0.9
    assert result["metrics"]["rmse"] < 100
