"""The demo county's hidden causes and its oracle: the oracle scores exactly the cases the
model scores, by the model's own outcomes; its probabilities come true on the county's own
future; the hidden state shows only as hints."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridrisk.errors import InvalidInput
from gridrisk.policy import DeadlinePolicy
from gridrisk.scoring.history import replayed_timeline
from gridrisk.synthetic.county import build_county, generate_bundle
from gridrisk.synthetic.oracle import ORACLE_COLUMNS, ORACLE_FILE, oracle_frame, write_oracle
from gridrisk.synthetic.texts import PRESSING
from models.columns import CASE_COLUMNS, CELL_COLUMNS, NEIGHBOUR_COLUMNS, SCREENING_COLUMNS
from models.history import History, day_number
from models.labels import labels_at

END_ON = date(2026, 10, 31)
SEED = 4
AS_OF = [date(2025, 11, 3) + timedelta(days=35 * i) for i in range(8)]


def bundle_history(folder: Path) -> History:
    """A bundle's cases and case files replayed by derive_state, without a database (the
    bundle's times are local: their first ten characters are the local day)."""
    cases = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(folder / "case_events.csv", dtype=str, keep_default_na=False)
    frame = pd.DataFrame({
        "case_id": cases["case_id"], "received_on": pd.to_datetime(cases["received_on"]).dt.date,
        "channel": cases["channel"], "category": cases["category"],
        "parties": cases["parties"].astype(int), "complex": cases["complex"] == "true",
        "cell_code": cases["cell_code"], "responsible_unit": cases["responsible_unit"],
        "summary": cases["summary"],
        "due_on": [date.fromisoformat(d[:10]) if d else None for d in cases["due_at"]]})
    timeline = replayed_timeline(frame, pd.DataFrame({
        "case_id": events["case_id"], "on": pd.to_datetime(events["at"].str[:10]).dt.date,
        "type": events["type"], "level": events["level"].replace("", None),
        "parties": pd.to_numeric(events["parties"].replace("", None)),
        "detail": events["detail"].replace("", None)}), DeadlinePolicy())
    frame["received_on"] = pd.to_datetime(frame["received_on"])
    return History(cases=frame[CASE_COLUMNS], timeline=timeline,
                   screenings=pd.DataFrame(columns=SCREENING_COLUMNS),
                   cells=pd.DataFrame(columns=CELL_COLUMNS),
                   neighbours=pd.DataFrame(columns=NEIGHBOUR_COLUMNS),
                   known_until=pd.Timestamp(END_ON))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county") / "oracle"
    generate_bundle(folder, seed=SEED, scale="small", end_on=END_ON)
    return folder


@pytest.fixture(scope="module")
def history(bundle: Path) -> History:
    return bundle_history(bundle)


@pytest.fixture(scope="module")
def oracle() -> pd.DataFrame:
    return oracle_frame(seed=SEED, scale="small", end_on=END_ON, as_of=AS_OF, horizons=[30],
                        replicates=100)


def test_the_oracle_scores_the_cases_open_at_each_day_by_the_models_outcomes(
        history: History, oracle: pd.DataFrame) -> None:
    assert list(oracle.columns) == ORACLE_COLUMNS
    for day in AS_OF:
        labels = labels_at(history, day, 30)
        here = oracle.loc[oracle["as_of"] == day]
        assert set(here["case_id"]) == set(labels.index), day
    p = oracle[["p_deadline", "p_return", "p_any"]]
    assert ((p >= 0) & (p <= 1)).all().all()
    assert (oracle["p_any"] >= oracle[["p_deadline", "p_return"]].max(axis=1) - 1e-9).all()


def test_the_simulation_passes_deadlines_exactly_where_derive_state_does(
        history: History) -> None:
    county = build_county(seed=SEED, scale="small", end_on=END_ON)
    p = history.prepared
    replayed = set(zip(p.case_ids[p.passings["case"].to_numpy()], p.passings["day"],
                       strict=True))
    passings = county.simulated.passings
    first = day_number(pd.Timestamp(county.calendar.dates[0]))
    simulated = set(zip(county.ids_by_slot[passings["case"].to_numpy()],
                        passings["day"] + first, strict=True))
    assert replayed == simulated and len(replayed) > 50


