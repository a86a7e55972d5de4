"""The risk model: one preprocessing of the features, shared by a classifier per outcome
(models.columns.OUTCOMES), each with probabilities calibrated on a later stretch of time than
the one it learned from.

Calibration split: the latest snapshots (CALIBRATION_SHARE of the as-of days) calibrate; the
classifiers learn from snapshots whose label windows closed before the first calibration
day, so no label they learned from reaches into the calibration period. Calibration is
Platt's sigmoid on the classifier's log-odds: smooth and strictly increasing, so two cases
share a probability only when the classifier cannot tell them apart (isotonic steps would
give hundreds of cases the same score by accident)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from models.columns import OUTCOMES
from models.features import CATEGORICAL, FEATURES, NUMERIC, TEXT

if TYPE_CHECKING:
    from scipy.sparse import csc_matrix, csr_matrix

ESTIMATORS = ("hgb", "logistic")
CALIBRATION_SHARE = 0.2
#: examples of each label value (met or not) every outcome needs in both parts
MIN_PER_OUTCOME = 10
#: words chosen per outcome, the fewest distinct summaries a word must appear in
KEYWORDS_PER_OUTCOME = 8
KEYWORD_MIN_SUMMARIES = 20
#: a keyword must raise its outcome this many standard deviations beyond its categories
KEYWORD_MIN_Z = 4.0
CHINESE = re.compile(r"[\u4e00-\u9fff]+")
#: a word that shares more than this share of its summaries with a chosen one adds nothing
KEYWORD_MAX_OVERLAP = 0.5
#: what a keyword must say more than
KEYWORD_STRATA = "category"


class TooLittleData(ValueError):
    """Not enough labelled examples (or only one label value) to fit or calibrate a model."""


@dataclass(frozen=True)
class OutcomeFit:
    learned_positives: int
    calibration_positives: int


@dataclass(frozen=True)
class FitSummary:
    """What a fit learned from: counts and days of its two parts, per outcome."""

    estimator: str
    learned_examples: int
    learned_until: str
    calibration_examples: int
    calibration_from: str
    calibration_until: str
    calibration_method: str
    outcomes: dict[str, OutcomeFit]
    keywords: list[str]


@contextmanager
def limited_threads(threads: int | None) -> Iterator[None]:
    """OpenMP/BLAS threads for fitting and scoring (None: the libraries' default)."""
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads):
        yield


