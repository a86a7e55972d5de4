"""Backlog campaigns: launching one freezes its case list (the scope rule applied to the
case files as known on the launch day); each case then gets its 包案领导, team, plan and
campaign deadline; progress is the indicator spec's 化解率 over the campaign's own cases and
息诉罢访率 over their closings. Services flush, never commit; every function takes the
caller's scope (a campaign of a region outside it is an unknown campaign)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.campaigns.errors import NotInCampaign, UnknownCampaign
from gridrisk.campaigns.schemas import (
    CampaignCaseIn,
    CampaignCaseOut,
    CampaignIn,
    CampaignOut,
    CampaignProgress,
    GroupProgress,
    PhaseIn,
    PhaseOut,
    ScopeRule,
)
from gridrisk.cases.service import latest_data_on
from gridrisk.db.base import Db, connection_of
from gridrisk.errors import InvalidInput
from gridrisk.policy import CampaignPolicy, Policy
from gridrisk.regions.service import get_region, in_scope
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.reports.indicators import (
    CASE,
    CaseFiles,
    case_figures,
    count,
    day_number,
    kind_code,
    resolved_at,
)
from gridrisk.reports.periods import Period
from gridrisk.reports.schemas import Rate
from gridrisk.reports.sources import load_case_files, region_units
from gridrisk.vocab import (
    COLLECTIVE_PARTIES,
    CampaignPhase,
    Channel,
    EventLevel,
    EventType,
    Indicator,
)

#: the six ones a case on the list needs, and the deadline
SIX_ONES = ("matter", "leader", "team", "plan", "case_file", "deadline")
CAMPAIGN = """SELECT c.id, c.name, c.region_code, r.name AS region_name, c.launched_on, c.rule,
    c.resolution_target, c.no_return_target,
    (SELECT count(*) FROM campaign_cases k WHERE k.campaign_id = c.id) AS n_cases
    FROM campaigns c JOIN regions r ON r.code = c.region_code"""
CAMPAIGN_CASES = """
    SELECT k.ledger_no, k.case_id, s.received_on, s.category, s.summary AS matter, k.leader,
           k.team, k.plan, k.deadline_on, s.responsible_unit, s.region_code,
           v.name AS village, t.name AS township,
           (SELECT count(*) FROM case_events e WHERE e.case_id = k.case_id
              AND NOT EXISTS (SELECT 1 FROM case_events x WHERE x.corrects = e.id)) AS n_events
    FROM campaign_cases k JOIN cases s USING (case_id)
    JOIN regions v ON v.code = s.region_code
    LEFT JOIN regions t ON t.code = v.parent_code
    WHERE k.campaign_id = :id ORDER BY k.ledger_no"""
LEVELS = [level.value for level in EventLevel]


def default_phases(starts_on: date, policy: CampaignPolicy) -> list[PhaseIn]:
    """梳理交办, 集中化解, 巩固提升 one after another, as long as the policy says."""
    phases, start = [], starts_on
    for phase, days in ((CampaignPhase.sorting, policy.sorting_days),
                        (CampaignPhase.resolving, policy.resolving_days),
                        (CampaignPhase.consolidating, policy.consolidating_days)):
        phases.append(PhaseIn(phase=phase, starts_on=start,
                              ends_on=start + timedelta(days=days - 1)))
        start += timedelta(days=days)
    return phases


def matching_cases(files: CaseFiles, details: pd.DataFrame, rule: ScopeRule, day: date
                   ) -> np.ndarray:
    """Positions of the cases the rule takes, from the case files as known at the end of
    `day`."""
    at = files.rows_until(float(day_number(day)))
    received = at >= 0
    row = np.maximum(at, 0)
    taken = received.copy()
    if rule.received_before is not None:
        taken &= files.received < day_number(rule.received_before)
    if not rule.include_settled:
        taken &= files.is_open[row] | (files.last_return[row] > files.last_closing[row])
    known = files.day <= day_number(day)
    classes = []
    if rule.min_acceptances is not None:
        accepted = np.bincount(files.case[known & (files.kind == kind_code(EventType.accepted))],
                               minlength=files.n_cases)
        classes.append(accepted >= rule.min_acceptances)
    if rule.collective:
        classes.append(details["parties"].to_numpy(dtype=float) >= COLLECTIVE_PARTIES)
    if rule.categories:
        classes.append(details["category"].isin([c.value for c in rule.categories])
                       .to_numpy())
    if rule.referred:
        classes.append((details["channel"] == Channel.referral.value).to_numpy())
    if rule.escalated_to is not None:
        high = LEVELS[LEVELS.index(rule.escalated_to.value):]
        rows = known & (files.kind == kind_code(EventType.escalated)) & np.isin(
            files.level.astype(str), high)
        escalated = np.zeros(files.n_cases, dtype=bool)
        escalated[files.case[rows]] = True
        classes.append(escalated)
    if classes:
        combined = np.logical_and.reduce(classes) if rule.match == "all" else (
            np.logical_or.reduce(classes))
        taken &= combined
    return np.flatnonzero(taken)


def create_campaign(db: Db, campaign: CampaignIn, *, scope: Scope = EVERYTHING, policy: Policy,
                    timezone: str) -> CampaignOut:
    """Launch: store the plan and freeze its case list, numbered in the ledger by case id."""
    get_region(db, campaign.region_code, scope=scope)
    today = datetime.now(ZoneInfo(timezone)).date()
    launched_on = campaign.launched_on or latest_data_on(connection_of(db), timezone=timezone
                                                         ) or today
    if launched_on > today:
        raise InvalidInput("launched_on", f"{launched_on} is in the future")
    phases = campaign.phases or default_phases(campaign.starts_on, policy.campaigns)  # type: ignore[arg-type]
    units = region_units(db, campaign.region_code, None)
    files, details = load_case_files(db, units, timezone=timezone, deadlines=policy.deadlines,
                                     details=True)
    assert details is not None
    chosen = matching_cases(files, details, campaign.rule, launched_on)
    case_ids = sorted(files.case_ids[chosen].tolist())
    campaign_id = db.execute(text("""
        INSERT INTO campaigns (name, region_code, launched_on, rule, resolution_target,
                               no_return_target)
        VALUES (:name, :region, :launched_on, CAST(:rule AS jsonb), :resolution, :no_return)
        RETURNING id"""), {
        "name": campaign.name, "region": campaign.region_code, "launched_on": launched_on,
        "rule": json.dumps(campaign.rule.model_dump(mode="json")),
        "resolution": campaign.resolution_target if campaign.resolution_target is not None
        else policy.campaigns.resolution_target,
        "no_return": campaign.no_return_target if campaign.no_return_target is not None
        else policy.campaigns.no_return_target}).scalar_one()
    db.execute(text("INSERT INTO campaign_phases (campaign_id, phase, starts_on, ends_on) "
                    "VALUES (:id, :phase, :starts_on, :ends_on)"),
               [{"id": campaign_id, "phase": p.phase.value, "starts_on": p.starts_on,
                 "ends_on": p.ends_on} for p in phases])
    if case_ids:
        db.execute(text("INSERT INTO campaign_cases (campaign_id, case_id, ledger_no) "
                        "SELECT :id, case_id, n FROM unnest(CAST(:ids AS text[])) "
                        "WITH ORDINALITY AS t(case_id, n)"), {"id": campaign_id,
                                                              "ids": case_ids})
    return get_campaign(db, campaign_id, scope=scope)


def get_campaign(db: Db, campaign_id: int, *, scope: Scope = EVERYTHING) -> CampaignOut:
    row = db.execute(text(CAMPAIGN + " WHERE c.id = :id"), {"id": campaign_id}
                     ).mappings().first()
    if row is None or not in_scope(db, row["region_code"], scope):
        raise UnknownCampaign(campaign_id)
    return _campaign_out(db, dict(row))


def list_campaigns(db: Db, *, region_code: str | None, scope: Scope = EVERYTHING
                   ) -> list[CampaignOut]:
    """The campaigns of a region and of the regions under it (all when None), newest first;
    only those the caller may see."""
    where, params = "TRUE", {}
    if region_code:
        get_region(db, region_code, scope=scope)
        where, params = f"c.region_code IN {REGIONS_UNDER}", {"region": region_code}
    rows = db.execute(text(f"{CAMPAIGN} WHERE {where} ORDER BY c.launched_on DESC, c.id DESC"),
                      params).mappings().all()
    return [_campaign_out(db, dict(r)) for r in rows
            if in_scope(db, r["region_code"], scope)]


def _campaign_out(db: Db, row: dict) -> CampaignOut:  # type: ignore[type-arg]
    phases = db.execute(text("SELECT phase, starts_on, ends_on FROM campaign_phases WHERE "
                             "campaign_id = :id ORDER BY starts_on"), {"id": row["id"]}
                        ).mappings().all()
    return CampaignOut(**{**row, "rule": ScopeRule(**row["rule"])},
                       phases=[PhaseOut(**p) for p in phases])


def set_campaign_case(db: Db, campaign_id: int, case_id: str, change: CampaignCaseIn, *,
                      scope: Scope = EVERYTHING) -> CampaignCaseOut:
    """A case's 包案领导, team, plan and deadline (only the fields given)."""
    get_campaign(db, campaign_id, scope=scope)
    given = change.model_dump(exclude_unset=True)
    values = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in given.items()}
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    updated = db.execute(text(
        f"UPDATE campaign_cases SET {assignments + ', ' if assignments else ''}"
        "updated_at = now() WHERE campaign_id = :id AND case_id = :case RETURNING case_id"),
        {**values, "id": campaign_id, "case": case_id}).scalar()
    if updated is None:
        raise NotInCampaign(campaign_id, case_id)
    return next(c for c in campaign_cases(db, campaign_id, scope=scope)
                if c.case_id == case_id)


