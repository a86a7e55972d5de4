"""gridrisk indicators / report / ledger: the figures planners are judged on, the period
reports and the case ledger."""

from __future__ import annotations

import json
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
from gridrisk.vocab import LANGS, Indicator, labels

if TYPE_CHECKING:
    from gridrisk.reports.periods import Period
    from gridrisk.reports.schemas import Figures

Region = Annotated[str, typer.Option("--region", help=say("区域代码", "region code"))]
PeriodOption = Annotated[str | None, typer.Option("--period", help=say(
    "时段：2026-W44（周）、2026-10（月）、2026-Q3（季）、2026（年）",
    "period: 2026-W44 (week), 2026-10 (month), 2026-Q3 (quarter), 2026 (year)"))]
From = Annotated[str | None, typer.Option("--from", help=say(
    "起始日期（与 --to 一起代替 --period）", "first day (with --to, instead of --period)"))]
To = Annotated[str | None, typer.Option("--to", help=say("截止日期（含）", "last day, inclusive"))]
Lang = Annotated[str, typer.Option(help=say("zh 或 en", "zh or en"))]


def register(app: typer.Typer) -> None:
    app.command("indicators", help=say(
        "一个区域在一个时段的指标（docs/indicators.md），每项附分子与分母。",
        "A region's indicators for a period (docs/indicators.md), each with its numerator "
        "and denominator."))(indicators_command)
    app.command("report", help=say(
        "时段报告：HTML、PDF 与 XLSX 文件，表格相同。",
        "A period report as HTML, PDF and XLSX files with the same tables."))(report_command)
    app.command("ledger", help=say(
        "事项台账（XLSX）：每件事项一行，附其“六个一”；筛选条件同 GET /cases。",
        "The case ledger (台账) as XLSX: one row per case with its six ones; the filters of "
        "GET /cases."))(ledger_command)


def period_option(period: str | None, first: str | None, last: str | None) -> Period:
    from gridrisk.reports.periods import parse_period

    return parse_period(period, first=parse_day(first, "from"), last=parse_day(last, "to"))


