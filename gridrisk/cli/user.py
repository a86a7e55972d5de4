"""gridrisk user add|list|disable|token|passwd and gridrisk audit: the administrator's
accounts and the audit log, on the database directly (whoever runs these holds the server)."""

from __future__ import annotations

import getpass
import os
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from gridrisk.access import service
from gridrisk.cli.common import console, engine, settings
from gridrisk.errors import InvalidInput
from gridrisk.policy import load_policy
from gridrisk.vocab import Role, TokenKind

app = typer.Typer(no_args_is_help=True, help="账号：角色、所辖区域、API 令牌")


def cli_actor() -> str:
    """Who a command acts as in the audit log: the system user running it."""
    return f"cli:{getpass.getuser()}"


def password_given(given: str | None) -> str:
    """--password, GRIDRISK_PASSWORD (for scripts), or asked twice at the terminal."""
    if given:
        return given
    if os.environ.get("GRIDRISK_PASSWORD"):
        return os.environ["GRIDRISK_PASSWORD"]
    first = typer.prompt("密码", hide_input=True)
    if typer.prompt("再输一次", hide_input=True) != first:
        raise InvalidInput("password", "the two entries differ")
    return str(first)


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="sign-in name (a grid worker's: their worker id)")],
    role: Annotated[Role, typer.Option(help="worker, handler, supervisor, planner or admin")],
    region: Annotated[list[str], typer.Option(
        help="a region code (everything under it) or a cell code; repeat for more")],
    password: Annotated[str | None, typer.Option(
        help="default: GRIDRISK_PASSWORD, or asked")] = None,
) -> None:
    """Add an account scoped to regions (for a grid worker: cells, or villages' cells)."""
    with engine().begin() as conn:
        user = service.add_user(conn, name, role=role, codes=region,
                                password=password_given(password))
        service.audit(conn, actor=cli_actor(), action="user_added", target=name, address=None,
                      detail={"role": role.value, "scope": region})
    console.print(f"已添加 {user.name}（{user.role.value}）：" + "、".join(
        [*user.regions, *user.cells]))


@app.command("list")
def list_() -> None:
    """Every account, its role and scope."""
    with engine().connect() as conn:
        users = service.list_users(conn)
    table = Table()
    for column in ("name", "role", "scope", "created", "disabled"):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, user.role.value, " ".join([*user.regions, *user.cells]),
                      f"{user.created_at:%Y-%m-%d}",
                      f"{user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "")
    console.print(table)


@app.command()
def disable(name: Annotated[str, typer.Argument()]) -> None:
    """No more sign-ins for the account; its sessions and tokens end now."""
    with engine().begin() as conn:
        service.disable_user(conn, name)
        service.audit(conn, actor=cli_actor(), action="user_disabled", target=name,
                      address=None)
    console.print(f"已停用 {name}")


@app.command()
def token(
    name: Annotated[str, typer.Argument()],
    revoke: Annotated[bool, typer.Option(help="end the account's API tokens instead")] = False,
) -> None:
    """Print a new API token for the account (alone on the last line); shown only once."""
    days = load_policy(settings().policy_file).access.token_days
    with engine().begin() as conn:
        if revoke:
            n = service.revoke_tokens(conn, name, kind=TokenKind.api)
            service.audit(conn, actor=cli_actor(), action="tokens_revoked", target=name,
                          address=None, detail={"n": n})
            console.print(f"已撤销 {name} 的 {n} 个令牌")
            return
        secret = service.issue_token(conn, name, kind=TokenKind.api,
                                     lifetime=timedelta(days=days))
        service.audit(conn, actor=cli_actor(), action="token_issued", target=name,
                      address=None, detail={"days": days})
    console.print(f"{name} 的 API 令牌（{days} 天内有效，撤销：gridrisk user token {name} "
                  "--revoke）：")
    print(secret)


@app.command()
def passwd(
    name: Annotated[str, typer.Argument()],
    password: Annotated[str | None, typer.Option(
        help="default: GRIDRISK_PASSWORD, or asked")] = None,
) -> None:
    """Set a new password; the account's page sessions end."""
    with engine().begin() as conn:
        service.set_password(conn, name, password_given(password))
        service.audit(conn, actor=cli_actor(), action="password_set", target=name,
                      address=None)
    console.print(f"已更新 {name} 的密码")


def audit(
    actor: Annotated[str | None, typer.Option(help="only this account (or cli:USER)")] = None,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. sign_in_failed")]
    = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """The audit log, newest first: who, when, what, from which address."""
    with engine().connect() as conn:
        page = service.list_audit(conn, actor=actor, action=action, limit=limit)
    table = Table(title=f"审计日志（共 {page.total} 条）")
    for column in ("at", "actor", "action", "target", "address"):
        table.add_column(column)
    for entry in page.items:
        table.add_row(f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.actor, entry.action,
                      entry.target or "", entry.address or "")
    console.print(table)