class TextKeywords(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """A summary as 0/1 columns, one per keyword: the 2–4-character runs of Chinese (it has
    no spaces between words) whose presence raises each outcome most beyond what the case's
    category already says (the z-score of the cases with the word that met the outcome
    against their categories' rates, among the learning examples); a word inside or around
    one already chosen is skipped. A reason can then name the words that moved a score
    (摘要含"要求赴省"). Takes the summary and the category; distinct summaries are analysed
    once each (a case's summary repeats in every snapshot it is open in). Texts too few or
    too alike give no keywords (and no columns), so any bundle can be trained on."""

    def __init__(self, per_outcome: int = KEYWORDS_PER_OUTCOME,
                 min_summaries: int = KEYWORD_MIN_SUMMARIES) -> None:
        self.per_outcome = per_outcome
        self.min_summaries = min_summaries

    def fit(self, frame: pd.DataFrame, y: pd.DataFrame | None = None) -> TextKeywords:
        codes, distinct = pd.factorize(_texts(frame[TEXT]))
        self.keywords_: list[str] = []
        if y is None or len(distinct) < self.min_summaries:
            return self
        vectorizer = CountVectorizer(analyzer=_words, binary=True, min_df=self.min_summaries,
                                     dtype=np.float64)
        try:
            matrix = vectorizer.fit_transform(distinct)
        except ValueError:  # no word in enough summaries
            return self
        words = vectorizer.get_feature_names_out()
        columns = matrix.tocsc()
        category = frame[KEYWORD_STRATA].astype(str).to_numpy()
        labels = pd.DataFrame(y)
        kept: list[int] = []
        for name in labels.columns:
            outcome = labels[name].to_numpy(dtype=float)
            expected = pd.Series(outcome).groupby(category).transform("mean").to_numpy()
            z = _excess(matrix, codes, outcome, expected)
            chosen = 0
            for i in np.argsort(-z, kind="stable"):
                if chosen == self.per_outcome or z[i] < KEYWORD_MIN_Z:
                    break
                if i in kept or any(_overlap(columns, i, j) > KEYWORD_MAX_OVERLAP for j in kept):
                    continue
                kept.append(int(i))
                chosen += 1
        self.keywords_ = [str(words[i]) for i in kept]
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        codes, distinct = pd.factorize(_texts(frame[TEXT]))
        present = pd.Series(distinct, dtype=object)
        out = np.column_stack([present.str.contains(word, regex=False).to_numpy(float)
                               for word in self.keywords_]) if self.keywords_ and len(
            distinct) else np.zeros((len(distinct), len(self.keywords_)))
        return out[codes] if len(codes) else np.zeros((0, len(self.keywords_)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray([f"{TEXT}:{word}" for word in self.keywords_], dtype=object)


def _words(text: str) -> list[str]:
    """Candidate keywords: the 2–4-character runs of Chinese within a text's stretches of
    Chinese (never across punctuation, and never a figure: amounts and house numbers name
    one case, not a kind of case)."""
    return [part[i:i + n] for part in CHINESE.findall(text) for n in (2, 3, 4)
            for i in range(len(part) - n + 1)]


def _overlap(columns: csc_matrix, i: int, j: int) -> float:
    """The share of the rarer word's summaries that hold the other word too."""
    a, b = columns[:, i], columns[:, j]
    rarer = float(max(min(a.sum(), b.sum()), 1.0))
    return float(a.multiply(b).sum()) / rarer


def _excess(matrix: csr_matrix, codes: np.ndarray, outcome: np.ndarray, expected: np.ndarray
            ) -> np.ndarray:
    """Per word: (met − expected) / sd among the rows whose summary holds it, the expected
    count and its variance from each row's category rate."""
    n = matrix.shape[0]
    observed = matrix.T @ np.bincount(codes, weights=outcome, minlength=n)
    mean = matrix.T @ np.bincount(codes, weights=expected, minlength=n)
    variance = matrix.T @ np.bincount(codes, weights=expected * (1 - expected), minlength=n)
    excess: np.ndarray = (observed - mean) / np.sqrt(np.maximum(variance, 1e-9))
    return excess


def _texts(texts: pd.Series | np.ndarray) -> np.ndarray:
    return pd.Series(np.asarray(texts, dtype=object).ravel()).fillna("").astype(str).to_numpy(
        dtype=object)


def preprocessing(estimator: str) -> ColumnTransformer:
    """Columns FEATURES in; numbers out: the numbers, the categories, the keywords."""
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
                              ("text", TextKeywords(), [TEXT, KEYWORD_STRATA])])


def classifier(estimator: str) -> HistGradientBoostingClassifier | LogisticRegression:
    if estimator == "hgb":
        # categories come as ordinal codes, split like numbers: the trees single out a
        # category in a split or two, and scoring skips a second encoding on every call
        return HistGradientBoostingClassifier(
            learning_rate=0.15, max_iter=80, max_leaf_nodes=15, min_samples_leaf=50,
            l2_regularization=1.0, max_bins=63, early_stopping=False, random_state=0)
    return LogisticRegression(C=0.5, max_iter=2000)


class RiskModel:
    """The fitted preprocessing and one calibrated classifier per outcome."""

    def __init__(self, features: ColumnTransformer,
                 classifiers: dict[str, CalibratedClassifierCV]) -> None:
        self.features = features
        self.classifiers = classifiers

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.features.transform(frame[FEATURES]), dtype=float)

    def probability(self, outcome: str, transformed: np.ndarray) -> np.ndarray:
        """The calibrated probability of `outcome` for rows already transformed."""
        probability: np.ndarray = self.classifiers[outcome].predict_proba(transformed)[:, 1]
        return probability

    @property
    def keywords(self) -> list[str]:
        return list(self.features.named_transformers_["text"].keywords_)


