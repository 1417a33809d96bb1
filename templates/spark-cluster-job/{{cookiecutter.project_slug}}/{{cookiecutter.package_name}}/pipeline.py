"""The MLlib pipeline: calendar numbers from dates, impute numbers, index and encode categories, assemble,
scale, fit a tuned model.

Every stage that learns from data (imputer, indexers, encoder, scaler) is inside the Pipeline that the
tuner fits, so each fold refits them on its own training part: no statistic of a validation fold leaks
into the model that is scored on it. The fitted PipelineModel takes the raw (cast) columns, so it carries
every statistic that scoring new rows needs.
"""

from __future__ import annotations

from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import (
    BinaryClassificationEvaluator,
    Evaluator,
    RegressionEvaluator,
)
from pyspark.ml.feature import (
    Imputer,
    OneHotEncoder,
    SQLTransformer,
    StandardScaler,
    StringIndexer,
    VectorAssembler,
)
from pyspark.ml.regression import LinearRegression
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder, TrainValidationSplit

from .config import JobConfig
from .data import CALENDAR

# Working columns get a prefix so they never collide with the user's own column names.
LABEL = "__label"
FEATURES = "__features"
PREDICTION = "__prediction"
PROBABILITY = "__probability"
RAW_PREDICTION = "__raw_prediction"
WEIGHT = "__weight"


def calendar_columns(dates: tuple[str, ...]) -> list[str]:
    """The numeric working columns made from ``dates``: ``__<date>_year``, ``__<date>_month``, ..."""
    return [f"__{d}_{part}" for d in dates for part in CALENDAR]


def _calendar(dates: tuple[str, ...]) -> SQLTransformer:
    # Inside the Pipeline, so the saved model turns the raw date column into these numbers by itself.
    parts = ", ".join(
        f"cast({_SQL.get(part, part)}({_quoted(d)}) as double) AS {_quoted(f'__{d}_{part}')}"
        for d in dates
        for part in CALENDAR
    )
    return SQLTransformer(statement=f"SELECT *, {parts} FROM __THIS__")


_SQL = {"day": "dayofmonth"}  # Spark SQL's name for the day of the month


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def build_pipeline(
    task: str,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    max_iter: int,
    dates: tuple[str, ...] = (),
    weighted: bool = False,
) -> Pipeline:
    """The unfitted Pipeline from raw (cast) columns to a prediction.

    ``weighted``: the classifier reads each training row's weight from ``WEIGHT`` (balanced class weights).
    """
    stages: list = []
    inputs: list[str] = []
    if dates:
        stages.append(_calendar(dates))
        numeric = (*numeric, *calendar_columns(dates))
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
                **({"weightCol": WEIGHT} if weighted else {}),
            )
        )
    else:
        stages.append(
            LinearRegression(featuresCol=FEATURES, labelCol=LABEL, predictionCol=PREDICTION, maxIter=max_iter)
        )
    return Pipeline(stages=stages)


class MacroF1(Evaluator):
    """Macro-averaged F1 (every class counts the same, however rare) as a tuning objective.

    MLlib's ``MulticlassClassificationEvaluator(metricName="f1")`` is weighted by class size: on a table
    with 6 % positives it rewards a model that never predicts them. The tuners run in this Python process,
    so an Evaluator written here works with both.
    """

    def _evaluate(self, dataset) -> float:
        return classification_metrics(confusion(dataset))["f1_macro"]

    def isLargerBetter(self) -> bool:
        return True


def confusion(predictions) -> dict[tuple[int, int], int]:
    """(true index, predicted index) -> rows, in one Spark job."""
    counts = predictions.groupBy(LABEL, PREDICTION).count().collect()
    return {(int(r[LABEL]), int(r[PREDICTION])): int(r["count"]) for r in counts}


def classification_metrics(matrix: dict[tuple[int, int], int]) -> dict[str, float]:
    """Accuracy, macro F1 and MLlib's weighted F1/precision/recall from a confusion matrix.

    Macro F1 averages over the classes that occur in the labels or the predictions, as scikit-learn's
    ``f1_score(average="macro")`` does; the weighted ones weigh each true class by its rows, as MLlib does.
    """
    total = sum(matrix.values())
    if total == 0:
        return {"accuracy": 0.0, "f1_macro": 0.0, "f1": 0.0, "weightedPrecision": 0.0, "weightedRecall": 0.0}
    labels = sorted({t for t, _ in matrix} | {p for _, p in matrix})
    support = {c: sum(n for (t, _), n in matrix.items() if t == c) for c in labels}
    predicted = {c: sum(n for (_, p), n in matrix.items() if p == c) for c in labels}
    f1s, precision, recall = {}, {}, {}
    for c in labels:
        hit = matrix.get((c, c), 0)
        precision[c] = hit / predicted[c] if predicted[c] else 0.0
        recall[c] = hit / support[c] if support[c] else 0.0
        both = precision[c] + recall[c]
        f1s[c] = 2 * precision[c] * recall[c] / both if both else 0.0
    return {
        "accuracy": sum(matrix.get((c, c), 0) for c in labels) / total,
        "f1_macro": sum(f1s.values()) / len(labels),
        "f1": sum(f1s[c] * support[c] for c in labels) / total,
        "weightedPrecision": sum(precision[c] * support[c] for c in labels) / total,
        "weightedRecall": sum(recall[c] * support[c] for c in labels) / total,
    }


def selection_evaluator(task: str, n_classes: int) -> Evaluator:
    """The metric the tuner optimises: RMSE for regression, macro F1 for classes (the rare ones count)."""
    if task == "regression":
        return RegressionEvaluator(labelCol=LABEL, predictionCol=PREDICTION, metricName="rmse")
    return MacroF1()


def build_tuner(
    config: JobConfig,
    task: str,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    n_classes: int,
    dates: tuple[str, ...] = (),
    rare_index: int = 1,
) -> CrossValidator | TrainValidationSplit:
    """A CrossValidator or TrainValidationSplit over the whole Pipeline and its grid.

    The grid: regularisation, and for two classes how sure the model must be to predict the rarer class
    (``rare_index``, its label index): with balanced weights 0.5 predicts it often, to the cost of precision;
    a higher threshold often gives a better macro F1. The tuner picks on the validation rows.
    """
    weighted = task == "classification" and config.class_weight == "balanced"
    pipeline = build_pipeline(task, numeric, categorical, config.max_iter, dates, weighted)
    estimator = pipeline.getStages()[-1]
    grid = (
        ParamGridBuilder()
        .addGrid(estimator.regParam, list(config.reg_params))
        .addGrid(estimator.elasticNetParam, list(config.elastic_net_params))
    )
    if task == "classification" and n_classes == 2:
        # LogisticRegression's threshold is on the probability of label index 1.
        thresholds = [t if rare_index == 1 else 1 - t for t in config.rare_class_thresholds]
        grid = grid.addGrid(estimator.threshold, thresholds)
    grid = grid.build()
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
    metrics = classification_metrics(confusion(predictions))
    if n_classes == 2:
        metrics["areaUnderROC"] = BinaryClassificationEvaluator(
            labelCol=LABEL, rawPredictionCol=RAW_PREDICTION, metricName="areaUnderROC"
        ).evaluate(predictions)
    return metrics
