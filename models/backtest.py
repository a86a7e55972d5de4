"""Rolling-origin backtest: at each origin, a model trained only on examples whose label
windows closed by then ranks the cases open at the origin for every outcome; baselines fit
for each outcome rank the same cases.

Metrics per outcome: precision@k and recall@k (k = 50, 100, 200), average precision, Brier
score (the model against a predictor of the training base rate) and a calibration table
(the reliability diagram's points)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss

from models.columns import OUTCOMES
from models.pipeline import RiskModel, TooLittleData, fit_risk_model, risk_scores

K_VALUES = (50, 100, 200)
N_ORIGINS = 6
#: snapshots between origins (snapshots are 14 days apart: origins four weeks apart)
ORIGIN_EVERY = 2
MODEL = "model"
BASE_RATE = "base_rate"

#: a baseline ranks the cases open at an origin (here) from what is known by then (known)
Baseline = Callable[[pd.DataFrame, pd.DataFrame, str], pd.Series]


def most_overdue_first(known: pd.DataFrame, here: pd.DataFrame, outcome: str) -> pd.Series:
    """Days past the live deadline; not yet overdue ones follow, nearest deadline first."""
    return here["days_overdue"] - here["days_left"]


def fewest_days_left(known: pd.DataFrame, here: pd.DataFrame, outcome: str) -> pd.Series:
    """Nearest deadline first; those already past it (it cannot pass again) last."""
    return (-here["days_left"]).where(here["days_overdue"] == 0, -10_000 - here["days_overdue"])


def most_returns_then_oldest(known: pd.DataFrame, here: pd.DataFrame, outcome: str
                             ) -> pd.Series:
    """Returns so far (escalations, refilings, reviews, reopenings); ties by age, oldest
    first."""
    return here["escalations_so_far"] * 100_000 + here["age_days"]


def category_rate(known: pd.DataFrame, here: pd.DataFrame, outcome: str) -> pd.Series:
    """The category's share of the outcome among the examples known at the origin."""
    rates = known.groupby("category")[outcome].mean()
    return here["category"].map(rates).fillna(known[outcome].mean()).astype(float)


BASELINES: dict[str, Baseline] = {
    "most_overdue": most_overdue_first,
    "fewest_days_left": fewest_days_left,
    "most_returns": most_returns_then_oldest,
    "category_rate": category_rate,
}
#: the baselines fit for each outcome
BASELINES_FOR: dict[str, tuple[str, ...]] = {
    "any": tuple(BASELINES),
    "deadline": ("fewest_days_left", "most_overdue"),
    "return": ("most_returns", "category_rate"),
}
METHOD_NAMES = {MODEL: "模型", "most_overdue": "基线：超期最久优先",
                "fewest_days_left": "基线：剩余天数最少优先",
                "most_returns": "基线：反复次数最多、再按最早",
                "category_rate": "基线：该类事项历史反复率", BASE_RATE: "基线：历史平均率"}
OUTCOME_NAMES = {"any": "升级（任一）", "deadline": "期限风险（超期未结）",
                 "return": "反复风险（复查、重复信访、越级、重新办理）"}


@dataclass(frozen=True)
class Backtest:
    horizon_days: int
    #: one row per (origin, outcome, method): n, positives, precision_at_k, recall_at_k,
    #: average_precision, brier
    metrics: pd.DataFrame
    #: the same, averaged over origins: index (outcome, method)
    summary: pd.DataFrame
    #: pooled over origins, per outcome: outcome, range, n, predicted, observed
    calibration: pd.DataFrame
    #: per origin and case: origin, case_id, and per outcome its label and the model's p
    predictions: pd.DataFrame
    #: origins that could not be evaluated, with the reason
    skipped: dict[str, str]

    @property
    def origins(self) -> list[str]:
        return sorted(self.metrics["origin"].unique()) if len(self.metrics) else []

    def of(self, outcome: str) -> pd.DataFrame:
        """The summary of one outcome: one row per method."""
        return cast(pd.DataFrame, self.summary.xs(outcome, level="outcome"))

    def best_baseline(self, outcome: str, metric: str = "precision_at_100") -> str:
        return str(self.of(outcome).loc[list(BASELINES_FOR[outcome]), metric].idxmax())

    def beats_baselines(self, outcome: str | None = None) -> bool:
        """The model beats every baseline fit for the outcome (every outcome when None) on
        average precision, and on precision@100 at least matches the best of them."""
        if outcome is None:
            return all(self.beats_baselines(o) for o in OUTCOMES)
        summary = self.of(outcome)
        if MODEL not in summary.index:
            return False
        baselines = summary.loc[list(BASELINES_FOR[outcome])]
        model = summary.loc[MODEL]
        return bool(model["precision_at_100"] >= baselines["precision_at_100"].max()
                    and model["average_precision"] > baselines["average_precision"].max())

    def brier_ratio(self, outcome: str = "any") -> float:
        """The model's Brier score over the base-rate predictor's (lower is better)."""
        brier = self.of(outcome)["brier"].astype(float)
        return float(brier[MODEL] / brier[BASE_RATE])

    def to_dict(self) -> dict[str, object]:
        return {
            "horizon_days": self.horizon_days, "origins": self.origins, "skipped": self.skipped,
            "summary": _records(self.summary.reset_index()),
            "metrics": _records(self.metrics),
            "calibration": _records(self.calibration),
            "beats_baselines": self.beats_baselines(),
            "beats_baselines_by_outcome": {o: self.beats_baselines(o) for o in OUTCOMES},
        }