def indicators_command(
    region: Region,
    period: PeriodOption = None,
    first: From = None,
    last: To = None,
    by: Annotated[str | None, typer.Option(help=say(
        "township（按乡镇）或 village（按村社区）",
        "township (by township) or village (by village or community)"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=say(
        "JSON，如指标规范所述", "JSON, as the indicators' specification describes"))] = False,
) -> None:
    from gridrisk.reports.service import indicators

    config = settings()
    with engine().connect() as conn:
        found = indicators(conn, region_code=region, period=period_option(period, first, last),
                           by=by, policy=load_policy(config.policy_file),
                           timezone=config.timezone)
    if as_json:
        print(json.dumps(found.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    names = labels("zh")["indicator"]
    title = f"{found.region.name}（{found.region.code}）{found.period.label} 指标"
    if not found.units:
        table = Table(title=title)
        for column in ("指标", "数值", "分子", "分母"):
            table.add_column(column, justify="left" if column == "指标" else "right")
        for code in Indicator:
            table.add_row(names[code], *cells(found.figures, code))
        console.print(table)
        return
    table = Table(title=title)
    table.add_column("区域")
    for code in Indicator:
        table.add_column(names[code], justify="right", overflow="fold")
    for unit in found.units:
        table.add_row(unit.name, *(shown(unit.figures, code) for code in Indicator))
    table.add_row("合计", *(shown(found.figures, code) for code in Indicator), style="bold")
    console.print(table)
    console.print(f"[dim]时段 {found.period.first} 至 {found.period.last}；回访期 "
                  f"{found.follow_up_window_days} 天；各项分子、分母：不带 --by，或 --json[/]")


def cells(figures: Figures, code: Indicator) -> tuple[str, str, str]:
    """A figure as value, numerator and denominator."""
    from gridrisk.reports.schemas import Rate

    figure = getattr(figures, code)
    if isinstance(figure, Rate):
        return figure.percent(), str(figure.numerator), str(figure.denominator)
    if code == Indicator.days_to_close:
        mean = "—" if figure.rate is None else f"{figure.rate:.1f} 天"
        return mean, str(figure.numerator), str(figure.denominator)
    if code == Indicator.escalations:
        per = "—" if figure.per_1000 is None else f"{figure.per_1000:.1f}‰"
        return f"{figure.count}（{per}）", str(figure.count), str(figure.open_cases)
    return str(figure.count), "", ""


def shown(figures: Figures, code: Indicator) -> str:
    from gridrisk.reports.schemas import Rate

    figure = getattr(figures, code)
    if isinstance(figure, Rate):
        return figure.percent()
    if code == Indicator.days_to_close:
        return "—" if figure.rate is None else f"{figure.rate:.1f}"
    return str(figure.count)


def report_command(
    kind: Annotated[str, typer.Argument(help=say(
        "weekly（周调度）、monthly（月通报）或 quarterly（季考评）",
        "weekly (the week's dispatch), monthly (the bulletin) or quarterly (the "
        "assessment)"))],
    region: Region,
    out: Annotated[Path, typer.Option("--out", help=say("写入的文件夹", "the folder to write"))],
    period: PeriodOption = None,
    first: From = None,
    last: To = None,
    formats: Annotated[str, typer.Option("--format", help=say(
        "html、pdf、xlsx，逗号分隔", "html, pdf, xlsx, comma-separated"))] = "html,pdf,xlsx",
    lang: Lang = "zh",
) -> None:
    from gridrisk.access.scope import EVERYTHING
    from gridrisk.reports.periodic import Request, build_report
    from gridrisk.reports.render import FORMATS, write_files

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise InvalidInput("format", f"'{formats}': give some of {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise InvalidInput("lang", f"'{lang}' is not one of {', '.join(LANGS)}")
    config = settings()
    with engine().connect() as conn, console.status("生成报告…"):
        doc = build_report(kind, Request(
            conn, region, period_option(period, first, last), lang, EVERYTHING,
            load_policy(config.policy_file), config.timezone,
            datetime.now(ZoneInfo(config.timezone)).date()))
        written = write_files(doc, out, wanted)
    console.print(f"{doc.title}：")
    for path in written:
        console.print(f"  {path}（{path.stat().st_size / 1024:.0f} KB）")


def ledger_command(
    out: Annotated[Path, typer.Argument(help=say(
        "写入的 .xlsx 文件", "the .xlsx file to write"))],
    region: Annotated[str | None, typer.Option(help=say(
        "区域代码：其下全部事项", "region code: every case under it"))] = None,
    cell: Annotated[str | None, typer.Option(help=say("网格代码", "cell code"))] = None,
    category: Annotated[str | None, typer.Option(help=say("类别代码", "category code"))]
    = None,
    state: Annotated[str | None, typer.Option(help=say(
        "open（在办）或 closed（已办结）", "open or closed"))] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue", help=say(
        "只要超期（或未超期）的", "only the overdue (or the not overdue)"))] = None,
    due_within_days: Annotated[int | None, typer.Option(help=say(
        "期限在这些天内的在办事项", "open cases due within this many days"))] = None,
    responsible_unit: Annotated[str | None, typer.Option(help=say(
        "责任单位", "the responsible unit"))] = None,
    campaign: Annotated[int | None, typer.Option(help=say(
        "只列该专项行动的事项", "only the cases of this campaign"))] = None,
    lang: Lang = "zh",
) -> None:
    from gridrisk.reports.ledger import LedgerFilters, ledger
    from gridrisk.reports.render import to_xlsx

    if out.suffix.lower() != ".xlsx":
        raise InvalidInput("out", f"{out.name}: the file must end in .xlsx")
    if lang not in LANGS:
        raise InvalidInput("lang", f"'{lang}' is not one of {', '.join(LANGS)}")
    config = settings()
    with engine().connect() as conn, console.status("生成台账…"):
        doc = ledger(conn, LedgerFilters(region=region, cell=cell, category=category,
                                         state=state, overdue=overdue,
                                         due_within_days=due_within_days,
                                         responsible_unit=responsible_unit,
                                         campaign=campaign),
                     policy=load_policy(config.policy_file).deadlines,
                     timezone=config.timezone, lang=lang,
                     today=datetime.now(ZoneInfo(config.timezone)).date())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(to_xlsx(doc))
    console.print(f"台账已写入 {out}（{len(doc.tables()[0].rows)} 件事项）")
