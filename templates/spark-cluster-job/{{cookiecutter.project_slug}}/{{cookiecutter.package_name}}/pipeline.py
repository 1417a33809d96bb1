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


def build_features(config: JobConfig) -> Pipeline:
    """Index and one-hot encode categoricals, index a class label, assemble and scale the features."""
    stages: list = []
    encoded = [f"{name}_vec" for name in config.categorical]
    if config.categorical:
        indexed = [f"{name}_idx" for name in config.categorical]
        # "keep" gives categories unseen in training their own bucket instead of failing at scoring time.
        stages.append(StringIndexer(inputCols=list(config.categorical), outputCols=indexed, handleInvalid="keep"))
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
    if config.task == "classification":
        # alphabetAsc keeps 0/1 labels as 0/1 (the default orders by frequency). When scoring new
        # rows without the target column, Spark skips this stage.
        stages.append(StringIndexer(inputCol=config.target, outputCol=LABEL, stringOrderType="alphabetAsc"))
    stages.append(VectorAssembler(inputCols=[*config.numeric, *encoded], outputCol="raw_features",
                                  handleInvalid="skip"))
    stages.append(StandardScaler(inputCol="raw_features", outputCol=FEATURES, withMean=False, withStd=True))
    return Pipeline(stages=stages)


def label_column(config: JobConfig) -> str:
    return LABEL if config.task == "classification" else config.target


def build_estimator(config: JobConfig) -> LogisticRegression | LinearRegression:
    if config.task == "classification":
        return LogisticRegression(featuresCol=FEATURES, labelCol=LABEL, maxIter=config.max_iter)
    return LinearRegression(featuresCol=FEATURES, labelCol=config.target, maxIter=config.max_iter)


def selection_evaluator(config: JobConfig, n_classes: int) -> Evaluator:
    """The metric the tuner maximises (or minimises, for RMSE)."""
    if config.task == "regression":
        return RegressionEvaluator(labelCol=config.target, metricName="rmse")
    if n_classes == 2:
        return BinaryClassificationEvaluator(labelCol=LABEL, metricName="areaUnderROC")
    return MulticlassClassificationEvaluator(labelCol=LABEL, metricName="f1")


def build_tuner(config: JobConfig, n_classes: int) -> Estimator:
    """A CrossValidator or TrainValidationSplit over the regularisation grid of the estimator.

    It tunes the estimator on already-featurised rows: the indexers and scaler are fitted once on
    the training split instead of once per fold and grid point, which is most of the cost of tuning
    a whole pipeline (their statistics barely move between folds).
    """
    estimator = build_estimator(config)
    grid = (ParamGridBuilder()
            .addGrid(estimator.regParam, list(config.reg_params))
            .addGrid(estimator.elasticNetParam, list(config.elastic_net_params))
            .build())
    evaluator = selection_evaluator(config, n_classes)
    # parallelism=2 fits two grid points at once; Spark still spreads each fit over all executors.
    if config.tuner == "cross-validator":
        return CrossValidator(estimator=estimator, estimatorParamMaps=grid, evaluator=evaluator,
                              numFolds=config.folds, seed=config.seed, parallelism=2)
    return TrainValidationSplit(estimator=estimator, estimatorParamMaps=grid, evaluator=evaluator,
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
