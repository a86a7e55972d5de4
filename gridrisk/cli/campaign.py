"""gridrisk campaign create|list|show|assign|report: backlog campaigns (信访积案化解专项行动)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from gridrisk.cli.common import console, engine, parse_day, settings
from gridrisk.cli.words import say
from gridrisk.errors import InvalidInput
from gridrisk.policy import load_policy
from gridrisk.vocab import labels

if TYPE_CHECKING:
    from gridrisk.campaigns.schemas import CampaignProgress

app = typer.Typer(no_args_is_help=True, help=say(
    "信访积案化解专项行动：发起、包案、进展",
    "Backlog campaigns (信访积案化解专项行动): launch, assign leaders, progress"))
CampaignId = Annotated[int, typer.Argument(help=say("专项行动编号", "campaign id"))]
AsOf = Annotated[str | None, typer.Option(help=say(
    "统计日（默认：数据的最新一天）", "the day to count at (default: the data's latest day)"))]


@app.command(help=say("发起专项行动：按范围规则冻结其事项清单。",
                      "Launch a campaign: its case list is frozen from the scope rule."))
def create(
    name: Annotated[str, typer.Option(help=say("名称", "name"))],
    region: Annotated[str, typer.Option(help=say("区域代码", "region code"))],
    start: Annotated[str, typer.Option(help=say(
        "开始日期；三个阶段按策略文件的天数排下去",
        "first day; the three phases follow by the policy file's days"))],
    received_before: Annotated[str | None, typer.Option(help=say(
        "只要此日前登记的事项", "only cases received before this day"))] = None,
    include_settled: Annotated[bool, typer.Option("--include-settled", help=say(
        "也要已办结且未再信访的事项", "also cases closed and not returned"))] = False,
    min_acceptances: Annotated[int | None, typer.Option(help=say(
        "受理次数不少于（多次办理）", "accepted at least this many times"))] = None,
    collective: Annotated[bool, typer.Option("--collective", help=say(
        "集体访（5 人及以上）", "collective petitions (5 people or more)"))] = False,
    category: Annotated[list[str] | None, typer.Option(help=say(
        "类别代码，可重复", "category code; repeat for more"))] = None,
    referred: Annotated[bool, typer.Option("--referred", help=say(
        "上级交办", "referred from above"))] = False,
    escalated_to: Annotated[str | None, typer.Option(help=say(
        "越级到该层级或更高：county、city、province、national",
        "escalated to this level or higher: county, city, province, national"))] = None,
    match: Annotated[str, typer.Option(help=say(
        "any：符合任一类；all：全部符合", "any: one of the rules; all: every rule"))] = "any",
    launched_on: Annotated[str | None, typer.Option(help=say(
        "冻结清单的日期（默认：数据的最新一天）",
        "the day the list is frozen (default: the data's latest day)"))] = None,
) -> None:
    from gridrisk.campaigns import service
    from gridrisk.campaigns.schemas import CampaignIn

    config = settings()
    # validated from plain values, as the API's JSON is: the codes become the vocabulary's
    plan = CampaignIn.model_validate({
        "name": name, "region_code": region, "starts_on": parse_day(start, "start"),
        "launched_on": parse_day(launched_on, "launched_on"),
        "rule": {"received_before": parse_day(received_before, "received_before"),
                 "include_settled": include_settled, "min_acceptances": min_acceptances,
                 "collective": collective, "categories": category or [],
                 "referred": referred, "escalated_to": escalated_to, "match": match}})
    with engine().begin() as conn:
        campaign = service.create_campaign(conn, plan, policy=load_policy(config.policy_file),
                                           timezone=config.timezone)
    console.print(f"专项行动 [bold]{campaign.id}[/]「{campaign.name}」已发起：清单冻结于 "
                  f"{campaign.launched_on}，共 {campaign.n_cases} 件事项。")
    names = labels("zh")["phase"]
    for phase in campaign.phases:
        console.print(f"  {names[phase.phase]}：{phase.starts_on} 至 {phase.ends_on}")
    console.print(f"包案：gridrisk campaign assign {campaign.id} 事项编号 --leader … --team … "
                  "--plan … --deadline …")


@app.command("list", help=say("专项行动，最新的在前。", "The campaigns, newest first."))
def list_(region: Annotated[str | None, typer.Option(help=say("区域代码", "region code"))]
          = None) -> None:
    from gridrisk.campaigns import service

    with engine().connect() as conn:
        found = service.list_campaigns(conn, region_code=region)
    table = Table(title="专项行动")
    for column in ("编号", "名称", "区域", "发起", "事项"):
        table.add_column(column)
    for c in found:
        table.add_row(str(c.id), c.name, c.region_name, str(c.launched_on), str(c.n_cases))
    console.print(table)


@app.command(help=say("清零进展：化解率与息诉罢访率对照目标，分单位、分包案领导，以及尚待办理的。",
                      "Progress to zero: 化解率 and 息诉罢访率 against the targets, by unit "
                      "and by 包案领导, and what still needs doing."))
def show(campaign: CampaignId, as_of: AsOf = None) -> None:
    from gridrisk.campaigns import service

    config = settings()
    with engine().connect() as conn:
        progress = service.campaign_progress(conn, campaign, as_of=parse_day(as_of, "as_of"),
                                             policy=load_policy(
                                                 config.policy_file), timezone=config.timezone)
    show_progress(progress)


def show_progress(progress: CampaignProgress) -> None:
    c = progress.campaign
    phase = labels("zh")["phase"][progress.phase] if progress.phase else "不在行动阶段内"
    console.print(f"[bold]{c.name}[/]（编号 {c.id}，{c.region_name}），截至 {progress.as_of}，"
                  f"{phase}")
    console.print(f"化解率 {progress.resolution.percent()}（{progress.resolution.numerator}/"
                  f"{progress.resolution.denominator}，目标 ≥ {c.resolution_target:.0%}），"
                  f"息诉罢访率 {progress.no_return.percent()}（{progress.no_return.numerator}/"
                  f"{progress.no_return.denominator}，目标 ≥ {c.no_return_target:.0%}），"
                  f"尚余 {progress.remaining} 件")
    for title, groups in (("分单位", progress.by_township), ("分包案领导", progress.by_leader)):
        table = Table(title=title)
        for column in ("", "化解率", "息诉罢访率", "未化解"):
            table.add_column(column, justify="left" if not column else "right")
        for g in groups:
            table.add_row(g.name, f"{g.resolution.percent()} ({g.resolution.numerator}/"
                          f"{g.resolution.denominator})", g.no_return.percent(),
                          str(g.remaining))
        console.print(table)
    six = {"matter": "事项", "leader": "包案领导", "team": "专班", "plan": "方案",
           "case_file": "卷宗", "deadline": "期限"}
    console.print(f"“六个一”不全：{len(progress.incomplete)} 件" + "".join(
        f"\n  {x.case_id}：缺{'、'.join(six[m] for m in x.missing)}"
        for x in progress.incomplete[:20]))
    console.print(f"超过化解期限未化解：{len(progress.past_deadline)} 件" + "".join(
        f"\n  {x.case_id}（期限 {x.deadline_on}，{x.leader or '未定包案领导'}）"
        for x in progress.past_deadline[:20]))


@app.command(help=say("设置事项的包案领导、工作专班、化解方案与化解期限（只改给出的）。",
                      "Set a case's 包案领导, team, plan and campaign deadline (only those "
                      "given)."))
def assign(
    campaign: CampaignId,
    case: Annotated[str, typer.Argument(help=say("事项编号", "case id"))],
    leader: Annotated[str | None, typer.Option(help=say("包案领导", "the leader in charge"))]
    = None,
    team: Annotated[str | None, typer.Option(help=say("工作专班", "the working team"))] = None,
    plan: Annotated[str | None, typer.Option(help=say("化解方案", "the resolution plan"))]
    = None,
    deadline: Annotated[str | None, typer.Option(help=say(
        "化解期限（日期）", "the day it must be resolved by"))] = None,
) -> None:
    from gridrisk.campaigns import service
    from gridrisk.campaigns.schemas import CampaignCaseIn

    given: dict[str, object] = {k: v for k, v in (("leader", leader), ("team", team),
                                                  ("plan", plan)) if v is not None}
    if deadline is not None:
        given["deadline_on"] = parse_day(deadline, "deadline")
    if not given:
        raise InvalidInput("leader", "give at least one of --leader, --team, --plan, "
                           "--deadline")
    with engine().begin() as conn:
        done = service.set_campaign_case(conn, campaign, case, CampaignCaseIn.model_validate(given))
    console.print(f"{done.case_id}（台账 {done.ledger_no}）：包案领导 {done.leader or '—'}，"
                  f"专班 {done.team or '—'}，期限 {done.deadline_on or '—'}"
                  + (f"；仍缺 {len(done.missing)} 项" if done.missing else ""))


@app.command(help=say("专项行动进展报告：HTML、PDF 与 XLSX。",
                      "The campaign's progress report as HTML, PDF and XLSX."))
def report(
    campaign: CampaignId,
    out: Annotated[Path, typer.Option("--out", help=say("写入的文件夹", "the folder to write"))],
    as_of: AsOf = None,
    formats: Annotated[str, typer.Option("--format", help=say(
        "html、pdf、xlsx，逗号分隔", "html, pdf, xlsx, comma-separated"))] = "html,pdf,xlsx",
    lang: Annotated[str, typer.Option(help=say("zh 或 en", "zh or en"))] = "zh",
) -> None:
    from gridrisk.campaigns import service
    from gridrisk.campaigns.report import campaign_document
    from gridrisk.reports.render import FORMATS, write_files

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    if not wanted or any(f not in FORMATS for f in wanted):
        raise InvalidInput("format", f"'{formats}': give some of {', '.join(FORMATS)}")
    config = settings()
    with engine().connect() as conn:
        progress = service.campaign_progress(conn, campaign, as_of=parse_day(as_of, "as_of"),
                                             policy=load_policy(
                                                 config.policy_file), timezone=config.timezone)
    doc = campaign_document(progress, lang=lang,
                            today=datetime.now(ZoneInfo(config.timezone)).date())
    for path in write_files(doc, out, wanted):
        console.print(f"  {path}")
