"""Training, backtest, evaluation and scoring on the small demo county and the tiny bundle."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine

from gridrisk.bundle.service import import_bundle
from gridrisk.errors import Conflict, InvalidInput, NotFound
from gridrisk.scoring.service import (
    SCORE_COLUMNS,
    Trained,
    evaluate_model,
    promote_model,
    score_cases,
    train_model,
    write_scores,
)
from models.backtest import BASELINES_FOR, K_VALUES
from models.columns import OUTCOMES, personal_detail_columns

from ..county import POLICY, TIMEZONE, TRAINED_TO


def test_the_backtest_reports_every_outcome_next_to_the_baselines_fit_for_it(
        trained: Trained) -> None:
    backtest = trained.card["backtest"]
    summary = {(row["outcome"], row["method"]): row for row in backtest["summary"]}
    for outcome in OUTCOMES:
        methods = {method for o, method in summary if o == outcome}
        assert methods == {"model", "base_rate", *BASELINES_FOR[outcome]}
        for method in ("model", *BASELINES_FOR[outcome]):
            row = summary[(outcome, method)]
            for k in K_VALUES:
                assert 0 <= row[f"precision_at_{k}"] <= 1
                assert 0 <= row[f"recall_at_{k}"] <= 1
            assert 0 < row["average_precision"] <= 1
        assert summary[(outcome, "model")]["brier"] > 0
        assert summary[(outcome, "base_rate")]["brier"] > 0
    assert BASELINES_FOR["return"] == ("most_returns", "category_rate")
    assert BASELINES_FOR["deadline"][0] == "fewest_days_left"
    assert len(backtest["origins"]) >= 6
    origins = [r for r in backtest["metrics"] if r["method"] == "model" and r["outcome"] == "any"]
    calibration = [r for r in backtest["calibration"] if r["outcome"] == "any"]
    assert sum(r["n"] for r in calibration) == sum(r["n"] for r in origins)
    report = (trained.folder / "backtest" / "report.md").read_text(encoding="utf-8")
    for words in ("P@100", "期限风险", "反复风险", "剩余天数最少优先", "该类事项历史反复率"):
        assert words in report
    for plot in ("precision_at_k.png", *(f"reliability_{o}.png" for o in OUTCOMES)):
        assert (trained.folder / "backtest" / plot).read_bytes()[:4] == b"\x89PNG"
        assert plot in report


def test_the_card_tells_what_the_model_learned_from(trained: Trained) -> None:
    card = trained.card
    assert card["horizon_days"] == 30 and card["estimator"] == "hgb"
    assert card["as_of"] == str(TRAINED_TO)
    last = pd.Timestamp(card["training_window"][1])
    assert last + pd.Timedelta(days=30) <= pd.Timestamp(card["as_of"])
    assert len(card["data_fingerprint"]) == 16
    assert personal_detail_columns(card["features"]) == []
    assert (trained.folder / "card.md").read_text(encoding="utf-8").startswith("# 风险模型")


def test_scores_cover_every_open_case_with_reasons(county: Engine, trained: Trained,
                                                   data_dir: Path) -> None:
    with county.connect() as conn:
        scores = score_cases(conn, registry_root=data_dir / "models", as_of=date(2026, 9, 1),
                             horizon_days=30, model_id=trained.model_id, policy=POLICY,
                             timezone=TIMEZONE, threads=1)
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["case_id"].is_unique and len(scores) > 50
    assert scores["p_any"].is_monotonic_decreasing
    assert list(scores["rank"]) == list(range(1, len(scores) + 1))
    for outcome in OUTCOMES:
        p = scores[f"p_{outcome}"]
        assert ((p > 0) & (p < 1)).all()
        assert p.nunique() > 0.9 * len(p), "isotonic steps would give many cases one score"
        elevated = p >= trained.card["base_rates"][outcome]
        reasons = scores[[f"reason_{outcome}_{i}" for i in (1, 2, 3)]]
        assert (reasons.loc[elevated].iloc[:, 0] != "").mean() > 0.5
        assert (reasons.loc[~elevated] == "").all().all()


def test_the_horizon_must_match_the_model(county: Engine, trained: Trained,
                                          data_dir: Path) -> None:
    with county.connect() as conn, pytest.raises(InvalidInput, match="predicts 30 days"):
        score_cases(conn, registry_root=data_dir / "models", as_of=date(2026, 9, 1),
                    horizon_days=7, model_id=trained.model_id, policy=POLICY,
                    timezone=TIMEZONE)


def test_a_model_is_evaluated_unchanged_on_the_data_after_its_own(
        county: Engine, trained: Trained, data_dir: Path) -> None:
    with county.connect() as conn:
        evaluated = evaluate_model(conn, registry_root=data_dir / "models",
                                   model_id=trained.model_id, horizon_days=30, policy=POLICY,
                                   timezone=TIMEZONE, threads=1)
    assert evaluated.backtest.origins and all(
        day > str(TRAINED_TO) for day in evaluated.backtest.origins)
    assert "评估报告" in evaluated.report.read_text(encoding="utf-8")


def test_evaluation_needs_data_newer_than_the_model(conn: Connection, tiny_bundle: Path,
                                                    trained: Trained, data_dir: Path) -> None:
    import_bundle(conn, tiny_bundle, timezone=TIMEZONE, policy=POLICY.deadlines)
    with pytest.raises(InvalidInput, match="no later as-of day"):
        evaluate_model(conn, registry_root=data_dir / "models", model_id=trained.model_id,
                       horizon_days=30, policy=POLICY, timezone=TIMEZONE)


def test_promotion_refuses_a_model_that_lost_unless_forced(trained: Trained,
                                                           data_dir: Path) -> None:
    with pytest.raises(NotFound):
        promote_model(data_dir / "models", "no-such-model", force=False)
    card_file = trained.folder / "card.json"
    original = card_file.read_text(encoding="utf-8")
    try:
        card_file.write_text(original.replace('"beats_baselines": true',
                                              '"beats_baselines": false'), encoding="utf-8")
        with pytest.raises(Conflict, match="--force"):
            promote_model(data_dir / "models", trained.model_id, force=False)
        assert promote_model(data_dir / "models", trained.model_id, force=True)["id"] == \
            trained.model_id
    finally:
        card_file.write_text(original, encoding="utf-8")


def test_the_tiny_bundle_gets_a_clear_error(conn: Connection, tiny_bundle: Path,
                                            tmp_path: Path) -> None:
    import_bundle(conn, tiny_bundle, timezone=TIMEZONE, policy=POLICY.deadlines)
    with pytest.raises(InvalidInput, match="a model needs a few months of case history"):
        train_model(conn, registry_root=tmp_path, horizon_days=30, as_of=None, policy=POLICY,
                    timezone=TIMEZONE)
    with pytest.raises(InvalidInput, match="not one of the screening horizons"):
        train_model(conn, registry_root=tmp_path, horizon_days=14, as_of=None, policy=POLICY,
                    timezone=TIMEZONE)


def test_scores_go_to_csv_or_excel_only_with_probabilities_as_people_read_them(
        tmp_path: Path) -> None:
    scores = pd.DataFrame([["C1", 1, 0.9991, 0.9990, 0.002, *["已超期 3 天"] * 9, "A", "县人社局"],
                           ["C2", 2, 0.37, 0.001, 0.365, *[""] * 9, "A", "县人社局"]],
                          columns=SCORE_COLUMNS)
    write_scores(scores, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it
    written = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig")
    assert written[["p_any", "p_deadline", "p_return"]].to_numpy().tolist() == [
        ["> 99%", "> 99%", "< 1%"], ["37%", "< 1%", "37%"]]  # 0.365: half rounds up
    with pytest.raises(InvalidInput, match=r"must end in \.csv or \.xlsx"):
        write_scores(scores, tmp_path / "s.txt")


def test_a_day_before_any_case_gives_an_empty_score_list(county: Engine, trained: Trained,
                                                         data_dir: Path) -> None:
    with county.connect() as conn:
        scores = score_cases(conn, registry_root=data_dir / "models", as_of=date(2020, 1, 1),
                             horizon_days=30, model_id=trained.model_id, policy=POLICY,
                             timezone=TIMEZONE)
    assert list(scores.columns) == SCORE_COLUMNS and scores.empty
