"""gridrisk indicators / report / ledger / zero-report: the figures planners are judged on,
the period reports, the case ledger and the daily zero report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from gridrisk.cli.common import console, engine, parse_day, settings
from gridrisk.errors import InvalidInput
from gridrisk.policy import load_policy
from gridrisk.reports.periods import Period, parse_period
from gridrisk.reports.schemas import Figures, Rate
from gridrisk.reports.service import indicators
from gridrisk.vocab import LANGS, Indicator, labels

Region = Annotated[str, typer.Option("--region", help="区域代码")]
PeriodOption = Annotated[str | None, typer.Option(
    "--period", help="时段：2026-W44（周）、2026-10（月）、2026-Q3（季）、2026（年）")]
From = Annotated[str | None, typer.Option("--from", help="起始日期（与 --to 一起代替 --period）")]
To = Annotated[str | None, typer.Option("--to", help="截止日期（含）")]


def register(app: typer.Typer) -> None:
    app.command("indicators")(indicators_command)
    app.command("report")(report_command)


def period_option(period: str | None, first: str | None, last: str | None) -> Period:
    return parse_period(period, first=parse_day(first, "from"), last=parse_day(last, "to"))


def indicators_command(
    region: Region,
    period: PeriodOption = None,
    first: From = None,
    last: To = None,
    by: Annotated[str | None, typer.Option(help="township（按乡镇）或 village（按村社区）")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON，如指标规范所述")] = False,
) -> None:
    """A region's indicators for a period (docs/indicators.md), each with its numerator and
    denominator."""
    config = settings()
    with engine().connect() as conn:
        found = indicators(conn, region_code=region, period=period_option(period, first, last),
                           by=by, scope=None, policy=load_policy(config.policy_file),
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
    figure = getattr(figures, code)
    if isinstance(figure, Rate):
        return figure.percent()
    if code == Indicator.days_to_close:
        return "—" if figure.rate is None else f"{figure.rate:.1f}"
    return str(figure.count)


def report_command(
    kind: Annotated[str, typer.Argument(help="weekly（周调度）、monthly（月通报）或 quarterly"
                                              "（季考评）")],
    region: Region,
    out: Annotated[Path, typer.Option("--out", help="写入的文件夹")],
    period: PeriodOption = None,
    first: From = None,
    last: To = None,
    formats: Annotated[str, typer.Option("--format", help="html、pdf、xlsx，逗号分隔")]
    = "html,pdf,xlsx",
    lang: Annotated[str, typer.Option(help="zh 或 en")] = "zh",
) -> None:
    """A period report as HTML, PDF and XLSX files with the same tables."""
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
            conn, region, period_option(period, first, last), lang, None,
            load_policy(config.policy_file), config.timezone,
            datetime.now(ZoneInfo(config.timezone)).date()))
        written = write_files(doc, out, wanted)
    console.print(f"{doc.title}：")
    for path in written:
        console.print(f"  {path}（{path.stat().st_size / 1024:.0f} KB）")