def test_the_oracles_probabilities_come_true_on_the_countys_own_future(
        history: History, oracle: pd.DataFrame) -> None:
    labels = pd.concat([labels_at(history, day, 30).assign(as_of=day) for day in AS_OF])
    joined = labels.reset_index().merge(oracle, on=["as_of", "case_id"])
    assert len(joined) == len(labels)
    for outcome in ("deadline", "return", "any"):
        observed, predicted = joined[outcome], joined[f"p_{outcome}"]
        assert abs(observed.mean() - predicted.mean()) < 0.03, outcome
        brier = ((predicted - observed) ** 2).mean()
        base = ((observed.mean() - observed) ** 2).mean()
        assert brier < 0.8 * base, outcome


def test_escalation_is_likely_for_few_cases_and_certain_for_almost_none(
        oracle: pd.DataFrame) -> None:
    assert 0.1 < oracle["p_any"].mean() < 0.35
    assert (oracle["p_any"] >= 0.99).mean() < 0.05
    assert (oracle["p_any"] < 0.1).mean() > 0.3


def test_the_oracle_is_the_same_for_a_seed_and_written_beside_the_bundle(
        oracle: pd.DataFrame, tmp_path: Path) -> None:
    path = write_oracle(tmp_path, seed=SEED, scale="small", end_on=END_ON, as_of=AS_OF[:1],
                        horizons=[30], replicates=100)
    assert path == tmp_path / ORACLE_FILE
    written = pd.read_csv(path, dtype={"case_id": str})
    first = oracle.loc[oracle["as_of"] == AS_OF[0]].reset_index(drop=True)
    np.testing.assert_allclose(written["p_any"], first["p_any"], atol=5e-5)
    assert list(written["case_id"]) == list(first["case_id"])


def test_an_oracle_day_outside_the_window_is_refused() -> None:
    with pytest.raises(InvalidInput, match="ends after the county's last day"):
        oracle_frame(seed=SEED, scale="small", end_on=END_ON, as_of=[date(2026, 10, 15)],
                     horizons=[30])
    with pytest.raises(InvalidInput, match="outside the county's window"):
        oracle_frame(seed=SEED, scale="small", end_on=END_ON, as_of=[date(2024, 1, 1)],
                     horizons=[30])


def test_summaries_hint_at_determination_and_repeats_say_what_they_repeat(
        bundle: Path, history: History) -> None:
    cases = pd.read_csv(bundle / "cases.csv", dtype=str, keep_default_na=False)
    known = pd.read_csv(bundle / "known_repeats.csv", dtype=str)
    returned = history.timeline.loc[history.timeline["type"].isin(
        ["escalated", "refiled", "review_requested", "rereview_requested", "reopened"]),
        "case_id"].unique()
    pressing = cases["summary"].str.contains("|".join(PRESSING))
    came_back = cases["case_id"].isin(returned)
    assert 0.05 < pressing.mean() < 0.3
    assert came_back[pressing].mean() > 1.5 * came_back[~pressing].mean()
    assert 0.03 < len(known) / len(cases) < 0.2
    by_id = cases.set_index("case_id")
    later, earlier = by_id.loc[known["case_id"]], by_id.loc[known["repeats_case_id"]]
    assert (later["received_on"].to_numpy() >= earlier["received_on"].to_numpy()).all()
    assert (later["category"].to_numpy() == earlier["category"].to_numpy()).all()
    assert all(e in la for la, e in zip(later["summary"], earlier["summary"], strict=True))


def test_hotline_cases_carry_their_platforms_deadline(bundle: Path) -> None:
    cases = pd.read_csv(bundle / "cases.csv", dtype=str, keep_default_na=False)
    given = cases["due_at"] != ""
    assert 0.1 < given.mean() < 0.5
    assert cases.loc[given, "channel"].isin(["phone", "online"]).all()
    due = pd.to_datetime(cases.loc[given, "due_at"].str[:10])
    received = pd.to_datetime(cases.loc[given, "received_on"])
    assert ((due - received).dt.days.between(10, 20)).all()


def test_screenings_find_more_where_the_hidden_tension_runs_high() -> None:
    county = build_county(seed=SEED, scale="small", end_on=END_ON)
    records = county.screenings
    plain = records.loc[records["case_id"].isna()]
    cells = county.geography.cells["code"].to_numpy()
    position = pd.Series(np.arange(len(cells)), index=cells)
    tension = county.world.tension[0][position[plain["cell_code"]].to_numpy(),
                                      plain["day"].to_numpy()]
    high = tension > np.quantile(tension, 0.9)
    low = tension < np.quantile(tension, 0.5)
    assert plain["found"].to_numpy()[high].mean() > 1.5 * plain["found"].to_numpy()[low].mean()
