"""Repeat matters (重复件 / 反弹) between the database's cases, by the policy's [repeats]
rules (models.repeats judges each pair on its own two cases): for a whole region (the model's
history, the indicators' repeat counts) or for one case (its page and GET /cases/{id})."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cases.errors import UnknownCase
from gridrisk.cases.schemas import RepeatLink, RepeatLinks
from gridrisk.db.base import Db
from gridrisk.policy import RepeatPolicy
from gridrisk.regions.sql import REGIONS_UNDER
from models.repeats import CANDIDATE_COLUMNS, SEARCH_MARGIN, find_repeats

CANDIDATES = """SELECT c.case_id, c.received_on, c.category, c.cell_code, ST_X(c.geom) AS lon,
                       ST_Y(c.geom) AS lat, c.summary FROM cases c"""


def _candidates(db: Db, where: str, params: dict[str, object]
                ) -> pd.DataFrame:
    rows = db.execute(text(f"{CANDIDATES} WHERE {where}"), params).all()
    frame = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    frame["lon"] = pd.to_numeric(frame["lon"]).astype(float)
    frame["lat"] = pd.to_numeric(frame["lat"]).astype(float)
    return frame


def _links(cases: pd.DataFrame, rules: RepeatPolicy) -> pd.DataFrame:
    return find_repeats(cases, window_days=rules.window_days, radius_m=rules.radius_m,
                        min_similarity=rules.min_similarity)


def linked_repeats(db: Db, *, rules: RepeatPolicy,
                   until: date | None = None, region_code: str | None = None
                   ) -> pd.DataFrame:
    """Every repeat link among the cases received by `until` (all when None) in the region
    and everything under it (all regions when None): models.repeats.LINK_COLUMNS, one row per
    (later case, earlier case it repeats). A case received by `until` may repeat one from
    outside the region only if that one is in it too: both ends lie in the region."""
    conditions = ["(CAST(:until AS date) IS NULL OR c.received_on <= :until)"]
    params: dict[str, object] = {"until": until}
    if region_code is not None:
        conditions.append(f"c.region_code IN {REGIONS_UNDER}")
        params["region"] = region_code
    return _links(_candidates(db, " AND ".join(conditions), params), rules)


def case_repeats(db: Db, case_id: str, *, rules: RepeatPolicy,
                 scope: Scope = EVERYTHING) -> RepeatLinks:
    """The earlier cases this case repeats, and the later ones that repeat it, among the
    cases the caller may see: a repeat across the scope's edge is not named (it would say
    that a case exists there)."""
    in_scope = scope.holds("c.region_code", "c.cell_code")
    case = db.execute(text("SELECT received_on, category, cell_code, geom FROM cases c"
                           f" WHERE case_id = :id AND {in_scope}"),
                      {"id": case_id, **scope.params}).first()
    if case is None:
        raise UnknownCase(case_id)
    window = timedelta(days=rules.window_days)
    near = _candidates(db, f"""c.category = :category AND {in_scope}
        AND c.received_on BETWEEN :first AND :last
        AND (c.case_id = :id OR c.cell_code = :cell
             OR ST_DWithin(c.geom::geography, CAST(:geom AS geometry)::geography, :radius))""",
                       {**scope.params, "category": case.category,
                        "first": case.received_on - window,
                        "last": case.received_on + window, "id": case_id,
                        "cell": case.cell_code, "geom": case.geom,
                        "radius": rules.radius_m * SEARCH_MARGIN})
    links = _links(near, rules)
    received = near.set_index("case_id")["received_on"]

    def listed(rows: pd.DataFrame, other: str) -> list[RepeatLink]:
        return [RepeatLink(case_id=r[other], received_on=received[r[other]],
                           similarity=float(r["similarity"]), days_apart=int(r["days_apart"]),
                           metres_apart=None if pd.isna(r["metres_apart"])
                           else float(r["metres_apart"]))
                for r in rows.to_dict("records")]

    return RepeatLinks(
        repeats=listed(links.loc[links["case_id"] == case_id], "repeats_case_id"),
        repeated_by=listed(links.loc[links["repeats_case_id"] == case_id], "case_id"))