def calibration_split(examples: pd.DataFrame, horizon_days: int
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(learn, calibrate): the latest as-of days calibrate; the classifiers learn from days
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
                   threads: int | None = None) -> tuple[RiskModel, FitSummary]:
    """A fitted RiskModel from examples with columns as_of, FEATURES and OUTCOMES."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {estimator}")
    learn, calibrate = calibration_split(examples, horizon_days)
    for part, name in ((learn, "learning"), (calibrate, "calibration")):
        for outcome in OUTCOMES:
            positives = int(part[outcome].sum())
            if min(positives, len(part) - positives) < MIN_PER_OUTCOME:
                raise TooLittleData(
                    f"the {name} part has {len(part)} examples, {positives} of them with the "
                    f"{outcome} outcome: at least {MIN_PER_OUTCOME} with it and without it "
                    "are needed")
    classifiers = {}
    with limited_threads(threads):
        features = preprocessing(estimator).fit(learn[FEATURES], learn[list(OUTCOMES)])
        learned = np.asarray(features.transform(learn[FEATURES]), dtype=float)
        calibrating = np.asarray(features.transform(calibrate[FEATURES]), dtype=float)
        for outcome in OUTCOMES:
            fitted = classifier(estimator).fit(learned, learn[outcome])
            classifiers[outcome] = CalibratedClassifierCV(
                FrozenEstimator(fitted), method="sigmoid").fit(calibrating, calibrate[outcome])
    model = RiskModel(features, classifiers)
    summary = FitSummary(
        estimator=estimator, learned_examples=len(learn),
        learned_until=str(learn["as_of"].max().date()),
        calibration_examples=len(calibrate),
        calibration_from=str(calibrate["as_of"].min().date()),
        calibration_until=str(calibrate["as_of"].max().date()), calibration_method="sigmoid",
        outcomes={o: OutcomeFit(learned_positives=int(learn[o].sum()),
                                calibration_positives=int(calibrate[o].sum()))
                  for o in OUTCOMES},
        keywords=model.keywords)
    return model, summary


def risk_scores(model: RiskModel, features: pd.DataFrame, *, threads: int | None = None
                ) -> pd.DataFrame:
    """The calibrated probability of each outcome within the horizon (columns OUTCOMES), on
    the features' index."""
    if not len(features):
        return pd.DataFrame(columns=list(OUTCOMES), index=features.index, dtype=float)
    with limited_threads(threads):
        transformed = model.transform(features)
        return pd.DataFrame({o: model.probability(o, transformed) for o in OUTCOMES},
                            index=features.index)


def transformed_columns(model: RiskModel) -> dict[str, np.ndarray]:
    """Per input feature (and per keyword, as "summary:word"), the positions of the
    preprocessing's output columns made from it, so a feature can be set to another value
    after preprocessing (models.reasons)."""
    features = model.features
    positions: dict[str, np.ndarray] = {}
    for name, transformer, columns in features.transformers_:
        if name == "remainder":
            continue
        block = features.output_indices_[name]
        if isinstance(transformer, TextKeywords):
            positions[TEXT] = np.arange(block.start, block.stop)
            for i, word in enumerate(transformer.get_feature_names_out()):
                positions[str(word)] = np.array([block.start + i])
            continue
        widths = ([len(c) for c in transformer.categories_]
                  if isinstance(transformer, OneHotEncoder) else [1] * len(columns))
        start = block.start
        for column, width in zip(columns, widths, strict=True):
            positions[column] = np.arange(start, start + width)
            start += width
    return positions
