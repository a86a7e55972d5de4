"""Rolling-origin backtest: at each origin, a model trained only on examples whose label
windows closed by then ranks the cases open at the origin; two baselines rank the same cases.

Metrics: precision@k and recall@k (k = 50, 100, 200), average precision, Brier score (the
model against a predictor of the training base rate) and a calibration table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss
from sklearn.pipeline import Pipeline

from models.pipeline import TooLittleData, fit_risk_model, risk_scores

K_VALUES = (50, 100, 200)
N_ORIGINS = 6
#: snapshots between origins (snapshots are 14 days apart: origins four weeks apart)
ORIGIN_EVERY = 2
MODEL = "model"
BASE_RATE = "base_rate"


def most_overdue_first(features: pd.DataFrame) -> pd.Series:
    """Days past the live deadline; not yet overdue ones follow, nearest deadline first."""
    return features["days_overdue"] - features["days_left"]


def most_returns_then_oldest(features: pd.DataFrame) -> pd.Series:
    """Refilings plus escalations so far; ties broken by age, oldest first."""
    returns = features["n_refiled"] + features["n_escalated"]
    return returns * 100_000 + features["age_days"]


BASELINES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "most_overdue": most_overdue_first,
    "most_returns": most_returns_then_oldest,
}
METHOD_NAMES = {MODEL: "模型", "most_overdue": "基线：超期最久优先",
                "most_returns": "基线：重复信访与越级最多、再按最早", BASE_RATE: "基线：历史平均率"}


@dataclass(frozen=True)
class Backtest:
    horizon_days: int
    #: one row per (origin, method): n, positives, precision_at_k, recall_at_k, ap, brier
    metrics: pd.DataFrame
    #: the same, averaged over origins: one row per method
    summary: pd.DataFrame
    #: pooled over origins: bin, n, mean predicted, observed share
    calibration: pd.DataFrame
    #: origins that could not be evaluated, with the reason
    skipped: dict[str, str]

    @property
    def origins(self) -> list[str]:
        return sorted(self.metrics["origin"].unique()) if len(self.metrics) else []

    def best_baseline(self, metric: str = "precision_at_100") -> str:
        baselines = self.summary.drop(index=[MODEL, BASE_RATE], errors="ignore")
        return str(baselines[metric].idxmax())

    def beats_baselines(self) -> bool:
        """The model beats every baseline on precision@100 and average precision."""
        if MODEL not in self.summary.index:
            return False
        baselines = self.summary.loc[list(BASELINES)]
        model = self.summary.loc[MODEL]
        return bool(model["precision_at_100"] > baselines["precision_at_100"].max()
                    and model["average_precision"] > baselines["average_precision"].max())

    def brier_ratio(self) -> float:
        """The model's Brier score over the base-rate predictor's (lower is better)."""
        return float(self.summary.loc[MODEL, "brier"] / self.summary.loc[BASE_RATE, "brier"])

    def to_dict(self) -> dict[str, object]:
        return {
            "horizon_days": self.horizon_days, "origins": self.origins, "skipped": self.skipped,
            "summary": _records(self.summary.reset_index(names="method")),
            "metrics": _records(self.metrics),
            "calibration": _records(self.calibration),
            "beats_baselines": self.beats_baselines(),
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
    pooled: list[pd.DataFrame] = []
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
        probability = risk_scores(model, here, threads=threads).to_numpy()
        rows += _origin_rows(origin, here, probability, float(known["label"].mean()))
        pooled.append(pd.DataFrame({"y": here["label"].to_numpy(), "p": probability}))
    if not rows:
        raise TooLittleData("no backtest origin had enough labelled history: "
                            + "; ".join(f"{d}: {r}" for d, r in skipped.items()))
    return _collected(rows, pooled, horizon_days, skipped)


def evaluate_fixed(model: Pipeline, examples: pd.DataFrame, *, horizon_days: int,
                   base_rate: float, threads: int | None = None) -> Backtest:
    """A trained model, unchanged, at each as-of day of `examples` (days after its training
    data), next to the baselines; the base-rate predictor uses its training base rate."""
    rows: list[dict[str, object]] = []
    pooled: list[pd.DataFrame] = []
    for origin in sorted(examples["as_of"].unique()):
        here = examples.loc[examples["as_of"] == origin]
        probability = risk_scores(model, here, threads=threads).to_numpy()
        rows += _origin_rows(pd.Timestamp(origin), here, probability, base_rate)
        pooled.append(pd.DataFrame({"y": here["label"].to_numpy(), "p": probability}))
    return _collected(rows, pooled, horizon_days, {})


def _origin_rows(origin: pd.Timestamp, here: pd.DataFrame, probability: np.ndarray,
                 base_rate: float) -> list[dict[str, object]]:
    """Metrics at one origin: the model, each baseline, the base-rate predictor."""
    labels = here["label"].to_numpy()
    common = {"origin": str(origin.date()), "n": len(here), "positives": int(labels.sum())}
    rows: list[dict[str, object]] = [{
        **common, "method": MODEL, **ranking_metrics(labels, probability),
        "brier": float(brier_score_loss(labels, probability, labels=[0, 1]))}]
    rows += [{**common, "method": name, **ranking_metrics(labels, rank(here).to_numpy(float)),
              "brier": np.nan} for name, rank in BASELINES.items()]
    rows.append({**common, "method": BASE_RATE, "brier": float(brier_score_loss(
        labels, np.full(len(labels), base_rate), labels=[0, 1]))})
    return rows


def _collected(rows: list[dict[str, object]], pooled: list[pd.DataFrame], horizon_days: int,
               skipped: dict[str, str]) -> Backtest:
    metrics = pd.DataFrame(rows)
    summary = metrics.drop(columns=["origin"]).groupby("method", sort=False).mean()
    together = pd.concat(pooled, ignore_index=True)
    return Backtest(horizon_days=horizon_days, metrics=metrics, summary=summary,
                    calibration=calibration_table(together["y"].to_numpy(),
                                                  together["p"].to_numpy()),
                    skipped=skipped)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready rows: NaN becomes None."""
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]
