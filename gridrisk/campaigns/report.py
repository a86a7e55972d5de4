"""A campaign's progress report as a Document (render.py writes HTML, PDF and XLSX): the
figures against its targets, by township and by 包案领导, the cases missing any of the six
ones and the cases past their campaign deadline (the whole list: the ledger, GET
/ledger.xlsx?campaign=…)."""

from __future__ import annotations

from datetime import date

from gridrisk.campaigns.schemas import CampaignCaseOut, CampaignProgress, GroupProgress
from gridrisk.reports.documents import Column, Document, Section, Table
from gridrisk.reports.periods import Period
from gridrisk.vocab import labels

TEXT: dict[str, dict[str, str]] = {
    "zh": {"title": "{name}进展（截至 {day}）", "overview": "总体进展",
           "by_township": "分单位进展", "by_leader": "分包案领导进展",
           "incomplete": "“六个一”不全的事项", "past_deadline": "超过化解期限未化解的事项",
"figure": "指标", "target": "目标", "value": "实际",
           "status": "达标情况", "met": "达标", "missed": "未达标", "name": "单位",
           "leader_name": "包案领导", "remaining": "未化解", "ledger_no": "台账编号",
           "case": "事项", "area": "乡镇（街道）", "village": "村（社区）", "matter": "信访事项",
           "leader": "包案领导", "team": "工作专班", "plan": "化解方案", "deadline": "化解期限",
           "n_events": "卷宗（条）", "resolved": "已化解", "missing": "缺少", "yes": "是",
           "no": "否",
           "phase": "当前阶段：{phase}；事项 {n} 件，已化解 {done} 件，剩余 {left} 件。",
           "no_phase": "不在行动阶段内", "resolution": "化解率", "no_return": "息诉罢访率",
           "note": "化解率 = 已办结且办结后未再信访的清单事项 ÷ 清单事项（发起时冻结）；息诉罢访率 "
                   "= 回访期在发起日至统计日之间结束、期内未再信访的办结 ÷ 这些办结。",
           "none": "无。"},
    "en": {"title": "{name}: progress as of {day}", "overview": "Overall",
           "by_township": "By unit", "by_leader": "By responsible official",
           "incomplete": "Cases missing any of the six ones",
           "past_deadline": "Unresolved cases past their campaign deadline",
"figure": "Figure", "target": "Target",
           "value": "Actual", "status": "Status", "met": "met", "missed": "missed",
           "name": "Unit", "leader_name": "Responsible official", "remaining": "Unresolved",
           "ledger_no": "Ledger no.", "case": "Case", "area": "Township", "village": "Village",
           "matter": "Matter", "leader": "Responsible official", "team": "Team",
           "plan": "Plan", "deadline": "Campaign deadline", "n_events": "Case file (entries)",
           "resolved": "Resolved", "missing": "Missing", "yes": "yes", "no": "no",
           "phase": "Phase: {phase}; {n} cases, {done} resolved, {left} to go.",
           "no_phase": "outside the campaign's phases", "resolution": "Resolution rate",
           "no_return": "No return after closing",
           "note": "Resolution rate = listed cases closed and not returned since ÷ listed "
                   "cases (frozen at launch); no return = closings whose window ended between "
                   "launch and the report day with no return in it ÷ those closings.",
           "none": "None."},
}

#: the six ones (六个一) a listed case must have, by the names CampaignCaseOut.missing uses
SIX_ONES: dict[str, dict[str, str]] = {
    "zh": {"matter": "信访事项", "leader": "包案领导", "team": "工作专班", "plan": "化解方案",
           "case_file": "卷宗", "deadline": "化解期限"},
    "en": {"matter": "matter", "leader": "official", "team": "team", "plan": "plan",
           "case_file": "case file", "deadline": "deadline"},
}


def campaign_document(progress: CampaignProgress, *, lang: str, today: date) -> Document:
    t, names = TEXT[lang], labels(lang)
    campaign = progress.campaign
    phase = names["phase"][progress.phase] if progress.phase else t["no_phase"]
    listed = progress.resolution.denominator
    overview_rows = []
    for key, rate, target, met in (
            ("resolution", progress.resolution, campaign.resolution_target,
             progress.resolution_met),
            ("no_return", progress.no_return, campaign.no_return_target,
             progress.no_return_met)):
        overview_rows.append({"figure": t[key], "target": f"≥ {target:.0%}", "value": rate,
                              "status": "—" if met is None else t["met" if met else "missed"]})

    def groups(key: str, found: list[GroupProgress], title: str) -> Table:
        return Table(key, "", [Column("name", title), Column("resolution", t["resolution"],
                                                              "rate"),
                               Column("no_return", t["no_return"], "rate"),
                               Column("remaining", t["remaining"], "int")],
                     [g.model_dump() | {"resolution": g.resolution, "no_return": g.no_return}
                      for g in found], empty=t["none"])

    def cases(key: str, found: list[CampaignCaseOut]) -> Table:
        return Table(key, "", [
            Column("ledger_no", t["ledger_no"], "int"), Column("case", t["case"]),
            Column("area", t["area"]), Column("village", t["village"]),
            Column("matter", t["matter"]), Column("leader", t["leader"]),
            Column("team", t["team"]), Column("plan", t["plan"]),
            Column("deadline", t["deadline"], "date"), Column("n_events", t["n_events"], "int"),
            Column("resolved", t["resolved"]), Column("missing", t["missing"])],
            [{"ledger_no": c.ledger_no, "case": c.case_id, "area": c.township,
              "village": c.village, "matter": c.matter, "leader": c.leader, "team": c.team,
              "plan": c.plan, "deadline": c.deadline_on, "n_events": c.n_events,
              "resolved": t["yes" if c.resolved else "no"],
              "missing": "、".join(SIX_ONES[lang][m] for m in c.missing)} for c in found],
            empty=t["none"])

    first = min((p.starts_on for p in campaign.phases), default=campaign.launched_on)
    last = max((p.ends_on for p in campaign.phases), default=progress.as_of)
    return Document(
        kind="campaign", title=t["title"].format(name=campaign.name, day=progress.as_of),
        region_code=f"{campaign.region_code}-{campaign.id}", region_name=campaign.region_name,
        period=Period(min(first, campaign.launched_on), max(last, progress.as_of), "days"),
        generated_on=today, lang=lang, note=t["note"], sections=[
            Section(t["overview"], lines=[t["phase"].format(
                phase=phase, n=listed, done=progress.resolution.numerator,
                left=progress.remaining)], tables=[Table("overview", "", [
                    Column("figure", t["figure"]), Column("target", t["target"]),
                    Column("value", t["value"], "rate"), Column("status", t["status"])],
                    overview_rows)]),
            Section(t["by_township"], tables=[groups("by_township", progress.by_township,
                                                     t["name"])]),
            Section(t["by_leader"], tables=[groups("by_leader", progress.by_leader,
                                                   t["leader_name"])]),
            Section(t["incomplete"], tables=[cases("incomplete", progress.incomplete)]),
            Section(t["past_deadline"], tables=[cases("past_deadline",
                                                      progress.past_deadline)]),
        ])
