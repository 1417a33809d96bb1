from conftest import PROJECT
from pyspark.ml import Pipeline
from pyspark.ml.feature import Imputer, StandardScaler, StringIndexer, VectorAssembler

from {{ cookiecutter.package_name }}.config import (
    load_config,
)
from {{ cookiecutter.package_name }}.pipeline import (
    build_tuner,
)


def test_the_tuner_fits_the_whole_pipeline():
    # Indexers, imputer and scaler fitted before tuning would see the validation folds; inside the tuned
    # Pipeline every fold refits them on its own training part.
    for tuner_name in ("cross-validator", "train-validation-split"):
        config = load_config(PROJECT / "conf" / "job.toml", tuner=tuner_name)
        tuner = build_tuner(config, "classification", ("a", "b"), ("c",), n_classes=3)
        estimator = tuner.getEstimator()
        assert isinstance(estimator, Pipeline)
        kinds = [type(stage) for stage in estimator.getStages()]
        assert kinds[:2] == [Imputer, StringIndexer]
        assert StandardScaler in kinds
        assembler = next(s for s in estimator.getStages() if isinstance(s, VectorAssembler))
        assert assembler.getHandleInvalid() == "error"  # "skip" drops rows with a missing value, silently
        assert len(tuner.getEstimatorParamMaps()) == len(config.reg_params) * len(config.elastic_net_params)
    binary = build_tuner(config, "classification", ("a",), (), n_classes=2, rare_index=0)
    thresholds = {m[p] for m in binary.getEstimatorParamMaps() for p in m if p.name == "threshold"}
    assert thresholds == {1 - t for t in config.rare_class_thresholds}  # the rare class is label 0 here
