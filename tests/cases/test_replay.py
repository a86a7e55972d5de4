"""replay_frame gives, after every event of every case file, the state derive_state gives: on
hand-made files that reach each rule, and on every case file of the small demo county."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from gridrisk.cases.service import case_files, due_on
from gridrisk.cases.state import EventFacts, derive_state, replay_frame
from gridrisk.policy import DeadlinePolicy

POLICY = DeadlinePolicy()
RECEIVED = date(2025, 3, 1)
STATE_FIELDS = ["is_open", "accept_by", "accepted_on", "handle_by", "extended", "closed_on",
                "closure_type", "opinion_issued", "review_decided"]


def day(n: int) -> date:
    return RECEIVED + timedelta(days=n)


#: name → (complex, due day offset or None, events as (day offset, type, detail))
FILES: dict[str, tuple[bool, int | None, list[tuple[int, str, str | None]]]] = {
    "untouched": (False, None, []),
    "accepted": (False, None, [(2, "accepted", None)]),
    "complex": (True, None, [(2, "accepted", None), (5, "site_visit", None)]),
    "source deadline": (False, 20, [(3, "accepted", None), (10, "extended", "延期10日")]),
    "source deadline only once": (False, 20, [
        (3, "accepted", None), (9, "closed", "resolved"), (12, "reopened", None),
        (14, "accepted", None)]),
    "declined, reopened, accepted": (False, 40, [
        (5, "not_accepted", None), (8, "reopened", None), (9, "accepted", None)]),
    "extension named and not": (False, None, [
        (1, "accepted", None), (20, "extended", "需现场测量"), (40, "closed", "withdrawn"),
        (45, "refiled", None), (46, "refiled", None), (50, "accepted", None),
        (60, "extended", "延期15日")]),
    "refiled while open": (False, None, [(1, "refiled", None), (3, "accepted", None),
                                         (4, "refiled", None)]),
    "reviews": (False, None, [
        (1, "accepted", None), (10, "opinion_issued", None), (12, "review_requested", None),
        (20, "review_decided", None), (22, "rereview_requested", None),
        (30, "closed", "terminated_after_review"), (40, "followed_up", "unsatisfied"),
        (41, "escalated", None)]),
    "closed twice": (False, None, [
        (1, "accepted", None), (10, "closed", "resolved"), (20, "followed_up", "satisfied"),
        (30, "reopened", None), (31, "accepted", None), (35, "closed", "agreement_signed")]),
}


def frames(files: dict[str, tuple[bool, int | None, list[tuple[int, str, str | None]]]]
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = pd.DataFrame({
        "case_id": list(files), "received_on": pd.to_datetime([RECEIVED] * len(files)),
        "complex": [c for c, _, _ in files.values()],
        "due_on": pd.to_datetime([day(d) if d is not None else None
                                  for _, d, _ in files.values()])})
    events = pd.DataFrame([(name, pd.Timestamp(day(n)), kind, detail)
                           for name, (_, _, file) in files.items()
                           for n, kind, detail in file],
                          columns=["case_id", "on", "type", "detail"])
    return cases, events


def expected_rows(received_on: date, facts: list[EventFacts], *, is_complex: bool,
                  due: date | None) -> list[dict[str, object]]:
    """derive_state of the receipt and of every prefix of the file."""
    return [_fields(derive_state(received_on, facts[:k], is_complex=is_complex,
                                 policy=POLICY, due_on=due)) for k in range(len(facts) + 1)]


def _fields(state: object) -> dict[str, object]:
    return {f: getattr(state, f) for f in STATE_FIELDS}


def replayed_rows(replayed: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for row in replayed[STATE_FIELDS].to_dict("records"):
        rows.append({f: None if pd.isna(v) else v.date() if f.endswith(("_on", "_by"))
                     else v for f, v in row.items()})
    return rows


def test_each_rule_replays_as_derive_state_does() -> None:
    cases, events = frames(FILES)
    replayed = replay_frame(cases, events, POLICY)
    for name, (is_complex, due, file) in FILES.items():
        facts = [EventFacts(day(n), kind, detail) for n, kind, detail in file]
        mine = replayed[replayed["case"] == list(FILES).index(name)]
        assert mine["type"].tolist() == ["received", *[k for _, k, _ in file]], name
        assert replayed_rows(mine) == expected_rows(
            RECEIVED, facts, is_complex=is_complex,
            due=day(due) if due is not None else None), name


def test_acceptance_names_the_acceptance_in_force() -> None:
    cases, events = frames({"closed twice": FILES["closed twice"]})
    replayed = replay_frame(cases, events, POLICY).reset_index(drop=True)
    # received, accepted, closed, followed_up, reopened, accepted, closed
    assert replayed["acceptance"].tolist() == [-1, 1, 1, 1, -1, 5, 5]


def test_events_of_an_unknown_case_are_refused() -> None:
    cases, events = frames({"accepted": FILES["accepted"]})
    with pytest.raises(ValueError, match="case_id"):
        replay_frame(cases, events.assign(case_id="elsewhere"), POLICY)


@pytest.mark.slow
def test_every_case_file_of_the_demo_county_replays_as_derive_state_does(county: Engine
                                                                         ) -> None:
    timezone = "Asia/Shanghai"
    with county.connect() as conn:
        rows = conn.execute(text("SELECT case_id, received_on, complex, due_at FROM cases "
                                 "ORDER BY case_id")).all()
        files = case_files(conn, [r.case_id for r in rows], timezone=timezone)
    cases = pd.DataFrame({
        "case_id": [r.case_id for r in rows],
        "received_on": pd.to_datetime([r.received_on for r in rows]),
        "complex": [r.complex for r in rows],
        "due_on": pd.to_datetime([due_on(r.due_at, timezone) for r in rows])})
    events = pd.DataFrame([(case_id, pd.Timestamp(e.on), e.type, e.detail)
                           for case_id, file in files.items() for e in file],
                          columns=["case_id", "on", "type", "detail"])
    replayed = replayed_rows(replay_frame(cases, events, POLICY))
    expected = [state for r in rows for state in expected_rows(
        r.received_on, files.get(r.case_id, []), is_complex=r.complex,
        due=due_on(r.due_at, timezone))]
    assert len(replayed) == len(expected) > 10_000
    assert replayed == expected
