"""gridrisk cycle run|list|show|export|compare|worklist|assignments|decide|outcome|schedule: the
planner's screening cycles and the supervisors' follow-up."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from gridrisk.cli.common import console, engine, parse_day, progress_bar, settings
from gridrisk.cli.user import cli_actor
from gridrisk.cli.words import say
from gridrisk.errors import GridriskError
from gridrisk.vocab import Cadence
from models.display import shown_probability

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from gridrisk.cycles.schemas import CycleCellOut, CycleOut

app = typer.Typer(no_args_is_help=True, help=say(
    "排查周期：评分、热点、工作清单、分派",
    "Screening cycles: scores, hotspots, worklists, assignments"))

HOTSPOT_NAMES = {"hot_99": "热点 99%", "hot_95": "热点 95%", "hot_90": "热点 90%", "none": "—",
                 "cold_90": "冷点 90%", "cold_95": "冷点 95%", "cold_99": "冷点 99%"}
TREND_NAMES = {"new": "新增", "persistent": "持续", "intensifying": "加剧", "diminishing": "减弱",
               "sporadic": "零星", "": ""}
KIND_NAMES = {"investigation": "风险核查", "follow_up": "回访", "screening": "补排查"}
STATUS_NAMES = {"proposed": "待定", "accepted": "已接受", "dropped": "已撤销", "done": "已完成"}
CycleId = Annotated[int | None, typer.Option("--cycle", help=say(
    "周期编号（默认：最近一次）", "cycle id (default: the latest)"))]
AssignmentId = Annotated[int, typer.Argument(help=say("分派编号", "assignment id"))]
Note = Annotated[str | None, typer.Option(help=say("备注", "a note"))]


@app.command(help=say("运行一次排查周期，列出其重点网格。",
                      "Run a screening cycle and show its top cells."))
def run(
    cadence: Annotated[str, typer.Option(help=say(
        "daily（7 天）、weekly（30 天）或 monthly（90 天）",
        "daily (7 days), weekly (30 days) or monthly (90 days)"))],
    as_of: Annotated[str | None, typer.Option(help=say(
        "截至日期（默认：数据的最新一天）", "as-of day (default: the data's latest day)"))]
    = None,
    region: Annotated[str | None, typer.Option(help=say(
        "区域代码（默认：最上级区域）", "region code (default: the top region)"))] = None,
    engine_name: Annotated[str, typer.Option("--engine", help=say(
        "local 或 dask（按乡镇分区）", "local or dask (partitioned by township)"))]
    = "local",
    model: Annotated[str | None, typer.Option(help=say(
        "模型编号（默认：该预测期已启用的模型）",
        "model id (default: the model promoted for the horizon)"))] = None,
    top: Annotated[int, typer.Option(help=say("列出的重点网格数", "how many top cells to list"))]
    = 10,
) -> None:
    from gridrisk.cycles import results as cycle_results
    from gridrisk.cycles import run as cycle_run

    config = settings()
    with engine().begin() as conn, progress_bar("排查周期") as progress:
        cycle = cycle_run.run_cycle(
            conn, cycle_run.CycleInputs.of(config), cadence=cadence,
            as_of=parse_day(as_of, "as_of"), region_code=region, engine=engine_name,
            model_id=model, progress=progress)
    with engine().connect() as conn:
        show_cycle(cycle, cycle_results.cycle_cells(conn, cycle.id, limit=top))


def show_cycle(cycle: CycleOut, cells: list[CycleCellOut]) -> None:
    totals = cycle.notes["totals"]
    console.print(
        f"周期 [bold]{cycle.id}[/]（{cycle.cadence.value}，截至 {cycle.as_of}，"
        f"{cycle.horizon_days} 天预测期，模型 {cycle.model_id}）：{cycle.n_cells} 个网格，"
        f"在办 {totals['open']} 件，超期 {totals['overdue']} 件，预计升级 "
        f"{totals['expected_escalations']:.1f} 件，热点网格 {totals['hot_cells']} 个；"
        f"用时 {cycle.seconds:.1f} 秒")
    table = Table(title="重点网格（预计升级最多）")
    for column in ("网格", "乡镇", "预计升级", "在办", "超期", "群体", "漏报", "热点"):
        table.add_column(column, justify="left" if column in ("网格", "乡镇", "热点")
                         else "right",
                         overflow="fold")
    for cell in cells:
        trend = TREND_NAMES[cell.trend.value]
        table.add_row(f"{cell.cell_name}\n[dim]{cell.cell_code}[/]", cell.township or "",
                      f"{cell.expected_escalations:.2f}", str(cell.n_open), str(cell.n_overdue),
                      str(cell.n_collective), str(cell.n_missed_screenings),
                      HOTSPOT_NAMES[cell.hotspot.value] + (f"\n（{trend}）" if trend else ""))
    console.print(table)
    deferred = cycle.notes.get("deferred_tasks") or {}
    if deferred:
        console.print("超出网格员能力、顺延到下一周期的任务：" + "，".join(
            f"{KIND_NAMES[k]} {n}" for k, n in deferred.items()))


def _cycle_id(conn: Connection, cycle: int | None) -> int:
    from gridrisk.cycles import results as cycle_results

    return cycle if cycle is not None else cycle_results.latest_cycle(conn).id


@app.command("list", help=say("最近的排查周期。", "The latest cycles."))
def list_(cadence: Annotated[str | None, typer.Option(help=say(
              "只列出该周期类型", "only cycles of this cadence"))] = None,
          limit: Annotated[int, typer.Option(help=say("最多列出", "at most this many"))] = 20
          ) -> None:
    from gridrisk.cycles import results as cycle_results

    with engine().connect() as conn:
        cycles = cycle_results.list_cycles(conn, cadence=cadence, limit=limit)
    table = Table(title="排查周期")
    for column in ("编号", "类型", "截至", "区域", "模型", "网格", "在办", "热点", "输入指纹"):
        table.add_column(column)
    for c in cycles:
        table.add_row(str(c.id), c.cadence.value, str(c.as_of), c.region_code, c.model_id,
                      str(c.n_cells), str(c.n_cases), str(c.notes["totals"]["hot_cells"]),
                      c.input_fingerprint)
    console.print(table)


@app.command(help=say("一个周期的概况及其重点网格。", "A cycle's summary and its top cells."))
def show(cycle: CycleId = None,
         region: Annotated[str | None, typer.Option(help=say(
             "只看该区域的网格", "only the cells in this region"))] = None,
         top: Annotated[int, typer.Option(help=say(
             "列出的重点网格数", "how many top cells to list"))] = 10) -> None:
    from gridrisk.cycles import results as cycle_results

    with engine().connect() as conn:
        chosen = cycle_results.get_cycle(conn, _cycle_id(conn, cycle))
        show_cycle(chosen, cycle_results.cycle_cells(conn, chosen.id, region_code=region,
                                                     limit=top))


@app.command(help=say(
    "把一个周期的图层导出为 QGIS 用的 GeoPackage：网格按热点分类着色，工作清单事项按风险"
    "等级，外框（docs/ogc.md）。",
    "A cycle's layers as a GeoPackage for QGIS: cells coloured by hotspot class, worklist "
    "cases by risk band, outlines (docs/ogc.md)."))
def export(out: Annotated[Path, typer.Argument(help=say(
               "GeoPackage 文件（.gpkg）", "the GeoPackage file (.gpkg)"))],
           cycle: CycleId = None) -> None:
    from gridrisk.access.service import audit
    from gridrisk.gis.geopackage import export_cycle_gpkg

    config = settings()
    with engine().begin() as conn:
        chosen = _cycle_id(conn, cycle)
        counts = export_cycle_gpkg(conn, chosen, out, lang=config.lang)
        audit(conn, actor=cli_actor(), action="export", target=f"cycle {chosen}",
              address=None, detail={"out": str(out), "format": "gpkg", **counts})
    console.print(f"周期 {chosen} 已导出到 {out}：" + "，".join(
        f"{k} {v}" for k, v in counts.items()))


@app.command(help=say("两个周期之间的变化（默认：最近一次与它之前的一次）。",
                      "What changed between two cycles (default: the latest and the one "
                      "before it)."))
def compare(after: Annotated[int | None, typer.Argument(help=say(
                "较新的周期（默认：最近一次）", "the newer cycle (default: the latest)"))]
            = None,
            before: Annotated[int | None, typer.Argument(help=say(
                "较早的周期（默认：同类型的上一次）",
                "the older cycle (default: the one before it of the same cadence)"))] = None
            ) -> None:
    from gridrisk.cycles import compare as cycle_compare
    from gridrisk.cycles import results as cycle_results

    with engine().connect() as conn:
        after_id = _cycle_id(conn, after)
        before_id = (before if before is not None
                     else cycle_results.previous_cycle(conn, after_id).id)
        change = cycle_compare.compare_cycles(conn, before_id, after_id)
    console.print(f"周期 {change.after} 与周期 {change.before} 相比：")
    names = {"expected_escalations": "预计升级", "open": "在办", "overdue": "超期",
             "hot_cells": "热点网格"}
    for name, (a, b) in change.totals.items():
        console.print(f"  {names[name]}：{a:g} → {b:g}")
    console.print(f"新出现的热点：{', '.join(change.new_hotspots) or '无'}")
    console.print(f"已消退的热点：{', '.join(change.cooled_hotspots) or '无'}")
    for cell in change.biggest_rises[:5]:
        console.print(f"  {cell.cell_code} 预计升级 {cell.expected_before:.2f} → "
                      f"{cell.expected_after:.2f}")
    console.print(f"新进入高风险的事项：{', '.join(change.newly_high_risk) or '无'}")
    console.print(f"已不在办的事项：{len(change.no_longer_open)} 件")


@app.command(help=say("一个网格的工作清单：在办事项按风险排序，附原因与期限。",
                      "A cell's worklist: its open cases by risk, with reasons and "
                      "deadlines."))
def worklist(cell: Annotated[str, typer.Argument(help=say("网格代码", "cell code"))],
             cycle: CycleId = None) -> None:
    from gridrisk.cycles import results as cycle_results

    with engine().connect() as conn:
        found = cycle_results.worklist(conn, _cycle_id(conn, cycle), cell)
    table = Table(title=f"{found.cell.cell_name}（{cell}）工作清单，周期 {found.cycle_id}")
    for column in ("名次", "事项", "期限风险", "反复风险", "原因", "期限", "责任单位",
                   "包案领导"):
        table.add_column(column)
    for case in found.cases:
        due = "—" if case.days_left is None else (
            f"超期 {-case.days_left} 天" if case.days_left < 0 else f"剩 {case.days_left} 天")
        reasons = ([f"期限：{r}" for r in case.deadline_reasons]
                   + [f"反复：{r}" for r in case.return_reasons]) or case.reasons
        table.add_row(str(case.rank_in_cell), case.case_id, shown_probability(case.p_deadline),
                      shown_probability(case.p_return), "；".join(reasons),
                      f"{case.deadline_on}（{due}）", case.responsible_unit,
                      case.responsible_official or "")
    console.print(table)


@app.command(help=say("建议的与已决定的分派；--overdue 列出所有周期中已接受而逾期的。",
                      "Proposed and decided assignments; --overdue lists accepted ones past "
                      "their day in every cycle."))
def assignments(
    cycle: CycleId = None,
    cell: Annotated[str | None, typer.Option(help=say("网格代码", "cell code"))] = None,
    assignee: Annotated[str | None, typer.Option(help=say("网格员编号", "grid worker id"))]
    = None,
    status: Annotated[str | None, typer.Option(help=say(
        "proposed、accepted、dropped 或 done", "proposed, accepted, dropped or done"))]
    = None,
    overdue: Annotated[bool, typer.Option("--overdue", help=say(
        "只列出逾期未完成的", "only those past their day and not done"))] = False,
) -> None:
    from gridrisk.cycles import assignments as assignment_service

    config = settings()
    with engine().connect() as conn:
        found = assignment_service.list_assignments(
            conn, cycle_id=None if overdue and cycle is None else _cycle_id(conn, cycle),
            cell_code=cell, assignee=assignee, status=status, overdue=overdue or None,
            timezone=config.timezone)
    table = Table(title="逾期分派" if overdue else "分派")
    for column in ("编号", "网格", "类型", "事项", "原因", "建议给", "承办人", "期限", "状态"):
        table.add_column(column)
    for a in found:
        table.add_row(str(a.id), a.cell_code, KIND_NAMES[a.kind.value], a.case_id or "",
                      a.reason, a.proposed_to or "—", a.assignee or "", str(a.due_on),
                      STATUS_NAMES[a.status.value] + ("（逾期）" if a.overdue else ""))
    console.print(table)


@app.command(help=say("主管对一项建议分派的决定。",
                      "A supervisor's decision on a proposed assignment."))
def decide(
    assignment: AssignmentId,
    action: Annotated[str, typer.Argument(help=say(
        "accept、reassign 或 drop", "accept, reassign or drop"))],
    assignee: Annotated[str | None, typer.Option(help=say(
        "承办网格员（reassign 必填）", "the grid worker to do it (required by reassign)"))]
    = None,
    note: Note = None,
) -> None:
    from gridrisk.cycles import assignments as assignment_service
    from gridrisk.cycles.schemas import AssignmentDecision

    config = settings()
    decision = AssignmentDecision(action=action, assignee=assignee, note=note)
    with engine().begin() as conn:
        done = assignment_service.decide(conn, assignment, decision, timezone=config.timezone)
    console.print(f"分派 {done.id}：{STATUS_NAMES[done.status.value]}，承办人 "
                  f"{done.assignee or '—'}")


@app.command(help=say("承办人记录办理结果。", "The assignee records what was done."))
def outcome(assignment: AssignmentId,
            text: Annotated[str, typer.Argument(help=say("办理结果", "what was done"))],
            note: Note = None) -> None:
    from gridrisk.cycles import assignments as assignment_service
    from gridrisk.cycles.schemas import AssignmentOutcome

    config = settings()
    with engine().begin() as conn:
        done = assignment_service.record_outcome(
            conn, assignment, AssignmentOutcome(outcome=text, note=note),
            timezone=config.timezone)
    console.print(f"分派 {done.id} 已完成：{done.outcome}")


@app.command(help=say("按策略文件的时间运行周期，直到停止（也可用 systemd 定时器或 cron："
                      "docs/cycles.md）。",
                      "Run cycles at the policy file's times until stopped (see "
                      "docs/cycles.md for a systemd timer or cron instead)."))
def schedule(show: Annotated[int, typer.Option(help=say(
        "只列出接下来的 N 次运行，不运行", "only list the next N runs; run nothing"))] = 0
             ) -> None:
    from gridrisk.cycles.schedule import as_of_for, upcoming
    from gridrisk.policy import load_policy

    config = settings()
    policy = load_policy(config.policy_file).cycles
    zone = ZoneInfo(config.timezone)
    runs = upcoming(datetime.now(zone), policy)
    if show:
        for _, (when, cadences) in zip(range(show), runs, strict=False):
            console.print(f"{when:%Y-%m-%d %H:%M}  " + ", ".join(c.value for c in cadences)
                          + f"（截至 {as_of_for(when)}）")
        return
    for when, cadences in runs:
        console.print(f"下次运行：{when:%Y-%m-%d %H:%M}（{', '.join(c.value for c in cadences)}）")
        time.sleep(max(0.0, (when - datetime.now(zone)).total_seconds()))
        for cadence in cadences:
            _scheduled_run(cadence, when)


def _scheduled_run(cadence: Cadence, when: datetime) -> None:
    """One scheduled cycle; a failure is reported and the schedule goes on."""
    from gridrisk.cycles import run as cycle_run
    from gridrisk.cycles.schedule import as_of_for

    try:
        with engine().begin() as conn:
            cycle = cycle_run.run_cycle(conn, cycle_run.CycleInputs.of(settings()),
                                      cadence=cadence.value, as_of=as_of_for(when))
        console.print(f"周期 {cycle.id}（{cadence.value}，截至 {cycle.as_of}）完成，"
                      f"用时 {cycle.seconds:.1f} 秒")
    except GridriskError as exc:
        console.print(f"[red]{cadence.value} 周期未能运行[/]：{exc}")
