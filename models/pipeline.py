"""The risk model: a scikit-learn Pipeline of preprocessing and a classifier whose
probabilities are calibrated on a later stretch of time than the one it learned from.

Calibration split: the latest snapshots (CALIBRATION_SHARE of the as-of days) calibrate; the
classifier learns from snapshots whose label windows closed before the first calibration
day, so no label it learned from reaches into the calibration period."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from models.features import CATEGORICAL, FEATURES, NUMERIC, TEXT

ESTIMATORS = ("hgb", "logistic")
CALIBRATION_SHARE = 0.2
#: isotonic calibration needs enough examples; fewer get a sigmoid (Platt) fit
ISOTONIC_MIN_EXAMPLES = 2000
#: examples of each outcome (escalated or not) the learning and calibration parts need
MIN_PER_OUTCOME = 10
TEXT_MAX_FEATURES = 3000
TEXT_DIMENSIONS = 16


class TooLittleData(ValueError):
    """Not enough labelled examples (or only one class) to fit or calibrate a model."""


@dataclass(frozen=True)
class FitSummary:
    """What a fit learned from: counts and days of its two parts."""

    estimator: str
    learned_examples: int
    learned_positives: int
    learned_until: str
    calibration_examples: int
    calibration_positives: int
    calibration_from: str
    calibration_until: str
    calibration_method: str


@contextmanager
def limited_threads(threads: int | None) -> Iterator[None]:
    """OpenMP/BLAS threads for fitting and scoring (None: the libraries' default)."""
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads):
        yield


class TextDimensions(TransformerMixin, BaseEstimator):
    """A text column as `dimensions` numbers: TF-IDF of character n-grams (Chinese has no
    spaces between words), capped at `max_features`, folded by truncated SVD.

    Fitted on the distinct texts and applied to each distinct text once: a case's summary
    repeats in every snapshot it is open in, and the character analyser is the slow part
    (100k rows, 8k distinct summaries). Columns the texts cannot fill (no text at all, a tiny
    vocabulary) stay 0, so any bundle can be trained on."""

    def __init__(self, max_features: int = TEXT_MAX_FEATURES,
                 dimensions: int = TEXT_DIMENSIONS) -> None:
        self.max_features = max_features
        self.dimensions = dimensions

    def fit(self, texts: pd.Series, y: object = None) -> TextDimensions:
        distinct = _distinct(texts)
        self.vectorizer_: TfidfVectorizer | None = None
        self.svd_: TruncatedSVD | None = None
        if len(distinct):
            self.vectorizer_ = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 3), max_features=self.max_features,
                min_df=2 if len(distinct) >= 50 else 1, sublinear_tf=True, dtype=np.float32)
            matrix = self.vectorizer_.fit_transform(distinct)
            width = min(self.dimensions, matrix.shape[1] - 1, len(distinct) - 1)
            if width >= 1:
                self.svd_ = TruncatedSVD(n_components=width, random_state=0).fit(matrix)
        return self

    def transform(self, texts: pd.Series) -> np.ndarray:
        codes, distinct = pd.factorize(_texts(texts))
        out = np.zeros((len(distinct), self.dimensions))
        if self.vectorizer_ is not None and self.svd_ is not None and len(distinct):
            folded = self.svd_.transform(self.vectorizer_.transform(distinct))
            out[:, :folded.shape[1]] = folded
        return out[codes] if len(codes) else np.zeros((0, self.dimensions))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray([f"text{i}" for i in range(self.dimensions)], dtype=object)


def _texts(texts: pd.Series | np.ndarray) -> np.ndarray:
    return pd.Series(np.asarray(texts, dtype=object).ravel()).fillna("").astype(str).to_numpy(
        dtype=object)


def _distinct(texts: pd.Series | np.ndarray) -> np.ndarray:
    distinct = pd.unique(_texts(texts))
    return distinct[distinct != ""]


def preprocessing(estimator: str) -> ColumnTransformer:
    """Columns FEATURES in; numbers out, the text folded into TEXT_DIMENSIONS columns."""
    if estimator == "hgb":
        numeric: object = "passthrough"
        categorical: object = OrdinalEncoder(handle_unknown="use_encoded_value",
                                             unknown_value=-1, encoded_missing_value=-1)
    else:
        numeric = Pipeline([("impute", SimpleImputer(strategy="median",
                                                     keep_empty_features=True)),
                            ("scale", StandardScaler())])
        categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer([("numeric", numeric, NUMERIC),
                              ("categorical", categorical, CATEGORICAL),
                              ("text", TextDimensions(), TEXT)])


