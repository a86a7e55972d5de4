"""Training, evaluating and scoring the risk model on the database's cases: for each open
case, the probability that its handling deadline passes unclosed (`deadline`), that its
complainant comes back (`return`) and that either happens (`any`), with reasons for each.

These read the database (never write it) and keep models under the registry folder (in the
data directory); models/ does the modelling on the frames load_history builds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn
from sqlalchemy import Connection

from gridrisk.errors import Conflict, InvalidInput, NotFound
from gridrisk.policy import Policy
from gridrisk.progress import Progress, no_progress
from gridrisk.scoring.history import load_history
from gridrisk.vocab import labels
from models import registry
from models.backtest import Backtest, evaluate_fixed, run_backtest
from models.columns import OUTCOMES
from models.display import shown_probability
from models.examples import examples_at, snapshot_days
from models.features import FEATURES, features_at
from models.pipeline import RiskModel, TooLittleData, fit_risk_model
from models.reasons import N_REASONS, reason_features, reference_values, top_reasons
from models.report import write_report

HORIZONS = (7, 30, 90)
PROBABILITY_COLUMNS = [f"p_{o}" for o in OUTCOMES]
REASON_COLUMNS = [f"reason_{o}_{i}" for o in OUTCOMES for i in range(1, N_REASONS + 1)]
#: what a case's row in any ranking shows: its probabilities and the reasons for each
SCORED_COLUMNS = [*PROBABILITY_COLUMNS, *REASON_COLUMNS]
SCORE_COLUMNS = ["case_id", "rank", *SCORED_COLUMNS, "cell_code", "responsible_unit"]


@dataclass(frozen=True)
class Trained:
    model_id: str
    folder: Path
    card: dict[str, Any]
    backtest: Backtest


@dataclass(frozen=True)
class Evaluated:
    model_id: str
    report: Path
    backtest: Backtest


def check_horizon(horizon_days: int) -> None:
    if horizon_days not in HORIZONS:
        raise InvalidInput("horizon", f"{horizon_days} days is not one of the screening "
                           f"horizons {', '.join(map(str, HORIZONS))}")


def train_model(conn: Connection, *, registry_root: Path, horizon_days: int,
                as_of: date | None, policy: Policy, timezone: str,
                estimator: str = "hgb", threads: int | None = None,
                progress: Progress = no_progress) -> Trained:
    """Backtest, then fit on every example labelled by `as_of` (default: the data's last
    day), and register the model (every outcome) with its card and backtest report."""
    check_horizon(horizon_days)
    progress("读取数据", 0.0)
    history = load_history(conn, policy=policy, timezone=timezone, until=as_of)
    progress("读取数据", 1.0)
    days = snapshot_days(history, horizon_days=horizon_days)
    if len(days) < 2:
        raise InvalidInput("as_of", f"the data up to {history.known_until.date()} gives "
                           f"{len(days)} as-of days with a closed {horizon_days}-day label "
                           "window: a model needs a few months of case history")
    examples = examples_at(history, days, horizon_days,
                              progress=lambda f: progress("构建样本", f))
    try:
        backtest = run_backtest(examples, horizon_days=horizon_days, estimator=estimator,
                                threads=threads, progress=lambda f: progress("回测", f))
        progress("训练", 0.0)
        model, fit = fit_risk_model(examples, horizon_days=horizon_days, estimator=estimator,
                                    threads=threads)
    except TooLittleData as exc:
        raise InvalidInput("as_of", f"too little labelled history to train on: {exc}") from exc
    progress("训练", 1.0)
    created = datetime.now().astimezone()
    model_id = _new_id(registry_root, created, horizon_days)
    card = {
        "id": model_id, "created_at": created.isoformat(timespec="seconds"),
        "horizon_days": horizon_days, "as_of": str(history.known_until.date()),
        "estimator": estimator,
        "training_window": [str(days[0].date()), str(days[-1].date())],
        "n_examples": len(examples),
        "base_rates": {o: float(examples[o].mean()) for o in OUTCOMES},
        "features": FEATURES, "reason_features": reason_features(model),
        "reference": reference_values(examples),
        "data_fingerprint": registry.fingerprint(history),
        "fit": asdict(fit), "backtest": backtest.to_dict(),
        "versions": {"scikit-learn": sklearn.__version__},
    }
    folder = registry.save_model(registry_root, model_id, model, card)
    write_report(backtest, folder / "backtest", title=f"回测报告：模型 {model_id}",
                 facts=_facts(card))
    return Trained(model_id=model_id, folder=folder, card=card, backtest=backtest)


def evaluate_model(conn: Connection, *, registry_root: Path, model_id: str | None,
                   horizon_days: int, policy: Policy, timezone: str,
                   threads: int | None = None, progress: Progress = no_progress) -> Evaluated:
    """The registered model, unchanged, on every as-of day after its training data whose
    label window has closed, next to the baselines (fit on the examples it learned from);
    the report goes beside the model."""
    model_id, model, card = load_scoring_model(registry_root, model_id, horizon_days)
    progress("读取数据", 0.0)
    history = load_history(conn, policy=policy, timezone=timezone)
    progress("读取数据", 1.0)
    trained_until = pd.Timestamp(card["as_of"])
    days = [d for d in snapshot_days(history, horizon_days=horizon_days) if d > trained_until]
    if not days:
        raise InvalidInput(
            "model", f"model {model_id} learned from data up to {card['as_of']}; the data ends "
            f"{history.known_until.date()}, so no later as-of day has a closed "
            f"{horizon_days}-day label window. Train with an earlier --as-of to keep data out")
    examples = examples_at(history, days, horizon_days,
                              progress=lambda f: progress("构建样本", f))
    training = examples_at(history, snapshot_days(history.truncated(trained_until),
                                                  horizon_days=horizon_days), horizon_days)
    backtest = evaluate_fixed(model, examples, training, horizon_days=horizon_days,
                              threads=threads)
    folder = registry_root / model_id / "evaluations" / str(history.known_until.date())
    report = write_report(backtest, folder, title=f"评估报告：模型 {model_id}",
                          facts={**_facts(card), "评估数据截至": str(history.known_until.date())})
    return Evaluated(model_id=model_id, report=report, backtest=backtest)


def score_cases(conn: Connection, *, registry_root: Path, as_of: date, horizon_days: int,
                model_id: str | None, policy: Policy, timezone: str,
                threads: int | None = None, progress: Progress = no_progress) -> pd.DataFrame:
    """One row per case open at the end of `as_of`: SCORE_COLUMNS, the highest probability
    of any escalation first."""
    model_id, model, card = load_scoring_model(registry_root, model_id, horizon_days)
    progress("读取数据", 0.0)
    history = load_history(conn, policy=policy, timezone=timezone, until=as_of)
    progress("评分", 0.3)
    features = features_at(history, pd.Timestamp(as_of))
    if not len(features):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    scored = score_features(model, card, features, threads=threads)
    progress("评分", 1.0)
    cases = history.cases.set_index("case_id")
    frame = pd.DataFrame({
        "case_id": features.index.to_numpy(dtype=object),
        **{c: scored[c].to_numpy() for c in SCORED_COLUMNS},
        "cell_code": cases.loc[features.index, "cell_code"].to_numpy(dtype=object),
        "responsible_unit": cases.loc[features.index, "responsible_unit"].to_numpy(
            dtype=object)})
    frame = frame.sort_values(["p_any", "case_id"], ascending=[False, True], ignore_index=True)
    frame["rank"] = range(1, len(frame) + 1)
    return frame[SCORE_COLUMNS]


def score_features(model: RiskModel, card: dict[str, Any], features: pd.DataFrame, *,
                   threads: int | None = None) -> pd.DataFrame:
    """SCORED_COLUMNS on the features' index: what a case's row in any ranking shows. Each
    row depends on its own features only, so parts of a frame score alike."""
    if not len(features):
        return pd.DataFrame(columns=SCORED_COLUMNS, index=features.index)
    scored = top_reasons(model, features, card["reference"], names=labels("zh"),
                         above=card["base_rates"], threads=threads)
    return scored[SCORED_COLUMNS]


def check_output(path: Path) -> None:
    """Name a bad output file before any work is done."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InvalidInput("out", f"{path.name}: the file must end in .csv or .xlsx")


