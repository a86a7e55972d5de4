"""gridrisk privacy purge: erase the contacts the retention policy no longer allows."""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from gridrisk.cli.common import console, engine, settings
from gridrisk.policy import load_policy
from gridrisk.privacy.retention import purge_contacts

app = typer.Typer(no_args_is_help=True, help="诉求人联系方式：按保存期限清除")


@app.command()
def purge(dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="只统计将清除多少条，不清除")] = False) -> None:
    """Erase the contacts of cases closed longer ago than [privacy] contact_retention_years
    (their closing and every later event older than that)."""
    config = settings()
    policy = load_policy(config.policy_file)
    years = policy.privacy.contact_retention_years
    with engine().begin() as conn:
        done = purge_contacts(conn, today=datetime.now(ZoneInfo(config.timezone)).date(),
                              retention_years=years, policy=policy.deadlines,
                              timezone=config.timezone, dry_run=dry_run)
    verb = "将清除" if dry_run else "已清除"
    console.print(f"{verb} {len(done.case_ids)} 条联系方式：办结且 {done.cutoff} 之前再无办理记录的"
                  f"事项（保存期限 {years} 年）")
