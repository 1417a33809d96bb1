"""The MLlib pipeline: impute numbers, index and encode categories, assemble, scale, fit a tuned model.

Every stage that learns from data (imputer, indexers, encoder, scaler) is inside the Pipeline that the
tuner fits, so each fold refits them on its own training part: no statistic of a validation fold leaks
into the model that is scored on it.
"""

from __future__ import annotations

from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import (
    BinaryClassificationEvaluator,
    Evaluator,
    MulticlassClassificationEvaluator,
    RegressionEvaluator,
)
from pyspark.ml.feature import (
    Imputer,
    OneHotEncoder,
    StandardScaler,
    StringIndexer,
    VectorAssembler,
)
from pyspark.ml.regression import LinearRegression
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder, TrainValidationSplit

from .config import JobConfig

# Working columns get a prefix so they never collide with the user's own column names.
LABEL = "__label"
FEATURES = "__features"
PREDICTION = "__prediction"
PROBABILITY = "__probability"
RAW_PREDICTION = "__raw_prediction"


def build_pipeline(task: str, numeric: tuple[str, ...], categorical: tuple[str, ...], max_iter: int) -> Pipeline:
    """The unfitted Pipeline from raw (cast) columns to a prediction."""
    stages: list = []
    inputs: list[str] = []
    if numeric:
        imputed = [f"__{c}_imputed" for c in numeric]
        # Missing numbers (null, NaN, garbage that was not a number) get the training median, so no row
        # is dropped, at training or at scoring time.
        stages.append(Imputer(inputCols=list(numeric), outputCols=imputed, strategy="median"))
        inputs += imputed
    if categorical:
        indexed = [f"__{c}_index" for c in categorical]
        encoded = [f"__{c}_onehot" for c in categorical]
        # "keep": a missing or unseen category gets its own bucket instead of failing or dropping the row.
        stages.append(StringIndexer(inputCols=list(categorical), outputCols=indexed, handleInvalid="keep"))
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
        inputs += encoded
    # "error": after imputing and indexing nothing may be missing; if something is, that is a bug to see,
    # not rows to drop ("skip" would silently drop them, in the saved model too).
    stages.append(VectorAssembler(inputCols=inputs, outputCol="__raw_features", handleInvalid="error"))
    stages.append(StandardScaler(inputCol="__raw_features", outputCol=FEATURES, withMean=False, withStd=True))
    if task == "classification":
        stages.append(
            LogisticRegression(
                featuresCol=FEATURES,
                labelCol=LABEL,
                predictionCol=PREDICTION,
                probabilityCol=PROBABILITY,
                rawPredictionCol=RAW_PREDICTION,
                maxIter=max_iter,
            )
        )
    else:
        stages.append(
            LinearRegression(featuresCol=FEATURES, labelCol=LABEL, predictionCol=PREDICTION, maxIter=max_iter)
        )
    return Pipeline(stages=stages)


def selection_evaluator(task: str, n_classes: int) -> Evaluator:
    """The metric the tuner optimises: RMSE, area under ROC (two classes) or F1 (more)."""
    if task == "regression":
        return RegressionEvaluator(labelCol=LABEL, predictionCol=PREDICTION, metricName="rmse")
    if n_classes == 2:
        return BinaryClassificationEvaluator(labelCol=LABEL, rawPredictionCol=RAW_PREDICTION, metricName="areaUnderROC")
    return MulticlassClassificationEvaluator(labelCol=LABEL, predictionCol=PREDICTION, metricName="f1")


def build_tuner(
    config: JobConfig, task: str, numeric: tuple[str, ...], categorical: tuple[str, ...], n_classes: int
) -> CrossValidator | TrainValidationSplit:
    """A CrossValidator or TrainValidationSplit over the whole Pipeline and its regularisation grid."""
    pipeline = build_pipeline(task, numeric, categorical, config.max_iter)
    estimator = pipeline.getStages()[-1]
    grid = (
        ParamGridBuilder()
        .addGrid(estimator.regParam, list(config.reg_params))
        .addGrid(estimator.elasticNetParam, list(config.elastic_net_params))
        .build()
    )
    evaluator = selection_evaluator(task, n_classes)
    # parallelism=2 fits two grid points at once; Spark still spreads each fit over all executors.
    if config.tuner == "cross-validator":
        return CrossValidator(
            estimator=pipeline,
            estimatorParamMaps=grid,
            evaluator=evaluator,
            numFolds=config.folds,
            seed=config.seed,
            parallelism=2,
        )
    return TrainValidationSplit(
        estimator=pipeline,
        estimatorParamMaps=grid,
        evaluator=evaluator,
        trainRatio=config.train_ratio,
        seed=config.seed,
        parallelism=2,
    )


def score(task: str, predictions, n_classes: int) -> dict[str, float]:
    """Metrics of scored rows that carry ``LABEL``."""
    if task == "regression":
        return {
            name: RegressionEvaluator(labelCol=LABEL, predictionCol=PREDICTION, metricName=name).evaluate(predictions)
            for name in ("rmse", "mae", "r2")
        }
    metrics = {
        name: MulticlassClassificationEvaluator(labelCol=LABEL, predictionCol=PREDICTION, metricName=name).evaluate(
            predictions
        )
        for name in ("accuracy", "f1", "weightedPrecision", "weightedRecall")
    }
    if n_classes == 2:
        metrics["areaUnderROC"] = BinaryClassificationEvaluator(
            labelCol=LABEL, rawPredictionCol=RAW_PREDICTION, metricName="areaUnderROC"
        ).evaluate(predictions)
    return metrics
