"""The case ledger (台账): one row per case with its six ones (六个一: the matter, the
responsible official, the team, the ledger entry, the resolution plan, the case file), its
responsible unit, deadline, state, days left or overdue, and last event. Cases are chosen with
the case list's own filters (cases.service.list_cases, as GET /cases), so the ledger and the
list never disagree. The team, plan and ledger number come from the case's campaign (the
latest one it is on, or the one asked for). No complainant detail is read: there is none in
cases, and the contacts table is never touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.campaigns.service import get_campaign
from gridrisk.cases.service import list_cases
from gridrisk.db.base import Db
from gridrisk.policy import DeadlinePolicy
from gridrisk.regions.service import get_region
from gridrisk.reports.documents import Column, Document, Section, Table
from gridrisk.vocab import labels

#: the filters of GET /cases
FILTERS = ("region", "cell", "category", "state", "overdue", "due_within_days",
           "responsible_unit")
HEADERS = {
    "zh": {"ledger_no": "台账编号", "case_id": "事项编号", "received_on": "登记日期",
           "township": "乡镇（街道）", "village": "村（社区）", "category": "类别",
           "matter": "信访事项", "leader": "包案领导", "team": "工作专班", "plan": "化解方案",
           "case_file": "卷宗（条）", "responsible_unit": "责任单位",
           "deadline": "办理期限", "campaign_deadline": "化解期限", "state": "状态",
           "days_left": "剩余天数（负数为超期）", "last_event": "最近办理",
           "last_event_on": "最近办理日期",
           "title": "{region}信访事项台账", "open": "办理中", "closed": "已办结",
           "note": "六个一：一个信访事项、一名包案领导、一套工作专班、一本台账、一个化解方案、"
                   "一本卷宗。剩余天数为负即已超期。"},
    "en": {"ledger_no": "Ledger no.", "case_id": "Case", "received_on": "Received on",
           "township": "Township", "village": "Village", "category": "Category",
           "matter": "Matter", "leader": "Responsible official", "team": "Team",
           "plan": "Resolution plan", "case_file": "Case file (entries)",
           "responsible_unit": "Responsible unit", "deadline": "Deadline",
           "campaign_deadline": "Campaign deadline", "state": "State",
           "days_left": "Days left (negative: overdue)", "last_event": "Last event",
           "last_event_on": "Last event on", "title": "{region}: case ledger",
           "open": "open", "closed": "closed",
           "note": "The six ones: one matter, one responsible official, one team, one ledger "
                   "entry, one resolution plan, one case file. Negative days left: overdue."},
}
CAMPAIGN_FACTS = """
    SELECT DISTINCT ON (k.case_id) k.case_id, k.campaign_id, k.ledger_no, k.leader, k.team,
           k.plan, k.deadline_on
    FROM campaign_cases k WHERE k.case_id = ANY(:ids)
      AND (CAST(:campaign AS integer) IS NULL OR k.campaign_id = :campaign)
    ORDER BY k.case_id, k.campaign_id DESC"""
FILE_FACTS = """
    SELECT DISTINCT ON (e.case_id) e.case_id, e.type, (e.at AT TIME ZONE :tz)::date AS on_day,
           count(*) OVER (PARTITION BY e.case_id) AS n_events
    FROM case_events e WHERE e.case_id = ANY(:ids)
      AND NOT EXISTS (SELECT 1 FROM case_events c WHERE c.corrects = e.id)
    ORDER BY e.case_id, on_day DESC, e.id DESC"""
PLACES = """
    SELECT v.code, v.name AS village, t.name AS township FROM regions v
    LEFT JOIN regions t ON t.code = v.parent_code WHERE v.code = ANY(:codes)"""


@dataclass(frozen=True)
class LedgerFilters:
    region: str | None = None
    cell: str | None = None
    category: str | None = None
    state: str | None = None
    overdue: bool | None = None
    due_within_days: int | None = None
    responsible_unit: str | None = None
    campaign: int | None = None


def ledger(db: Db, filters: LedgerFilters, *, scope: Scope = EVERYTHING,
           policy: DeadlinePolicy, timezone: str, lang: str, today: date) -> Document:
    """The ledger of the cases the filters choose, as a one-table Document (render.to_xlsx
    writes it with a frozen header, fitting widths and Excel dates)."""
    words, names = HEADERS[lang], labels(lang)
    campaign = get_campaign(db, filters.campaign, scope=scope) if filters.campaign else None
    region = filters.region or (campaign.region_code if campaign else None)
    if region is not None:
        get_region(db, region, scope=scope)
    cases = list_cases(db, policy=policy, timezone=timezone, region=region,
                       cell=filters.cell, category=filters.category, state=filters.state,
                       overdue=filters.overdue, due_within_days=filters.due_within_days,
                       responsible_unit=filters.responsible_unit, limit=10**9,
                       scope=scope).items
    ids = [c.case_id for c in cases]
    extra = {r.case_id: r for r in db.execute(text(CAMPAIGN_FACTS), {
        "ids": ids, "campaign": filters.campaign})}
    if campaign is not None:
        cases = [c for c in cases if c.case_id in extra]
    files = {r.case_id: r for r in db.execute(text(FILE_FACTS), {"ids": ids, "tz": timezone})}
    places = {r.code: r for r in db.execute(text(PLACES), {"codes": sorted(
        {c.region_code for c in cases})})}
    rows = []
    for case in sorted(cases, key=lambda c: (c.received_on, c.case_id)):
        on, file, place = extra.get(case.case_id), files.get(case.case_id), places.get(
            case.region_code)
        state = case.state
        deadline = (state.handle_by if state.accepted_on else state.accept_by) if (
            state.is_open) else None
        closure = names["closure"].get(state.closure_type or "", "")
        status = words["open"] if state.is_open else (
            f"{words['closed']}（{closure}）" if lang == "zh" else
            f"{words['closed']} ({closure})")
        rows.append({
            "ledger_no": on.ledger_no if on else None, "case_id": case.case_id,
            "received_on": case.received_on,
            "township": place.township if place else "",
            "village": place.village if place else "",
            "category": names["category"][case.category], "matter": case.summary,
            "leader": (on.leader if on and on.leader else case.responsible_official),
            "team": on.team if on else None, "plan": on.plan if on else None,
            "case_file": file.n_events if file else 0,
            "responsible_unit": case.responsible_unit, "deadline": deadline,
            "campaign_deadline": on.deadline_on if on else None, "state": status,
            "days_left": state.days_left,
            "last_event": names["event"].get(file.type, file.type) if file else "",
            "last_event_on": file.on_day if file else None})
    kinds = {"ledger_no": "int", "received_on": "date", "case_file": "int",
             "deadline": "date", "campaign_deadline": "date", "days_left": "int",
             "last_event_on": "date"}
    columns = [Column(key, words[key], kinds.get(key, "text")) for key in (
        "ledger_no", "case_id", "received_on", "township", "village", "category", "matter",
        "leader", "team", "plan", "case_file", "responsible_unit", "deadline",
        "campaign_deadline", "state", "days_left", "last_event", "last_event_on")]
    region_name = (campaign.region_name if campaign else get_region(
        db, region, scope=scope).name if region else "")
    title = words["title"].format(region=campaign.name if campaign else region_name)
    return Document(kind="ledger", title=title, region_code=(
        campaign.region_code if campaign else region or "all"), region_name=region_name,
        period=None, generated_on=today, lang=lang, note=words["note"],
        sections=[Section(words["title"].format(region=""), tables=[Table(
            "ledger", "", columns, rows)])])
