"""gridrisk import / export: bundles in and out, and the report of what an import found."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from gridrisk.bundle.errors import BundleFileError, RejectedRows
from gridrisk.cli.common import console, engine, progress_bar, settings
from gridrisk.cli.user import cli_actor, password_given
from gridrisk.cli.words import say
from gridrisk.errors import Forbidden, InvalidInput
from gridrisk.policy import load_policy
from gridrisk.progress import Progress
from gridrisk.vocab import Crs, Role

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from gridrisk.bundle.report import ImportReport


class ExportFormat(StrEnum):
    bundle = "bundle"
    gpkg = "gpkg"


TABLE_NAMES = {"regions": "行政区", "cells": "网格", "cases": "信访事项",
               "case_events": "办理记录", "screening_records": "排查记录",
               "contacts": "联系方式（加密）"}
SHOWN = 20

GoodRows = Annotated[bool, typer.Option("--write-good-rows", help=say(
    "写入合格的行，不合格的行列入拒绝文件（默认：全部写入或全不写入）",
    "write the good rows and list the bad ones in the rejects file (default: "
    "all-or-nothing)"))]
CheckOnly = Annotated[bool, typer.Option("--check", help=say(
    "做导入的全部检查并报告；不写入任何数据",
    "check everything an import checks and report it; write nothing"))]
Rejects = Annotated[Path, typer.Option(help=say(
    "列出不合格行的文件", "where the bad rows are listed"))]
ReportPage = Annotated[Path | None, typer.Option("--report", help=say(
    "把报告写成可读的页面（HTML）", "write the report as a readable page (HTML)"))]
ReportJson = Annotated[Path | None, typer.Option("--json", help=say(
    "把报告写成 JSON（错误、警告、计数）",
    "write the report as JSON (errors, warnings, counts)"))]


def register(app: typer.Typer) -> None:
    app.command("import", help=say(
        "导入一个区域数据包（见 docs/bundle.md）；带 --check 则只报告。",
        "Import a region bundle (see docs/bundle.md); with --check, only report."))(
        import_command)
    app.command("import-ledger", help=say(
        "按列映射从 Excel 台账导入事项及其日期。",
        "Import cases and their dates from an Excel ledger (台账) through a mapping."))(
        import_ledger_command)
    app.command("export", help=say(
        "把一个区域及其下全部内容导出为数据包或 GeoPackage。联系方式不导出，自由文本中的"
        "电话与身份证号打码；除非管理员以 --with-contacts --admin 账号 要求数据包包含它们。",
        "Export a region and everything under it as a bundle or a GeoPackage. Contacts stay "
        "out and the phone and identity numbers typed into free text are masked, unless an "
        "administrator asks for them in a bundle with --with-contacts --admin NAME."))(
        export_command)


def import_command(
    path: Annotated[Path, typer.Argument(help=say(
        "数据包文件夹或 .zip", "bundle folder or .zip"))],
    write_good_rows: GoodRows = False,
    check: CheckOnly = False,
    boundary_crs: Annotated[Crs | None, typer.Option(help=say(
        "边界文件的经纬度实际是什么：在国内网络地图上描的外框为 gcj02 或 bd09（默认："
        "bundle.toml，否则按文件的声明）",
        "what the boundary files' degrees really are: gcj02 or bd09 for outlines drawn "
        "on Chinese web maps (default: bundle.toml, else as the files declare)"))] = None,
    encoding: Annotated[str | None, typer.Option(help=say(
        "CSV 文件的编码，例如 gb18030（默认：bundle.toml，否则 UTF-8，或检测到的 GB18030）",
        "encoding of the CSV files, e.g. gb18030 (default: bundle.toml, else UTF-8, or "
        "GB18030 when detected)"))] = None,
    rejects: Rejects = Path("rejects.csv"),
    report: ReportPage = None,
    report_json: ReportJson = None,
) -> None:
    from gridrisk.bundle.service import import_bundle
    from gridrisk.privacy.vault import Vault

    config = settings()
    policy = load_policy(config.policy_file)
    vault = Vault.of(config)
    _run(lambda conn, progress: import_bundle(
        conn, path, write_good_rows=write_good_rows, check_only=check,
        timezone=config.timezone, policy=policy.deadlines, imports=policy.imports,
        boundary_crs=boundary_crs, encoding=encoding, vault=vault, privacy=policy.privacy,
        progress=progress), path, write_good_rows=write_good_rows, check=check,
        rejects=rejects, page=report, as_json=report_json)


def import_ledger_command(
    path: Annotated[Path, typer.Argument(help=say("台账（.xlsx）", "the ledger (.xlsx)"))],
    mapping: Annotated[Path, typer.Option(help=say(
        "哪个工作表、哪些列对应事项的哪些字段（TOML；docs/ledger.md）",
        "which sheet and columns feed which case fields (TOML; docs/ledger.md)"))],
    write_good_rows: GoodRows = False,
    check: CheckOnly = False,
    rejects: Rejects = Path("rejects.csv"),
    report: ReportPage = None,
    report_json: ReportJson = None,
) -> None:
    from gridrisk.bundle.ledger import import_ledger

    config = settings()
    policy = load_policy(config.policy_file)
    _run(lambda conn, progress: import_ledger(
        conn, path, mapping, write_good_rows=write_good_rows, check_only=check,
        timezone=config.timezone, policy=policy.deadlines, imports=policy.imports,
        progress=progress), path, write_good_rows=write_good_rows, check=check,
        rejects=rejects, page=report, as_json=report_json)


def _run(work: Callable[[Connection, Progress], ImportReport], path: Path, *,
         write_good_rows: bool, check: bool, rejects: Path, page: Path | None,
         as_json: Path | None) -> None:
    """One import or check in its transaction (a check's is rolled back), then its report;
    exits 1 when refused, or when a check found problems."""
    from gridrisk.bundle.report import ImportReport
    from gridrisk.bundle.service import mode_of

    db = engine()
    try:
        if check:
            with db.connect() as conn, progress_bar(transient=True) as progress:
                found = work(conn, progress)
                conn.rollback()
        else:
            with db.begin() as conn, progress_bar() as progress:
                found = work(conn, progress)
    except RejectedRows as exc:
        found = exc.report
    except BundleFileError as exc:
        found = ImportReport.refused_file(
            str(path), mode_of(write_good_rows=write_good_rows, check_only=check), exc, [])
        _finish(found, rejects, page, as_json)
        raise
    _finish(found, rejects, page, as_json)
    if found.outcome == "refused" or (check and len(found.rejects)):
        raise typer.Exit(1)


def _finish(found: ImportReport, rejects: Path, page: Path | None, as_json: Path | None
            ) -> None:
    """Show the report, write its files; a refused import is recorded as a run of its own."""
    from gridrisk.bundle.report import report_page
    from gridrisk.bundle.service import record_run

    if found.outcome == "refused" and found.mode != "check":
        with engine().begin() as conn:
            found.run_id = record_run(conn, found)
    if len(found.rejects):
        found.rejects.to_csv(rejects, index=False)
    show_report(found, rejects)
    if page is not None:
        page.write_text(report_page(found, lang=settings().lang), encoding="utf-8")
        console.print(f"报告：{page}")
    if as_json is not None:
        as_json.write_text(json.dumps(found.to_json(), ensure_ascii=False, indent=1),
                           encoding="utf-8")
        console.print(f"报告（JSON）：{as_json}")


def show_report(report: ImportReport, rejects: Path | None = None) -> None:
    if report.files:
        files = Table(title="文件")
        for column in ("", "读取", "合格", "拒绝"):
            files.add_column(column, justify="right" if column else "left")
        for name, counts in report.files.items():
            files.add_row(name, f"{counts['read']:,}", f"{counts['accepted']:,}",
                          f"{counts['rejected']:,}")
        console.print(files)
    if report.written:
        table = Table(title=f"导入完成（第 {report.run_id} 次导入）")
        for column in ("", "新增", "更新", "未变"):
            table.add_column(column, justify="right" if column else "left")
        for name, counts in report.written.items():
            table.add_row(TABLE_NAMES.get(name, name), str(counts["inserted"]),
                          str(counts["updated"]), str(counts["unchanged"]))
        console.print(table)
    show_errors(report, rejects)
    for warning in report.warnings[:SHOWN]:
        console.print(f"[yellow]注意[/] {warning.message}")
    if len(report.warnings) > SHOWN:
        console.print(f"[yellow]注意[/] 另有 {len(report.warnings) - SHOWN} 条")
    if report.outcome == "refused":
        console.print("[bold red]未写入任何数据[/]：修正以上问题后重新导入，"
                      "或用 --write-good-rows 只写入合格的行。")
    elif report.outcome == "checked":
        console.print("[bold]仅校验，未写入任何数据。[/]")


def show_errors(report: ImportReport, rejects: Path | None) -> None:
    """Each root problem once (a summary for a flood of points outside every cell), with
    how many rows were rejected with it; every row is in the rejects file."""
    errors = report.errors()
    if not errors:
        return
    where = f"（每一行见 {rejects}）" if rejects is not None and len(report.rejects) else ""
    table = Table(title=f"{len(report.rejects):,} 个问题{where}")
    for column in ("文件", "行", "列", "值", "原因", "一并拒绝"):
        table.add_column(column)
    for error in errors[:SHOWN]:
        if error["kind"] == "row":
            with_it = "，".join(f"{f} {n:,}" for f, n in error.get("rejected_with_it",
                                                                  {}).items())
            table.add_row(error["file"], str(error["line"]), error["column"],
                          str(error["value"])[:30], error["reason"], with_it)
        else:
            table.add_row(error.get("file") or error.get("field", ""), "", "", "",
                          error.get("message") or error["reason"], "")
    console.print(table)
    if len(errors) > SHOWN:
        console.print(f"另有 {len(errors) - SHOWN} 个问题")


def _administrator(conn: Connection, name: str | None) -> str:
    """The administrator an export with contacts is made for, signed in by password."""
    from gridrisk.access.service import check_password

    if not name:
        raise InvalidInput("--admin", "an export with contacts names the administrator "
                           "asking for it: --admin NAME")
    user = check_password(conn, name, password_given(None), address=None,
                          policy=load_policy(settings().policy_file).access)
    if user.role != Role.admin:
        raise Forbidden(f"{name} is a {user.role.value}: only an administrator may export "
                        "complainants' contacts")
    return name


def export_command(
    out: Annotated[Path, typer.Argument(help=say(
        "文件夹或 .zip（bundle），.gpkg（gpkg）", "folder or .zip (bundle), .gpkg (gpkg)"))],
    region: Annotated[str, typer.Option(help=say(
        "要导出的区域代码", "code of the region to export"))],
    format_: Annotated[ExportFormat, typer.Option("--format", help=say(
        "bundle：导入格式（docs/bundle.md）；gpkg：供 QGIS 用的 GeoPackage，含行政区、网格及"
        "以点表示的事项（docs/ogc.md）",
        "bundle: the import format (docs/bundle.md); gpkg: a GeoPackage of regions, cells "
        "and cases as points for QGIS (docs/ogc.md)"))] = ExportFormat.bundle,
    with_contacts: Annotated[bool, typer.Option("--with-contacts", help=say(
        "同时写出 contacts.csv（诉求人联系方式明文）和原样的自由文本；仅限数据包，仅限管理员"
        "（--admin）",
        "also write contacts.csv (the complainants' contacts in clear) and the free text as "
        "typed; a bundle only, for an administrator only (--admin)"))] = False,
    admin: Annotated[str | None, typer.Option(help=say(
        "与 --with-contacts 一起：管理员账号；密码取自 GRIDRISK_PASSWORD，否则询问",
        "with --with-contacts: an administrator's account; its password from "
        "GRIDRISK_PASSWORD or asked"))] = None,
) -> None:
    from gridrisk.access.service import audit
    from gridrisk.bundle.export import export_region
    from gridrisk.gis.geopackage import export_region_gpkg
    from gridrisk.gis.layers import CaseRules
    from gridrisk.privacy.vault import Vault

    config = settings()
    if with_contacts and format_ is ExportFormat.gpkg:
        raise InvalidInput("--with-contacts", "a GeoPackage never holds contacts (it is "
                           "made for maps): export a bundle")
    with engine().begin() as conn:
        actor = _administrator(conn, admin) if with_contacts else cli_actor()
        if format_ is ExportFormat.gpkg:
            rules = CaseRules(load_policy(config.policy_file).deadlines, config.timezone)
            counts = export_region_gpkg(conn, region, out, rules=rules, lang=config.lang)
        else:
            counts = export_region(conn, region, out, timezone=config.timezone,
                                   with_contacts=with_contacts, vault=Vault.of(config))
        audit(conn, actor=actor, action="export", target=region, address=None,
              detail={"out": str(out), "format": format_.value,
                      "with_contacts": with_contacts, **counts})
    console.print(f"已导出到 {out}：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    if with_contacts:
        console.print("[bold yellow]注意[/]：该导出含诉求人联系方式明文（contacts.csv，仅本人"
                      "可读）；用完即删，不要转发。")
