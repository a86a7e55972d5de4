"""The pipeline: a purged, time-ordered calibration split; text that may be missing; both
estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.pipeline import (
    TextDimensions,
    TooLittleData,
    calibration_split,
    fit_risk_model,
    risk_scores,
)

from .conftest import Fitted


def test_the_classifier_learns_only_from_labels_closed_before_calibration(
        fitted: Fitted) -> None:
    learn, calibrate = calibration_split(fitted.examples, 30)
    assert (learn["as_of"] + pd.Timedelta(days=30)).max() <= calibrate["as_of"].min()
    assert calibrate["as_of"].max() == fitted.examples["as_of"].max()


def test_one_as_of_day_is_too_little(fitted: Fitted) -> None:
    one_day = fitted.examples.loc[fitted.examples["as_of"] == fitted.examples["as_of"].max()]
    with pytest.raises(TooLittleData, match="at least two"):
        fit_risk_model(one_day, horizon_days=30)


@pytest.mark.parametrize("texts", [["", "", ""], ["同一诉求"] * 3, ["征地", "工资", "物业"]])
def test_missing_or_repeated_text_gives_zeros_not_an_error(texts: list[str]) -> None:
    folded = TextDimensions(dimensions=4).fit(pd.Series(texts)).transform(
        pd.Series([*texts, "新的诉求", None]))
    assert folded.shape == (5, 4) and np.isfinite(folded).all()


def test_the_logistic_alternative_fits_and_scores(fitted: Fitted) -> None:
    model, summary = fit_risk_model(fitted.examples, horizon_days=30, estimator="logistic",
                                    threads=1)
    scores = risk_scores(model, fitted.examples.head(50), threads=1)
    assert summary.estimator == "logistic" and scores.between(0, 1).all()
