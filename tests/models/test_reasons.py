"""Reasons come from the model: setting the named feature to its reference value moves the
score down by the contribution, and the words match the case's own value."""

from __future__ import annotations

import numpy as np

from models.features import features_at
from models.pipeline import risk_scores
from models.reasons import WORDINGS, contributions, top_reasons

from .conftest import Fitted, day


def test_setting_the_named_feature_to_its_reference_lowers_the_score(fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    reasons = top_reasons(fitted.model, features, fitted.reference, threads=1)
    table = contributions(fitted.model, features, fitted.reference, threads=1)
    score = risk_scores(fitted.model, features, threads=1)
    np.testing.assert_allclose(reasons["score"], score)  # one pass gives both
    named = [(case_id, slot, feature) for slot in (1, 2, 3)
             for case_id, feature in reasons[f"reason_feature_{slot}"].items() if feature]
    assert len({feature for _, _, feature in named}) >= 3
    for case_id, slot, feature in named[::max(1, len(named) // 40)]:
        changed = features.loc[[case_id]].copy()
        changed[feature] = fitted.reference[feature]
        after = risk_scores(fitted.model, changed, threads=1).iloc[0]
        assert after < score[case_id]
        assert np.isclose(score[case_id] - after, table.loc[case_id, feature])
        value = features.loc[case_id, feature]
        assert reasons.loc[case_id, f"reason_{slot}"] == WORDINGS[feature].text(value, {})


def test_reasons_are_ordered_by_contribution_and_say_nothing_weak(fitted: Fitted) -> None:
    features = features_at(fitted.history, day(200))
    reasons = top_reasons(fitted.model, features, fitted.reference, threads=1)
    table = contributions(fitted.model, features, fitted.reference, threads=1)
    for case_id, row in reasons.iterrows():
        named = [row[f"reason_feature_{i}"] for i in (1, 2, 3)]
        shown = [table.loc[case_id, f] for f in named if f]
        assert shown == sorted(shown, reverse=True)
        assert all(value >= 0.005 for value in shown)
        assert named[len(shown):] == [""] * (3 - len(shown))