def classifier(estimator: str) -> HistGradientBoostingClassifier | LogisticRegression:
    if estimator == "hgb":
        is_categorical = np.zeros(len(NUMERIC) + len(CATEGORICAL) + TEXT_DIMENSIONS, dtype=bool)
        is_categorical[len(NUMERIC):len(NUMERIC) + len(CATEGORICAL)] = True
        return HistGradientBoostingClassifier(
            learning_rate=0.15, max_iter=80, max_leaf_nodes=15, min_samples_leaf=50,
            l2_regularization=1.0, categorical_features=is_categorical, early_stopping=False,
            random_state=0)
    return LogisticRegression(C=0.5, max_iter=2000)


def calibration_split(examples: pd.DataFrame, horizon_days: int
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(learn, calibrate): the latest as-of days calibrate; the classifier learns from days
    whose label windows closed before the first of them."""
    days = np.sort(examples["as_of"].unique())
    if len(days) < 2:
        raise TooLittleData(f"labelled examples on {len(days)} as-of days: at least two are "
                            "needed (one to learn from, a later one to calibrate on)")
    n_calibration = max(1, round(CALIBRATION_SHARE * len(days)))
    first = pd.Timestamp(days[-n_calibration])
    learn = examples.loc[examples["as_of"] + pd.Timedelta(days=horizon_days) <= first]
    return learn, examples.loc[examples["as_of"] >= first]


def fit_risk_model(examples: pd.DataFrame, *, horizon_days: int, estimator: str = "hgb",
                   threads: int | None = None) -> tuple[Pipeline, FitSummary]:
    """A fitted Pipeline (features → calibrated classifier) from examples with columns as_of,
    FEATURES and label; its predict_proba gives calibrated probabilities."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {estimator}")
    learn, calibrate = calibration_split(examples, horizon_days)
    for part, name in ((learn, "learning"), (calibrate, "calibration")):
        positives = int(part["label"].sum())
        if min(positives, len(part) - positives) < MIN_PER_OUTCOME:
            raise TooLittleData(
                f"the {name} part has {len(part)} examples, {positives} of them escalations: "
                f"at least {MIN_PER_OUTCOME} of each outcome are needed")
    method = "isotonic" if len(calibrate) >= ISOTONIC_MIN_EXAMPLES else "sigmoid"
    with limited_threads(threads):
        features = preprocessing(estimator).fit(learn[FEATURES])
        fitted = classifier(estimator).fit(features.transform(learn[FEATURES]), learn["label"])
        calibrated = CalibratedClassifierCV(FrozenEstimator(fitted), method=method).fit(
            features.transform(calibrate[FEATURES]), calibrate["label"])
    summary = FitSummary(
        estimator=estimator, learned_examples=len(learn),
        learned_positives=int(learn["label"].sum()),
        learned_until=str(learn["as_of"].max().date()),
        calibration_examples=len(calibrate),
        calibration_positives=int(calibrate["label"].sum()),
        calibration_from=str(calibrate["as_of"].min().date()),
        calibration_until=str(calibrate["as_of"].max().date()), calibration_method=method)
    return Pipeline([("features", features), ("classifier", calibrated)]), summary


def risk_scores(model: Pipeline, features: pd.DataFrame, *, threads: int | None = None
                ) -> pd.Series:
    """Calibrated probability of an escalation within the horizon, on the features' index."""
    if not len(features):
        return pd.Series(dtype=float, index=features.index, name="score")
    with limited_threads(threads):
        probability = model.predict_proba(features[FEATURES])[:, 1]
    return pd.Series(probability, index=features.index, name="score")


def transformed_columns(model: Pipeline) -> dict[str, np.ndarray]:
    """Per input feature, the positions of the preprocessing's output columns made from it,
    so a feature can be set to another value after preprocessing (models.reasons)."""
    features: ColumnTransformer = model.named_steps["features"]
    positions: dict[str, np.ndarray] = {}
    for name, transformer, columns in features.transformers_:
        if name == "remainder":
            continue
        block = features.output_indices_[name]
        start = block.start
        if isinstance(columns, str):
            positions[columns] = np.arange(block.start, block.stop)
            continue
        widths = ([len(c) for c in transformer.categories_]
                  if isinstance(transformer, OneHotEncoder) else [1] * len(columns))
        for column, width in zip(columns, widths, strict=True):
            positions[column] = np.arange(start, start + width)
            start += width
    return positions