def ranking_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """precision@k, recall@k and average precision of a ranking (ties: stable order)."""
    order = np.argsort(-scores, kind="stable")
    ranked = labels[order]
    positives = labels.sum()
    result: dict[str, float] = {}
    for k in K_VALUES:
        top = ranked[:k]
        result[f"precision_at_{k}"] = float(top.mean()) if len(top) else np.nan
        result[f"recall_at_{k}"] = float(top.sum() / positives) if positives else np.nan
    result["average_precision"] = (float(average_precision_score(labels, scores))
                                   if 0 < positives < len(labels) else np.nan)
    return result


def calibration_table(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10
                      ) -> pd.DataFrame:
    """Predicted against observed, in equal-width probability bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "p": probabilities, "y": labels})
    table = frame.groupby("bin").agg(n=("y", "size"), predicted=("p", "mean"),
                                     observed=("y", "mean")).reset_index()
    table["range"] = [f"{edges[b]:.1f}–{edges[b + 1]:.1f}" for b in table["bin"]]
    return table[["range", "n", "predicted", "observed"]]


def origins_of(examples: pd.DataFrame, n_origins: int = N_ORIGINS) -> list[pd.Timestamp]:
    """The latest labelled snapshot and every ORIGIN_EVERY-th one before it, oldest first."""
    days = np.sort(examples["as_of"].unique())[::-1][::ORIGIN_EVERY][:n_origins]
    return [pd.Timestamp(d) for d in days[::-1]]


def run_backtest(examples: pd.DataFrame, *, horizon_days: int, estimator: str = "hgb",
                 n_origins: int = N_ORIGINS, threads: int | None = None,
                 progress: Callable[[float], None] | None = None) -> Backtest:
    """Evaluate at each origin a model fitted on the examples whose label windows closed by
    the origin (as_of + horizon ≤ origin), next to the baselines on the same cases."""
    rows: list[dict[str, object]] = []
    predictions: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    origins = origins_of(examples, n_origins)
    for i, origin in enumerate(origins):
        known = examples.loc[examples["as_of"] + pd.Timedelta(days=horizon_days) <= origin]
        here = examples.loc[examples["as_of"] == origin]
        try:
            model, _ = fit_risk_model(known, horizon_days=horizon_days, estimator=estimator,
                                      threads=threads)
        except TooLittleData as exc:
            skipped[str(origin.date())] = str(exc)
            continue
        finally:
            if progress:
                progress((i + 1) / len(origins))
        scored = _at_origin(origin, known, here, model, threads)
        rows += scored[0]
        predictions.append(scored[1])
    if not rows:
        raise TooLittleData("no backtest origin had enough labelled history: "
                            + "; ".join(f"{d}: {r}" for d, r in skipped.items()))
    return _collected(rows, predictions, horizon_days, skipped)


def evaluate_fixed(model: RiskModel, examples: pd.DataFrame, training: pd.DataFrame, *,
                   horizon_days: int, threads: int | None = None) -> Backtest:
    """A trained model, unchanged, at each as-of day of `examples` (days after its training
    data), next to the baselines fit on its training examples."""
    rows: list[dict[str, object]] = []
    predictions: list[pd.DataFrame] = []
    for origin in sorted(examples["as_of"].unique()):
        here = examples.loc[examples["as_of"] == origin]
        scored = _at_origin(pd.Timestamp(origin), training, here, model, threads)
        rows += scored[0]
        predictions.append(scored[1])
    return _collected(rows, predictions, horizon_days, {})


def _at_origin(origin: pd.Timestamp, known: pd.DataFrame, here: pd.DataFrame,
               model: RiskModel, threads: int | None
               ) -> tuple[list[dict[str, object]], pd.DataFrame]:
    """Metrics at one origin (the model, each outcome's baselines, the base-rate
    predictor) and the model's probabilities."""
    scores = risk_scores(model, here, threads=threads)
    rows: list[dict[str, object]] = []
    for outcome in OUTCOMES:
        labels = here[outcome].to_numpy()
        probability = scores[outcome].to_numpy()
        common = {"origin": str(origin.date()), "outcome": outcome, "n": len(here),
                  "positives": int(labels.sum())}
        rows.append({**common, "method": MODEL, **ranking_metrics(labels, probability),
                     "brier": float(brier_score_loss(labels, probability, labels=[0, 1]))})
        rows += [{**common, "method": name, **ranking_metrics(
            labels, BASELINES[name](known, here, outcome).to_numpy(float)), "brier": np.nan}
            for name in BASELINES_FOR[outcome]]
        rows.append({**common, "method": BASE_RATE, "brier": float(brier_score_loss(
            labels, np.full(len(labels), known[outcome].mean()), labels=[0, 1]))})
    predicted = pd.DataFrame({"origin": str(origin.date()),
                              "case_id": here["case_id"].to_numpy()})
    for outcome in OUTCOMES:
        predicted[f"y_{outcome}"] = here[outcome].to_numpy()
        predicted[f"p_{outcome}"] = scores[outcome].to_numpy()
    return rows, predicted


def _collected(rows: list[dict[str, object]], predictions: list[pd.DataFrame],
               horizon_days: int, skipped: dict[str, str]) -> Backtest:
    metrics = pd.DataFrame(rows)
    summary = metrics.drop(columns=["origin"]).groupby(["outcome", "method"], sort=False).mean()
    together = pd.concat(predictions, ignore_index=True)
    calibration = pd.concat([calibration_table(
        together[f"y_{o}"].to_numpy(), together[f"p_{o}"].to_numpy()).assign(outcome=o)
        for o in OUTCOMES], ignore_index=True)
    return Backtest(horizon_days=horizon_days, metrics=metrics, summary=summary,
                    calibration=calibration[["outcome", "range", "n", "predicted", "observed"]],
                    predictions=together, skipped=skipped)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready rows: NaN becomes None."""
    return [{str(k): (None if isinstance(v, float) and np.isnan(v) else v)
             for k, v in row.items()}
            for row in frame.to_dict("records")]
