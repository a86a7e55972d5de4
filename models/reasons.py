"""The top reasons behind each outcome's probability, in plain Chinese, taken from the model.

A fact's contribution to a case's probability of an outcome is how much that probability
drops when the fact alone is set to its reference (its typical value among the training
examples: the median, the most common category; for a keyword, its absence). The reasons are
the facts with the largest positive contributions, worded from the case's own value. A fact
is only named on the side where it reads as a risk (a short handling period, many days
without progress, the summary containing a word), never when its value would be a
reassurance the model happened to score up; and a word that lowers the risk is never named.
Setting a named fact to its reference lowers the probability by the contribution shown
(tests/models/test_reasons.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from models.columns import OUTCOMES
from models.features import CATEGORICAL, NUMERIC, TEXT
from models.history import LEVELS
from models.pipeline import RiskModel, limited_threads, transformed_columns

N_REASONS = 3
#: a contribution smaller than this (in probability) is not worth naming
MIN_CONTRIBUTION = 0.005

#: the levels as history.highest_level numbers them (1 village … 6 national)
LEVEL_CODES = ("", *LEVELS)
#: counted events worth naming as a reason (the others say little on their own)
EVENT_NAMES = {"n_review_requested": "申请复查", "n_rereview_requested": "申请复核",
               "n_reopened": "重新办理", "n_refiled": "重复信访", "n_escalated": "越级上访"}
#: how a keyword reads: the summary contains it
KEYWORD_PREFIX = f"{TEXT}:"


#: the names of codes by vocabulary ("category", "closure", "level": code → name), as the
#: caller's vocabulary gives them; a code without a name reads as itself
Names = Mapping[str, Mapping[str, str]]


def _name(names: Names, vocabulary: str, code: object) -> str:
    return names.get(vocabulary, {}).get(str(code), str(code))


@dataclass(frozen=True)
class Wording:
    """How a fact reads as a reason. `shown` says for which values it reads at all (e.g.
    "复查申请待决定" only when one is pending); `risky` on which side of its reference a value
    reads as a risk (higher, lower; None for a category or a yes/no fact)."""

    text: Callable[[object, Names], str]
    shown: str = "any"  # any, positive, one
    risky: str | None = "higher"


def _n(value: object) -> int:
    return round(float(value))  # type: ignore[arg-type]


def _times(label: str, value: object, _: Names) -> str:
    return f"累计{label} {_n(value)} 次"


def _share(label: str, value: object, _: Names) -> str:
    return f"{label} {float(value):.0%}"  # type: ignore[arg-type]


WORDINGS: dict[str, Wording] = {
    "days_overdue": Wording(lambda v, _: f"已超期 {_n(v)} 天", "positive"),
    "days_left": Wording(lambda v, _: f"距办理期限仅剩 {_n(v)} 天", "positive", "lower"),
    "days_allowed": Wording(lambda v, _: f"办理时限仅 {_n(v)} 天", "positive", "lower"),
    "days_since_last_event": Wording(lambda v, _: f"已 {_n(v)} 天无办理进展"),
    "extended": Wording(lambda v, _: "已延期办理", "one", None),
    **{name: Wording(partial(_times, label), "positive") for name, label in EVENT_NAMES.items()},
    "escalations_30d": Wording(lambda v, _: f"近 30 天升级类事件 {_n(v)} 次", "positive"),
    "refiled_30d": Wording(lambda v, _: f"近 30 天重复信访 {_n(v)} 次", "positive"),
    "days_unmet": Wording(lambda v, _: f"受理 {_n(v)} 天仍未约见信访人", "positive"),
    "days_without_site_visit": Wording(lambda v, _: f"受理 {_n(v)} 天仍未实地走访", "positive"),
    "days_since_opinion": Wording(lambda v, _: f"出具处理意见已 {_n(v)} 天仍未办结", "positive"),
    "review_pending": Wording(lambda v, _: "复查申请待决定", "one", None),
    "rereview_pending": Wording(lambda v, _: "复核申请待决定", "one", None),
    "n_unsatisfied": Wording(lambda v, _: f"回访不满意 {_n(v)} 次", "positive"),
    "highest_level": Wording(lambda v, n: f"曾反映到{_name(n, 'level', LEVEL_CODES[_n(v)])}",
                             "positive"),
    "parties": Wording(lambda v, _: f"涉及 {_n(v)} 人"),
    "complex": Wording(lambda v, _: "复杂疑难事项", "one", None),
    "repeats_earlier": Wording(lambda v, _: "重复反映此前已登记的事项", "positive"),
    "matter_returns": Wording(lambda v, _: f"此前同一事项已反复 {_n(v)} 次", "positive"),
    "repeated": Wording(lambda v, _: f"受理后又重复反映 {_n(v)} 次", "positive"),
    "repeated_30d": Wording(lambda v, _: f"近 30 天又重复反映 {_n(v)} 次", "positive"),
    "unit_overdue_share": Wording(partial(_share, "责任单位近一年超期率")),
    "unit_return_share": Wording(partial(_share, "责任单位近一年事项反复率")),
    "cell_same_category_30d": Wording(lambda v, _: f"所在网格近 30 天同类事项 {_n(v)} 起",
                                      "positive"),
    "neighbour_same_category_30d": Wording(lambda v, _: f"相邻网格近 30 天同类事项 {_n(v)} 起",
                                           "positive"),
    "cell_escalations_90d": Wording(lambda v, _: f"所在网格近 90 天升级 {_n(v)} 起", "positive"),
    "neighbour_escalations_90d": Wording(lambda v, _: f"相邻网格近 90 天升级 {_n(v)} 起",
                                         "positive"),
    "cell_disputes_30d": Wording(lambda v, _: f"网格近 30 天排查出纠纷 {_n(v)} 起", "positive"),
    "cell_high_disputes_60d": Wording(lambda v, _: f"网格近 60 天排查出高风险纠纷 {_n(v)} 起",
                                      "positive"),
    "cell_missed_screenings_8w": Wording(lambda v, _: f"网格近 8 周有 {_n(v)} 周未排查",
                                         "positive"),
    "last_closure": Wording(lambda v, n: f"前次{_name(n, 'closure', v)}后又反复", "any", None),
}
#: the facts a reason can name besides keywords: each costs one more pass of every outcome's
#: classifier over the cases whose value differs from the reference, so facts that only
#: restate another (age and days since acceptance beside the deadline, collective beside the
#: number of people, a yes/no beside its duration, the sum of returns beside each kind, the
#: category's record beside the category), that every page shows already (the category) or
#: that no one can act on (month, workload counts, channel) have no wording
REASON_FEATURES = list(WORDINGS)


def keyword_wording(feature: str) -> str:
    return f'摘要含"{feature.removeprefix(KEYWORD_PREFIX)}"'


def reason_features(model: RiskModel) -> list[str]:
    """REASON_FEATURES and the model's keywords (as "summary:word")."""
    return [*REASON_FEATURES, *(KEYWORD_PREFIX + word for word in model.keywords)]


