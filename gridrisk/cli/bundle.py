"""gridrisk import / export: bundles in and out."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Connection

from gridrisk.access.service import audit, check_password
from gridrisk.bundle.errors import RejectedRows
from gridrisk.bundle.export import export_region
from gridrisk.bundle.service import ImportReport, import_bundle
from gridrisk.cli.common import console, engine, progress_bar, settings
from gridrisk.cli.user import cli_actor, password_given
from gridrisk.errors import Forbidden, InvalidInput
from gridrisk.policy import load_policy
from gridrisk.privacy.vault import Vault
from gridrisk.vocab import Role

TABLE_NAMES = {"regions": "行政区", "cells": "网格", "cases": "信访事项",
               "case_events": "办理记录", "screening_records": "排查记录",
               "contacts": "联系方式（加密）"}


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
            policy = load_policy(settings().policy_file)
            report = import_bundle(conn, path, write_good_rows=write_good_rows,
                                   timezone=settings().timezone, policy=policy.deadlines,
                                   vault=Vault.of(settings()), privacy=policy.privacy,
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


def _administrator(conn: Connection, name: str | None) -> str:
    """The administrator an export with contacts is made for, signed in by password."""
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
    out: Annotated[Path, typer.Argument(help="folder, or a .zip file")],
    region: Annotated[str, typer.Option(help="code of the region to export")],
    with_contacts: Annotated[bool, typer.Option(
        "--with-contacts", help="also write contacts.csv (the complainants' contacts in "
        "clear) and the free text as typed; for an administrator only (--admin)")] = False,
    admin: Annotated[str | None, typer.Option(
        help="with --with-contacts: an administrator's account; its password from "
        "GRIDRISK_PASSWORD or asked")] = None,
) -> None:
    """Export a region and everything under it as a bundle. Contacts stay out and the phone
    and identity numbers typed into free text are masked, unless an administrator asks for
    them with --with-contacts --admin NAME."""
    with engine().begin() as conn:
        actor = _administrator(conn, admin) if with_contacts else cli_actor()
        counts = export_region(conn, region, out, timezone=settings().timezone,
                               with_contacts=with_contacts, vault=Vault.of(settings()))
        audit(conn, actor=actor, action="export", target=region, address=None,
              detail={"out": str(out), "with_contacts": with_contacts, **counts})
    console.print(f"已导出到 {out}：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    if with_contacts:
        console.print("[bold yellow]注意[/]：该导出含诉求人联系方式明文（contacts.csv，仅本人"
                      "可读）；用完即删，不要转发。")
