"""The top reasons behind each score, in plain Chinese, taken from the model itself.

A feature's contribution to a case's score is how much the calibrated score drops when that
feature alone is set to its reference value (its typical value among the training examples:
the median, the most common category, an empty summary). The reasons are the features with
the largest positive contributions, worded from the case's own value. Setting a named feature
to its reference lowers the score by the contribution shown (tests/models/test_reasons.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from models.features import CATEGORICAL, FEATURES, NUMERIC, TEXT
from models.history import LEVELS
from models.pipeline import limited_threads, transformed_columns

N_REASONS = 3
#: a contribution smaller than this (in probability) is not worth naming
MIN_CONTRIBUTION = 0.005

#: the levels as history.highest_level numbers them (1 village … 6 national)
LEVEL_CODES = ("", *LEVELS)
#: counted events worth naming as a reason (the others say little on their own)
EVENT_NAMES = {"n_review_requested": "申请复查", "n_rereview_requested": "申请复核",
               "n_reopened": "重新办理", "n_refiled": "重复信访", "n_escalated": "越级上访"}


#: the names of codes by vocabulary ("category", "closure", "level": code → name), as the
#: caller's vocabulary gives them; a code without a name reads as itself
Names = Mapping[str, Mapping[str, str]]


def _name(names: Names, vocabulary: str, code: object) -> str:
    return names.get(vocabulary, {}).get(str(code), str(code))


@dataclass(frozen=True)
class Wording:
    """How a feature's value reads as a reason; `shown` says for which values it reads at
    all (e.g. "尚未约见信访人" only when not met)."""

    text: Callable[[object, Names], str]
    shown: str = "any"  # any, positive, zero, one


def _n(value: object) -> int:
    return round(float(value))  # type: ignore[arg-type]


def _times(label: str, value: object, _: Names) -> str:
    return f"累计{label} {_n(value)} 次"


WORDINGS: dict[str, Wording] = {
    "days_overdue": Wording(lambda v, _: f"已超期 {_n(v)} 天", "positive"),
    "days_left": Wording(lambda v, _: f"距办理期限还有 {_n(v)} 天"),
    "days_since_last_event": Wording(lambda v, _: f"已 {_n(v)} 天无办理进展"),
    "extended": Wording(lambda v, _: "已延期办理", "one"),
    **{name: Wording(partial(_times, label), "positive") for name, label in EVENT_NAMES.items()},
    "escalations_so_far": Wording(lambda v, _: f"累计升级类事件 {_n(v)} 次", "positive"),
    "escalations_30d": Wording(lambda v, _: f"近 30 天升级类事件 {_n(v)} 次", "positive"),
    "refiled_30d": Wording(lambda v, _: f"近 30 天重复信访 {_n(v)} 次", "positive"),
    "met_complainant": Wording(lambda v, _: "本轮办理尚未约见信访人", "zero"),
    "days_unmet": Wording(lambda v, _: f"受理 {_n(v)} 天仍未约见信访人", "positive"),
    "site_visited": Wording(lambda v, _: "本轮办理尚未实地走访", "zero"),
    "days_without_site_visit": Wording(lambda v, _: f"受理 {_n(v)} 天仍未实地走访", "positive"),
    "opinion_issued": Wording(lambda v, _: "已出具处理意见但尚未办结", "one"),
    "days_since_opinion": Wording(lambda v, _: f"出具处理意见已 {_n(v)} 天仍未办结", "positive"),
    "review_pending": Wording(lambda v, _: "复查申请待决定", "one"),
    "rereview_pending": Wording(lambda v, _: "复核申请待决定", "one"),
    "n_unsatisfied": Wording(lambda v, _: f"回访不满意 {_n(v)} 次", "positive"),
    "highest_level": Wording(lambda v, n: f"曾反映到{_name(n, 'level', LEVEL_CODES[_n(v)])}",
                             "positive"),
    "parties": Wording(lambda v, _: f"涉及 {_n(v)} 人"),
    "collective": Wording(lambda v, _: "集体事项（5 人以上）", "one"),
    "complex": Wording(lambda v, _: "复杂疑难事项", "one"),
    "unit_overdue_share": Wording(lambda v, _: f"责任单位近一年超期率 {float(v):.0%}"),  # type: ignore[arg-type]
    "cell_escalations_90d": Wording(lambda v, _: f"所在网格近 90 天升级 {_n(v)} 起", "positive"),
    "neighbour_escalations_90d": Wording(lambda v, _: f"相邻网格近 90 天升级 {_n(v)} 起",
                                         "positive"),
    "cell_high_disputes_60d": Wording(lambda v, _: f"网格近 60 天排查出高风险纠纷 {_n(v)} 起",
                                      "positive"),
    "cell_missed_screenings_8w": Wording(lambda v, _: f"网格近 8 周有 {_n(v)} 周未排查",
                                         "positive"),
    "category": Wording(lambda v, n: f"事项类别：{_name(n, 'category', v)}"),
    "last_closure": Wording(lambda v, n: f"前次{_name(n, 'closure', v)}后又反复"),
    TEXT: Wording(lambda v, _: "诉求内容与易升级的事项相近"),
}
#: the features a reason can name: each costs one more pass of the classifier over the cases
#: whose value differs from the reference, so features that only restate another (age and
#: days since acceptance beside the deadline) or that no one can act on (month, workload
#: counts, channel) are left out
REASON_FEATURES = list(WORDINGS)


def reference_values(examples: pd.DataFrame) -> dict[str, object]:
    """Each feature's typical value among training examples: what a reason is measured from."""
    reference: dict[str, object] = {c: float(examples[c].median()) for c in NUMERIC}
    reference = {c: 0.0 if pd.isna(v) else v for c, v in reference.items()}
    reference |= {c: str(examples[c].mode().iloc[0]) for c in CATEGORICAL}
    reference[TEXT] = ""
    return reference