def reference_values(examples: pd.DataFrame) -> dict[str, float | str]:
    """Each feature's typical value among training examples: what a reason is measured from
    (the summary's is empty: no keyword)."""
    medians = {c: float(examples[c].median()) for c in NUMERIC}
    reference: dict[str, float | str] = {c: 0.0 if np.isnan(v) else v for c, v in medians.items()}
    reference |= {c: str(examples[c].mode().iloc[0]) for c in CATEGORICAL}
    reference[TEXT] = ""
    return reference


class _Rescorer:
    """One outcome's probability of cases, and of cases where one fact is set to its
    reference. For gradient boosting, a tree's output changes only if it splits on the moved
    columns, so only those trees are run again on the moved cases (the others' outputs are
    kept from the first pass, for the cases that may get reasons), and trees run on the
    cases binned as the classifier binned its training data (the same decisions as on the
    numbers, in a fraction of the time): the same probability, for a fraction of the work.
    Other estimators score the moved cases afresh."""

    def __init__(self, model: RiskModel, outcome: str, transformed: np.ndarray,
                 typical: np.ndarray, above: float) -> None:
        self.model, self.outcome = model, outcome
        self.transformed, self.typical = transformed, typical
        calibrated: CalibratedClassifierCV = model.classifiers[outcome]
        inner = calibrated.calibrated_classifiers_[0]
        boosted = getattr(inner.estimator, "estimator", inner.estimator)
        self.trees = None
        if not (isinstance(boosted, HistGradientBoostingClassifier)
                and len(calibrated.calibrated_classifiers_) == 1):
            self.p = model.probability(outcome, transformed)
            self.elevated = self.p >= above
            return
        self.calibrator = inner.calibrators[0]
        mapper = boosted._bin_mapper
        self.missing_bin = mapper.missing_values_bin_idx_
        self.binned = mapper.transform(transformed)
        self.typical_binned = mapper.transform(typical[None, :])[0]
        self.threads = _openmp_effective_n_threads()
        self.trees = [iteration[0] for iteration in boosted._predictors]
        self.splits_on = np.zeros((len(self.trees), transformed.shape[1]), dtype=bool)
        for t, tree in enumerate(self.trees):
            self.splits_on[t, tree.nodes["feature_idx"][tree.nodes["is_leaf"] == 0]] = True
        # one pass of every tree over every case, summed as the classifier sums them; each
        # tree's outputs are kept for the cases that may get reasons (by their position
        # among them), so no case is scored twice
        outputs = [self._run(tree, self.binned) for tree in self.trees]
        raw = np.full(len(transformed), boosted._baseline_prediction.ravel()[0])
        for output in outputs:
            raw += output
        self.p = self._calibrated(raw)
        self.elevated = self.p >= above
        self.slot = np.cumsum(self.elevated) - 1
        self.outputs = np.stack([output[self.elevated] for output in outputs]) if outputs \
            else np.zeros((0, int(self.elevated.sum())))
        self.raw = raw[self.elevated]

    def _run(self, tree: object, binned: np.ndarray) -> np.ndarray:
        return tree.predict_binned(binned, self.missing_bin, self.threads)  # type: ignore[attr-defined,no-any-return]

    def moved(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """The probability of `rows` (cases that may get reasons) once their `columns` hold
        the reference's values."""
        if self.trees is None:
            moved = self.transformed[rows]
            moved[:, columns] = self.typical[columns]
            return self.model.probability(self.outcome, moved)
        binned = self.binned[rows]
        binned[:, columns] = self.typical_binned[columns]
        touched = np.flatnonzero(self.splits_on[:, columns].any(axis=1))
        kept = self.slot[rows]
        raw = self.raw[kept] - self.outputs[np.ix_(touched, kept)].sum(axis=0)
        for t in touched:
            raw = raw + self._run(self.trees[t], binned)
        return self._calibrated(raw)

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        probability: np.ndarray = self.calibrator.predict(raw)
        probability[(probability > 1.0) & (probability <= 1.0 + 1e-5)] = 1.0
        return probability


def contributions(model: RiskModel, features: pd.DataFrame, reference: Mapping[str, float | str], *,
                  above: Mapping[str, float] | None = None, threads: int | None = None
                  ) -> dict[str, pd.DataFrame]:
    """Per outcome: per case and reason feature (reason_features), the probability minus
    the probability with that fact set to its reference; 0 where the fact does not read as a
    risk, and for cases below `above[outcome]` (a reason says why a case ranks above the
    usual: below the base rate there is nothing to explain, and skipping those cases saves
    most of the work). Column "p" holds each case's own probability, computed on the way."""
    positions = transformed_columns(model)
    names = reason_features(model)
    tables = {}
    with limited_threads(threads):
        transformed = model.transform(features)
        typical = model.transform(pd.DataFrame([reference]))[0]
        candidates = {name: _candidates(features, transformed, typical, positions[name], name,
                                        reference) for name in names}
        for outcome in OUTCOMES:
            rescorer = _Rescorer(model, outcome, transformed, typical,
                                 (above or {}).get(outcome, 0.0))
            p, elevated = rescorer.p, rescorer.elevated
            out = np.zeros((len(features), len(names)))
            for j, name in enumerate(names):
                rows = np.flatnonzero(elevated & candidates[name])
                if not len(rows):
                    continue
                out[rows, j] = p[rows] - rescorer.moved(rows, positions[name])
            tables[outcome] = pd.DataFrame(out, index=features.index, columns=names).assign(p=p)
    return tables


def _candidates(features: pd.DataFrame, transformed: np.ndarray, typical: np.ndarray,
                columns: np.ndarray, name: str, reference: Mapping[str, float | str]) -> np.ndarray:
    """Cases whose value of the fact differs from the reference and reads as a risk."""
    differs: np.ndarray = ~np.isclose(transformed[:, columns], typical[columns]).all(axis=1)
    if name.startswith(KEYWORD_PREFIX):
        has_keyword: np.ndarray = differs & (transformed[:, columns[0]] == 1)
        return has_keyword
    wording = WORDINGS[name]
    values = features[name]
    if not pd.api.types.is_numeric_dtype(values):
        text = values.fillna("").astype(str)
        return differs & ((text != "") & (text != "none")).to_numpy()
    numbers = values.to_numpy(float)
    shown = {"any": ~np.isnan(numbers), "positive": numbers > 0,
             "one": numbers == 1}[wording.shown]
    side = {"higher": numbers > float(reference[name]),
            "lower": numbers < float(reference[name]),
            None: np.ones(len(numbers), dtype=bool)}[wording.risky]
    risky: np.ndarray = differs & shown & side
    return risky


def top_reasons(model: RiskModel, features: pd.DataFrame, reference: Mapping[str, float | str], *,
                names: Names | None = None, above: Mapping[str, float] | None = None,
                threads: int | None = None) -> pd.DataFrame:
    """On the features' index: p_{outcome} for each outcome (as risk_scores gives them: the
    features pass the preprocessing once for all), and per outcome reason_{outcome}_1..3
    (plain words, "" when nothing more stands out) and the fact behind each
    (reason_feature_{outcome}_1..3); only cases at or above `above[outcome]` get any."""
    tables = contributions(model, features, reference, above=above, threads=threads)
    out = pd.DataFrame({f"p_{o}": tables[o]["p"] for o in OUTCOMES}, index=features.index)
    for outcome, table in tables.items():
        candidates = np.asarray(table.columns[:-1], dtype=object)
        values = table.to_numpy()[:, :-1]
        order = _strongest(values)
        for i in range(N_REASONS):
            which = order[:, i] if len(values) else np.zeros(0, dtype=int)
            strong = values[np.arange(len(values)), which] >= MIN_CONTRIBUTION
            feature = np.where(strong, candidates[which], "")
            out[f"reason_{outcome}_{i + 1}"] = _worded(feature, features, names or {})
            out[f"reason_feature_{outcome}_{i + 1}"] = feature
    return out


def _strongest(values: np.ndarray) -> np.ndarray:
    """Per row, the columns of its N_REASONS largest values, largest first (ties: the
    earlier column)."""
    if values.shape[1] <= N_REASONS:
        return np.argsort(-values, axis=1, kind="stable")
    top = np.argpartition(-values, N_REASONS - 1, axis=1)[:, :N_REASONS]
    rows = np.arange(len(values))[:, None]
    within = np.lexsort((top, -values[rows, top]), axis=1)
    return top[rows, within]


def _worded(feature: np.ndarray, features: pd.DataFrame, names: Names) -> np.ndarray:
    """Each named fact worded from the case's own value (each distinct value worded once)."""
    texts = np.full(len(feature), "", dtype=object)
    for name in set(feature) - {""}:
        rows = feature == name
        if name.startswith(KEYWORD_PREFIX):
            texts[rows] = keyword_wording(name)
            continue
        wording = WORDINGS[name].text
        values = pd.Series(features[name].to_numpy(dtype=object)[rows])
        texts[rows] = values.map({v: wording(v, names) for v in values.unique()}).to_numpy(
            dtype=object)
    return texts