def write_scores(scores: pd.DataFrame, path: Path) -> None:
    """CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese) or
    Excel, by the file's suffix; probabilities as people read them (models.display)."""
    check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scores = scores.assign(**{c: scores[c].map(shown_probability) for c in PROBABILITY_COLUMNS})
    if path.suffix.lower() == ".csv":
        scores.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        scores.to_excel(path, index=False, sheet_name="scores")


def list_models(registry_root: Path) -> list[dict[str, Any]]:
    return registry.list_cards(registry_root)


def promote_model(registry_root: Path, model_id: str, *, force: bool) -> dict[str, Any]:
    try:
        return registry.promote(registry_root, model_id, force=force)
    except registry.ModelNotFound as exc:
        raise NotFound(str(exc)) from exc
    except registry.NotPromotable as exc:
        raise Conflict(f"{exc}; use --force to promote it all the same") from exc


def load_scoring_model(registry_root: Path, model_id: str | None, horizon_days: int
                       ) -> tuple[str, Any, dict[str, Any]]:
    """The named model, or the one promoted for the horizon, refused when it was trained on
    other features than this version computes."""
    check_horizon(horizon_days)
    try:
        chosen = model_id or registry.promoted_model(registry_root, horizon_days)
        model, card = registry.load_model(registry_root, chosen)
    except registry.ModelNotFound as exc:
        raise NotFound(f"{exc}: train one (gridrisk model train --horizon {horizon_days}) "
                       "and promote it (gridrisk model promote ID), or name one with --model"
                       ) from exc
    except registry.UntrustedModel as exc:
        raise InvalidInput("model", str(exc)) from exc
    if card["horizon_days"] != horizon_days:
        raise InvalidInput("horizon", f"model {chosen} predicts {card['horizon_days']} days "
                           f"ahead, not {horizon_days}")
    if card["features"] != FEATURES or "base_rates" not in card:
        raise InvalidInput("model", f"model {chosen} was trained on other features than this "
                           "version computes: train a new one")
    return chosen, model, card


def _new_id(root: Path, created: datetime, horizon_days: int) -> str:
    stem = f"{created:%Y%m%d-%H%M%S}-{horizon_days}d"
    model_id, n = stem, 1
    while (root / model_id).exists():
        n += 1
        model_id = f"{stem}-{n}"
    return model_id


def _facts(card: dict[str, Any]) -> dict[str, str]:
    return {"模型": card["id"], "训练数据截至": card["as_of"],
            "训练样本时点": f"{card['training_window'][0]} 至 {card['training_window'][1]}",
            "数据指纹": card["data_fingerprint"]}

