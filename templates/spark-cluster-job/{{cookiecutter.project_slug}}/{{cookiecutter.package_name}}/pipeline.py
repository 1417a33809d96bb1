"""The MLlib pipeline: index and encode categoricals, assemble and scale features, fit a tuned model."""

from __future__ import annotations

from pyspark.ml import Estimator, Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import (
    BinaryClassificationEvaluator,
    Evaluator,
    MulticlassClassificationEvaluator,
    RegressionEvaluator,
)
from pyspark.ml.feature import OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler
from pyspark.ml.regression import LinearRegression
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder, TrainValidationSplit

from .config import JobConfig

LABEL = "label"
FEATURES = "features"


def build_pipeline(config: JobConfig) -> tuple[Pipeline, LogisticRegression | LinearRegression]:
    """The feature stages followed by the estimator; the estimator is returned too for the grid."""
    stages: list = []
    encoded = [f"{name}_vec" for name in config.categorical]
    if config.categorical:
        indexed = [f"{name}_idx" for name in config.categorical]
        # "keep" gives categories unseen in training their own bucket instead of failing at scoring time.
        stages.append(StringIndexer(inputCols=list(config.categorical), outputCols=indexed, handleInvalid="keep"))
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
    if config.task == "classification":
        # alphabetAsc keeps 0/1 labels as 0/1 (the default orders by frequency).
        stages.append(StringIndexer(inputCol=config.target, outputCol=LABEL, stringOrderType="alphabetAsc"))
    stages.append(VectorAssembler(inputCols=[*config.numeric, *encoded], outputCol="raw_features",
                                  handleInvalid="skip"))
    stages.append(StandardScaler(inputCol="raw_features", outputCol=FEATURES, withMean=False, withStd=True))
    label = LABEL if config.task == "classification" else config.target
    estimator: LogisticRegression | LinearRegression
    if config.task == "classification":
        estimator = LogisticRegression(featuresCol=FEATURES, labelCol=label, maxIter=config.max_iter)
    else:
        estimator = LinearRegression(featuresCol=FEATURES, labelCol=label, maxIter=config.max_iter)
    stages.append(estimator)
    return Pipeline(stages=stages), estimator


def selection_evaluator(config: JobConfig, n_classes: int) -> Evaluator:
    """The metric the tuner maximises (or minimises, for RMSE)."""
    if config.task == "regression":
        return RegressionEvaluator(labelCol=config.target, metricName="rmse")
    if n_classes == 2:
        return BinaryClassificationEvaluator(labelCol=LABEL, metricName="areaUnderROC")
    return MulticlassClassificationEvaluator(labelCol=LABEL, metricName="f1")


def build_tuner(config: JobConfig, n_classes: int) -> Estimator:
    """Wrap the pipeline in a CrossValidator or TrainValidationSplit over the regularisation grid."""
    pipeline, estimator = build_pipeline(config)
    grid = (ParamGridBuilder()
            .addGrid(estimator.regParam, list(config.reg_params))
            .addGrid(estimator.elasticNetParam, list(config.elastic_net_params))
            .build())
    evaluator = selection_evaluator(config, n_classes)
    # parallelism=2 fits two grid points at once; Spark still spreads each fit over all executors.
    if config.tuner == "cross-validator":
        return CrossValidator(estimator=pipeline, estimatorParamMaps=grid, evaluator=evaluator,
                              numFolds=config.folds, seed=config.seed, parallelism=2)
    return TrainValidationSplit(estimator=pipeline, estimatorParamMaps=grid, evaluator=evaluator,
                                trainRatio=config.train_ratio, seed=config.seed, parallelism=2)


def holdout_metrics(config: JobConfig, predictions, n_classes: int) -> dict[str, float]:
    """Held-out metrics for the metrics file."""
    if config.task == "regression":
        return {name: RegressionEvaluator(labelCol=config.target, metricName=name).evaluate(predictions)
                for name in ("rmse", "mae", "r2")}
    metrics = {name: MulticlassClassificationEvaluator(labelCol=LABEL, metricName=name).evaluate(predictions)
               for name in ("accuracy", "f1")}
    if n_classes == 2:
        metrics["areaUnderROC"] = BinaryClassificationEvaluator(
            labelCol=LABEL, metricName="areaUnderROC").evaluate(predictions)
    return metrics