def campaign_cases(db: Db, campaign_id: int, *, scope: Scope = EVERYTHING,
                   resolved: set[str] | None = None) -> list[CampaignCaseOut]:
    """The frozen list in ledger order with each case's six ones and what it lacks."""
    get_campaign(db, campaign_id, scope=scope)
    rows = db.execute(text(CAMPAIGN_CASES), {"id": campaign_id}).mappings().all()
    out = []
    for row in rows:
        facts = {"matter": row["matter"], "leader": row["leader"], "team": row["team"],
                 "plan": row["plan"], "case_file": row["n_events"] or None,
                 "deadline": row["deadline_on"]}
        out.append(CampaignCaseOut(
            **{k: row[k] for k in ("ledger_no", "case_id", "received_on", "category",
                                   "matter", "leader", "team", "plan", "deadline_on",
                                   "responsible_unit", "n_events", "village")},
            township=row["township"] or "", resolved=bool(resolved and row["case_id"]
                                                          in resolved),
            missing=[k for k in SIX_ONES if not facts[k]]))
    return out


def campaign_progress(db: Db, campaign_id: int, *, as_of: date | None, scope: Scope = EVERYTHING,
                      policy: Policy, timezone: str) -> CampaignProgress:
    """Progress on `as_of` (default: the data's latest day, not before the launch)."""
    campaign = get_campaign(db, campaign_id, scope=scope)
    day = as_of or latest_data_on(connection_of(db), timezone=timezone) or campaign.launched_on
    if day < campaign.launched_on:
        raise InvalidInput("as_of", f"{day} is before the campaign was launched on "
                           f"{campaign.launched_on}")
    level = get_region(db, campaign.region_code).level
    by = {"county": "township", "township": "village"}.get(level)
    units = region_units(db, campaign.region_code, by)
    files, _ = load_case_files(db, units, timezone=timezone, deadlines=policy.deadlines)
    listed = campaign_cases(db, campaign_id, scope=scope)
    on_list = pd.Index(files.case_ids).get_indexer([c.case_id for c in listed])
    resolved_cases = resolved_at(files, files.rows_until(float(day_number(day))))
    resolved = {c.case_id for c, i in zip(listed, on_list, strict=True) if resolved_cases[i]}
    listed = campaign_cases(db, campaign_id, scope=scope, resolved=resolved)
    leaders = sorted({c.leader or "" for c in listed})
    leader_of = {c.case_id: leaders.index(c.leader or "") for c in listed}
    groups = {
        "unit": np.full(files.n_cases, -1), "leader": np.full(files.n_cases, -1),
        "all": np.full(files.n_cases, -1)}
    groups["unit"][on_list] = files.case_unit[on_list]
    groups["leader"][on_list] = [leader_of[c.case_id] for c in listed]
    groups["all"][on_list] = 0
    window = Period(campaign.launched_on, day, "days")
    no_return = case_figures(files, window.first, window.last,
                             window_days=policy.indicators.follow_up_window_days,
                             only=[Indicator.no_return])

    def progress(group: np.ndarray, n: int) -> list[tuple[Rate, Rate, int]]:
        counted = count(no_return, groups={CASE: group}, n_groups=n)
        on = group >= 0
        listed_n = np.bincount(group[on], minlength=n)
        resolved_n = np.bincount(group[on & resolved_cases], minlength=n)
        return [(Rate(numerator=int(r), denominator=int(d), rate=r / d if d else None),
                 Rate(numerator=int(nr), denominator=int(dr), rate=nr / dr if dr else None),
                 int(d - r))
                for r, d, nr, dr in zip(resolved_n, listed_n, counted["no_return.n"],
                                        counted["no_return.d"], strict=True)]

    (resolution, returns, remaining), = progress(groups["all"], 1)
    by_unit = [GroupProgress(name=units.names[code], resolution=a, no_return=b, remaining=c)
               for code, (a, b, c) in zip(units.codes, progress(groups["unit"],
                                                                len(units.codes)),
                                          strict=True) if a.denominator]
    by_leader = [GroupProgress(name=name or "（未定）", resolution=a, no_return=b, remaining=c)
                 for name, (a, b, c) in zip(leaders, progress(groups["leader"],
                                                              len(leaders)), strict=True)]
    phase = next((p.phase for p in campaign.phases if p.starts_on <= day <= p.ends_on), None)
    return CampaignProgress(
        campaign=campaign, as_of=day, phase=phase, resolution=resolution, no_return=returns,
        remaining=remaining,
        resolution_met=None if resolution.rate is None else
        resolution.rate >= campaign.resolution_target,
        no_return_met=None if returns.rate is None else
        returns.rate >= campaign.no_return_target,
        by_township=by_unit, by_leader=by_leader,
        incomplete=[c for c in listed if c.missing],
        past_deadline=[c for c in listed if not c.resolved and c.deadline_on is not None
                       and c.deadline_on < day])

