"""gridrisk import / export: bundles in and out."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridrisk.access.service import audit
from gridrisk.bundle.errors import RejectedRows
from gridrisk.bundle.export import export_region
from gridrisk.bundle.service import ImportReport, import_bundle
from gridrisk.cli.common import console, engine, progress_bar, settings
from gridrisk.cli.user import cli_actor
from gridrisk.gis.geopackage import export_region_gpkg
from gridrisk.gis.layers import CaseRules
from gridrisk.policy import load_policy


class ExportFormat(StrEnum):
    bundle = "bundle"
    gpkg = "gpkg"


TABLE_NAMES = {"regions": "行政区", "cells": "网格", "cases": "信访事项",
               "case_events": "办理记录", "screening_records": "排查记录"}


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)


def import_command(
    path: Annotated[Path, typer.Argument(help="bundle folder or .zip")],
    write_good_rows: Annotated[bool, typer.Option(
        "--write-good-rows", help="write the good rows and list the bad ones in the rejects "
        "file (default: all-or-nothing)")] = False,
    rejects: Annotated[Path, typer.Option(help="where the bad rows are listed")] = Path(
        "rejects.csv"),
) -> None:
    """Import a region bundle (see docs/bundle.md)."""
    try:
        with engine().begin() as conn, progress_bar() as progress:
            report = import_bundle(conn, path, write_good_rows=write_good_rows,
                                   timezone=settings().timezone,
                                   policy=load_policy(settings().policy_file).deadlines,
                                   progress=progress)
    except RejectedRows as exc:
        exc.rejects.to_csv(rejects, index=False)
        show_rejects(exc.rejects, rejects)
        console.print("[bold red]未写入任何数据[/]：修正以上问题后重新导入，"
                      "或用 --write-good-rows 只写入合格的行。")
        raise typer.Exit(1) from exc
    show_report(report)
    if len(report.rejects):
        report.rejects.to_csv(rejects, index=False)
        show_rejects(report.rejects, rejects)


def show_report(report: ImportReport) -> None:
    table = Table(title=f"导入完成（第 {report.run_id} 次导入）")
    for column in ("", "新增", "更新", "未变"):
        table.add_column(column, justify="right" if column else "left")
    for name, counts in report.written.items():
        table.add_row(TABLE_NAMES.get(name, name), str(counts["inserted"]),
                      str(counts["updated"]), str(counts["unchanged"]))
    console.print(table)
    for warning in report.warnings[:20]:
        console.print(f"[yellow]注意[/] {warning}")
    if len(report.warnings) > 20:
        console.print(f"[yellow]注意[/] 另有 {len(report.warnings) - 20} 条")


def show_rejects(rejects, path: Path) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"{len(rejects)} 个问题（全部见 {path}）")
    for column in ("文件", "行", "列", "值", "原因"):
        table.add_column(column)
    for row in rejects.head(20).itertuples():
        table.add_row(row.file, str(row.line), row.column, str(row.value)[:30], row.reason)
    console.print(table)


def export_command(
    out: Annotated[Path, typer.Argument(help="folder or .zip (bundle), .gpkg (gpkg)")],
    region: Annotated[str, typer.Option(help="code of the region to export")],
    format_: Annotated[ExportFormat, typer.Option(
        "--format", help="bundle: the import format (docs/bundle.md); gpkg: a GeoPackage of "
        "regions, cells and cases as points for QGIS (docs/ogc.md)")] = ExportFormat.bundle,
) -> None:
    """Export a region and everything under it as a bundle or a GeoPackage."""
    config = settings()
    with engine().begin() as conn:
        if format_ is ExportFormat.gpkg:
            rules = CaseRules(load_policy(config.policy_file).deadlines, config.timezone)
            counts = export_region_gpkg(conn, region, out, rules=rules, lang=config.lang)
        else:
            counts = export_region(conn, region, out, timezone=config.timezone)
        audit(conn, actor=cli_actor(), action="export", target=region, address=None,
              detail={"out": str(out), "format": format_.value, **counts})
    console.print(f"已导出到 {out}：" + "，".join(f"{k} {v}" for k, v in counts.items()))
