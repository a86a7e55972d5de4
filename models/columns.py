"""The columns the risk model reads and writes: the contract between gridrisk and models/.

gridrisk derives every case's state with its own rules (derive_state) and hands models/ the
frames below; models/ never re-derives state or deadlines, it only reads them. Dates are
local days (datetime64, no time of day).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

#: one row per case; attributes fixed at receipt (never a complainant's personal details)
CASE_COLUMNS = ["case_id", "received_on", "channel", "category", "parties", "complex",
                "cell_code", "responsible_unit", "summary"]

#: the case file replayed: one row per case for its receipt (type "received", seq 0), then one
#: per event in file order (seq 1, 2, …), each with the state derive_state gives after it.
#: Dates of a state that has none (e.g. handle_by before acceptance) are NaT.
TIMELINE_COLUMNS = ["case_id", "seq", "on", "type", "level", "parties", "detail",
                    "is_open", "accepted_on", "accept_by", "handle_by", "extended"]

#: one row per screening record
SCREENING_COLUMNS = ["cell_code", "screened_on", "found", "severity", "outcome"]

#: every cell, so a cell never screened still counts as missing its screenings
CELL_COLUMNS = ["cell_code"]

#: pairs of cells whose polygons touch, both ways round
NEIGHBOUR_COLUMNS = ["cell_code", "neighbour_code"]

#: repeat links: a case (received later) and an earlier case on the same matter it repeats
#: (models.repeats finds them)
REPEAT_COLUMNS = ["case_id", "repeats_case_id"]

#: the event types that count as a return (the complainant coming back) when they happen
#: within the horizon; with the handling deadline passing unclosed, an escalation
ESCALATION_EVENTS = ("escalated", "refiled", "review_requested", "rereview_requested",
                     "reopened")
#: what the model predicts for each open case, each a 0/1 label: `deadline` (the handling
#: deadline passes with the case open: a matter for the unit), `return` (any of
#: ESCALATION_EVENTS: a matter for the whole township) and `any` (either: the bundle spec's
#: escalation)
OUTCOMES = ("any", "deadline", "return")

#: words that mark a column holding a person's details; no feature may carry one
PERSONAL_DETAIL_MARKERS = ("name", "phone", "mobile", "id_card", "idcard", "identity",
                           "address", "birth", "official", "contact", "姓名", "电话", "手机",
                           "身份证", "住址", "地址")


class MissingColumns(ValueError):
    """A frame handed to models/ lacks documented columns."""

    def __init__(self, frame: str, missing: list[str]) -> None:
        super().__init__(f"{frame}: missing columns {', '.join(missing)}")
        self.frame = frame
        self.missing = missing


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, frame_name: str) -> None:
    """Name every documented column a frame lacks, instead of a KeyError deep inside."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumns(frame_name, missing)


def personal_detail_columns(columns: Iterable[str]) -> list[str]:
    """Columns whose names mark personal details: the model must never see these."""
    return [c for c in columns if any(m in c.lower() for m in PERSONAL_DETAIL_MARKERS)]
