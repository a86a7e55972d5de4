"""Reasons come from the model: setting the named fact to its reference (removing a named
word from the summary) moves that outcome's probability down by the contribution; the words
match the case's own value; a fact is named only on the side where it reads as a risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.columns import OUTCOMES
from models.features import TEXT, features_at
from models.pipeline import risk_scores
from models.reasons import (
    KEYWORD_PREFIX,
    MIN_CONTRIBUTION,
    WORDINGS,
    contributions,
    keyword_wording,
    top_reasons,
)

from .conftest import Fitted, day


def named(reasons: pd.DataFrame, outcome: str) -> list[tuple[str, int, str]]:
    return [(case_id, slot, feature) for slot in (1, 2, 3)
            for case_id, feature in reasons[f"reason_feature_{outcome}_{slot}"].items()
            if feature]


def test_changing_the_named_fact_lowers_the_probability_by_its_contribution(
        fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    reasons = top_reasons(fitted.model, features, fitted.reference, threads=1)
    tables = contributions(fitted.model, features, fitted.reference, threads=1)
    scores = risk_scores(fitted.model, features, threads=1)
    words_named = 0
    for outcome in OUTCOMES:
        # one pass, on the binned cases: exactly the classifier's probabilities
        np.testing.assert_array_equal(reasons[f"p_{outcome}"], scores[outcome])
        found = named(reasons, outcome)
        assert len({feature for _, _, feature in found}) >= 3, outcome
        for case_id, slot, feature in found[::max(1, len(found) // 30)]:
            changed = features.loc[[case_id]].copy()
            if feature.startswith(KEYWORD_PREFIX):
                word = feature.removeprefix(KEYWORD_PREFIX)
                changed[TEXT] = changed[TEXT].str.replace(word, "", regex=False)
                expected = keyword_wording(feature)
                words_named += 1
            else:
                changed[feature] = fitted.reference[feature]
                expected = WORDINGS[feature].text(features.loc[case_id, feature], {})
            after = risk_scores(fitted.model, changed, threads=1)[outcome].iloc[0]
            assert after < scores.loc[case_id, outcome]
            assert np.isclose(scores.loc[case_id, outcome] - after,
                              tables[outcome].loc[case_id, feature])
            assert reasons.loc[case_id, f"reason_{outcome}_{slot}"] == expected
    assert words_named, "no reason named a word of the summary"


def test_a_reason_names_a_word_of_the_summary_in_quotes(fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    reasons = top_reasons(fitted.model, features, fitted.reference, threads=1)
    texts = reasons.filter(like="reason_").filter(regex=r"_\d$").to_numpy().ravel()
    quoted = [t for t in texts if str(t).startswith("摘要含")]
    assert quoted and all(t.count('"') == 2 for t in quoted)
    assert not any("相近" in str(t) for t in texts)


def test_a_fact_is_named_only_on_the_side_where_it_reads_as_a_risk(fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    reasons = top_reasons(fitted.model, features, fitted.reference, threads=1)
    for outcome in OUTCOMES:
        for case_id, _, feature in named(reasons, outcome):
            if feature.startswith(KEYWORD_PREFIX):
                word = feature.removeprefix(KEYWORD_PREFIX)
                assert word in features.loc[case_id, TEXT]
                continue
            risky, value = WORDINGS[feature].risky, features.loc[case_id, feature]
            if risky == "higher":
                assert value > fitted.reference[feature], (feature, value)
            elif risky == "lower":
                assert value < fitted.reference[feature], (feature, value)


def test_reasons_are_ordered_by_contribution_and_say_nothing_weak(fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    reasons = top_reasons(fitted.model, features, fitted.reference, threads=1)
    tables = contributions(fitted.model, features, fitted.reference, threads=1)
    for outcome in OUTCOMES:
        for case_id, row in reasons.iterrows():
            facts = [row[f"reason_feature_{outcome}_{i}"] for i in (1, 2, 3)]
            shown = [tables[outcome].loc[case_id, f] for f in facts if f]
            assert shown == sorted(shown, reverse=True)
            assert all(value >= MIN_CONTRIBUTION for value in shown)
            assert facts[len(shown):] == [""] * (3 - len(shown))


def test_cases_below_the_base_rate_get_no_reasons(fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    above = {o: float(fitted.examples[o].mean()) for o in OUTCOMES}
    reasons = top_reasons(fitted.model, features, fitted.reference, above=above, threads=1)
    for outcome in OUTCOMES:
        low = reasons[f"p_{outcome}"] < above[outcome]
        assert low.any()
        assert (reasons.loc[low, [f"reason_{outcome}_{i}" for i in (1, 2, 3)]] == "").all().all()
