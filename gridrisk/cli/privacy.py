"""gridrisk privacy purge: erase the contacts the retention policy no longer allows."""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from gridrisk.cli.common import console, engine, settings
from gridrisk.cli.words import say
from gridrisk.policy import load_policy

app = typer.Typer(no_args_is_help=True, help=say(
    "诉求人联系方式：按保存期限清除", "Complainants' contacts: erased after their retention"))


@app.command(help=say(
    "清除办结超过 \\[privacy] contact_retention_years 的事项的联系方式（其办结及之后的每条办理"
    "记录都早于该期限）。",
    "Erase the contacts of cases closed longer ago than \\[privacy] contact_retention_years "
    "(their closing and every later event older than that)."))
def purge(dry_run: Annotated[bool, typer.Option(
        "--dry-run", help=say("只统计将清除多少条，不清除",
                              "only count what would be erased; erase nothing"))] = False
          ) -> None:
    from gridrisk.privacy.retention import purge_contacts

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
