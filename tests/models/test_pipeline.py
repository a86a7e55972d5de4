"""The pipeline: a purged, time-ordered calibration split; keywords chosen for what they add
beyond the category; smooth calibration that leaves no ties by accident; both estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.columns import OUTCOMES
from models.features import FEATURES, features_at
from models.pipeline import (
    TextKeywords,
    TooLittleData,
    calibration_split,
    fit_risk_model,
    risk_scores,
)

from .conftest import Fitted, day


def test_the_classifiers_learn_only_from_labels_closed_before_calibration(
        fitted: Fitted) -> None:
    learn, calibrate = calibration_split(fitted.examples, 30)
    assert (learn["as_of"] + pd.Timedelta(days=30)).max() <= calibrate["as_of"].min()
    assert calibrate["as_of"].max() == fitted.examples["as_of"].max()


def test_one_as_of_day_is_too_little(fitted: Fitted) -> None:
    one_day = fitted.examples.loc[fitted.examples["as_of"] == fitted.examples["as_of"].max()]
    with pytest.raises(TooLittleData, match="at least two"):
        fit_risk_model(one_day, horizon_days=30)


def test_an_outcome_that_never_happens_is_too_little(fitted: Fitted) -> None:
    never = fitted.examples.assign(**{"return": 0})
    with pytest.raises(TooLittleData, match="return outcome"):
        fit_risk_model(never, horizon_days=30)


def keyword_frame(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Category B escalates more and its summaries say 工资; within each category, a
    summary saying 要求赴省 escalates more."""
    rng = np.random.default_rng(seed)
    category = np.where(rng.random(n) < 0.5, "A", "B")
    pressing = rng.random(n) < 0.2
    rate = np.where(category == "B", 0.4, 0.1) + np.where(pressing, 0.4, 0.0)
    summary = [f"{'反映拖欠工资' if c == 'B' else '反映邻里纠纷'}第{i % 97}号"
               + ("，要求赴省" if p else "") for i, (c, p) in enumerate(zip(category, pressing,
                                                                           strict=True))]
    outcome = (rng.random(n) < rate).astype(int)
    frame = pd.DataFrame({"summary": summary, "category": category})
    return frame, pd.DataFrame({o: outcome for o in OUTCOMES})


def test_keywords_name_what_the_summary_adds_beyond_its_category() -> None:
    frame, outcomes = keyword_frame(3000, 1)
    keywords = TextKeywords().fit(frame, outcomes)
    assert any(word in "要求赴省" for word in keywords.keywords_)
    assert not any(word in "反映拖欠工资" for word in keywords.keywords_)
    columns = keywords.transform(frame)
    assert columns.shape == (3000, len(keywords.keywords_))
    assert set(np.unique(columns)) <= {0.0, 1.0}


@pytest.mark.parametrize("texts", [["", "", ""], ["同一诉求"] * 3, ["征地", "工资", "物业"]])
def test_too_few_or_too_alike_texts_give_no_keywords_not_an_error(texts: list[str]) -> None:
    frame = pd.DataFrame({"summary": texts, "category": "other"})
    keywords = TextKeywords().fit(frame, pd.DataFrame({"any": [1, 0, 1]}))
    later = pd.DataFrame({"summary": [*texts, "新的诉求", None], "category": "other"})
    assert keywords.keywords_ == [] and keywords.transform(later).shape == (5, 0)


def test_every_outcome_gets_a_calibrated_probability(fitted: Fitted) -> None:
    scores = risk_scores(fitted.model, fitted.examples.head(300), threads=1)
    assert list(scores.columns) == list(OUTCOMES)
    assert ((scores > 0) & (scores < 1)).all().all()


def test_cases_share_a_probability_only_when_the_model_cannot_tell_them_apart(
        fitted: Fitted) -> None:
    """Calibration is strictly increasing in the classifier's own score: it merges no two
    scores (isotonic steps gave ~50 distinct scores to 2,700 cases)."""
    features = features_at(fitted.history, day(200))
    scores = risk_scores(fitted.model, features, threads=1)
    transformed = fitted.model.transform(features)
    distinct_cases = len(np.unique(transformed, axis=0))
    for outcome in OUTCOMES:
        classifier = fitted.model.classifiers[outcome].calibrated_classifiers_[0].estimator
        raw = classifier.decision_function(transformed)
        assert scores[outcome].nunique() == len(np.unique(raw)), outcome
        assert scores[outcome].nunique() >= 0.85 * distinct_cases, outcome


def test_the_logistic_alternative_fits_and_scores(fitted: Fitted) -> None:
    model, summary = fit_risk_model(fitted.examples, horizon_days=30, estimator="logistic",
                                    threads=1)
    scores = risk_scores(model, fitted.examples.head(50)[FEATURES], threads=1)
    assert summary.estimator == "logistic" and ((scores > 0) & (scores < 1)).all().all()