def contributions(model: Pipeline, features: pd.DataFrame, reference: dict[str, object], *,
                  above: float = 0.0, threads: int | None = None) -> pd.DataFrame:
    """Per case and REASON_FEATURES feature: score minus the score with that feature set to
    its reference; 0 where the value could not be worded as a reason, and for cases scoring
    below `above` (a reason says why a case ranks above the usual: below the base rate there
    is nothing to explain, and skipping those cases saves most of the work). The column
    "score" holds each case's own score (the model's predict_proba), computed on the way."""
    preprocess, classify = model.named_steps["features"], model.named_steps["classifier"]
    positions = transformed_columns(model)
    out = np.zeros((len(features), len(REASON_FEATURES)))
    with limited_threads(threads):
        transformed = np.asarray(preprocess.transform(features[FEATURES]), dtype=float)
        typical = np.asarray(preprocess.transform(pd.DataFrame([reference])[FEATURES]),
                             dtype=float)[0]
        score = classify.predict_proba(transformed)[:, 1]
        elevated = score >= above
        for j, name in enumerate(REASON_FEATURES):
            columns = positions[name]
            differs = ~np.isclose(transformed[:, columns], typical[columns]).all(axis=1)
            rows = np.flatnonzero(elevated & differs
                                  & _shown(features[name], WORDINGS[name].shown))
            if not len(rows):
                continue
            moved = transformed[rows]
            moved[:, columns] = typical[columns]
            out[rows, j] = score[rows] - classify.predict_proba(moved)[:, 1]
    return pd.DataFrame(out, index=features.index, columns=REASON_FEATURES).assign(score=score)


def top_reasons(model: Pipeline, features: pd.DataFrame, reference: dict[str, object], *,
                names: Names | None = None, above: float = 0.0, threads: int | None = None
                ) -> pd.DataFrame:
    """score (as risk_scores gives it: the features pass the preprocessing once for both),
    reason_1..3 (plain words, "" when nothing more stands out) and the feature behind each
    (reason_feature_1..3), on the features' index; only cases scoring `above` or more get
    any (see contributions)."""
    table = contributions(model, features, reference, above=above, threads=threads)
    values = table[REASON_FEATURES].to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :N_REASONS]
    candidates = np.asarray(REASON_FEATURES, dtype=object)
    out = pd.DataFrame({"score": table["score"]}, index=features.index)
    for i in range(N_REASONS):
        which = order[:, i] if len(values) else np.zeros(0, dtype=int)
        strong = values[np.arange(len(values)), which] >= MIN_CONTRIBUTION
        feature = np.where(strong, candidates[which], "")
        texts = np.full(len(feature), "", dtype=object)
        for name in set(feature) - {""}:
            rows = feature == name
            wording = WORDINGS[name].text
            texts[rows] = [wording(v, names or {})
                           for v in features[name].to_numpy(dtype=object)[rows]]
        out[f"reason_{i + 1}"] = texts
        out[f"reason_feature_{i + 1}"] = feature
    return out


def _shown(values: pd.Series, shown: str) -> np.ndarray:
    """Which values the feature's wording reads for (text and categories: any but none)."""
    if not pd.api.types.is_numeric_dtype(values):
        text = values.fillna("").astype(str)
        return ((text != "") & (text != "none")).to_numpy()
    numbers = values.to_numpy(float)
    return {"any": ~np.isnan(numbers), "positive": numbers > 0, "zero": numbers == 0,
            "one": numbers == 1}[shown]
