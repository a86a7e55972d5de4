"""gridrisk user add|list|disable|token|passwd and gridrisk audit: the administrator's
accounts and the audit log, on the database directly (whoever runs these holds the server)."""

from __future__ import annotations

import getpass
import os
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from gridrisk.cli.common import console, engine, settings
from gridrisk.cli.words import say
from gridrisk.errors import InvalidInput
from gridrisk.policy import load_policy
from gridrisk.vocab import Role, TokenKind

app = typer.Typer(no_args_is_help=True, help=say("账号：角色、所辖区域、API 令牌",
                                                 "Accounts: roles, regions, API tokens"))
PasswordOption = Annotated[str | None, typer.Option(help=say(
    "默认：GRIDRISK_PASSWORD，否则询问", "default: GRIDRISK_PASSWORD, or asked"))]
Name = Annotated[str, typer.Argument(help=say("账号", "the account"))]


def register(app: typer.Typer) -> None:
    app.command("audit", help=say("审计日志，最新的在前：谁、何时、做了什么、从哪个地址。",
                                  "The audit log, newest first: who, when, what, from which "
                                  "address."))(audit)


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


@app.command(help=say("添加账号，限于所辖区域（网格员：网格，或村社区的网格）。",
                      "Add an account scoped to regions (for a grid worker: cells, or "
                      "villages' cells)."))
def add(
    name: Annotated[str, typer.Argument(help=say(
        "登录名（网格员：其网格员编号）", "sign-in name (a grid worker's: their worker id)"))],
    role: Annotated[Role, typer.Option(help=say(
        "worker（网格员）、handler（承办人）、supervisor（主管）、planner（规划）或 admin"
        "（管理员）", "worker, handler, supervisor, planner or admin"))],
    region: Annotated[list[str], typer.Option(help=say(
        "区域代码（其下全部）或网格代码；可重复",
        "a region code (everything under it) or a cell code; repeat for more"))],
    password: PasswordOption = None,
) -> None:
    from gridrisk.access import service

    with engine().begin() as conn:
        user = service.add_user(conn, name, role=role, codes=region,
                                password=password_given(password))
        service.audit(conn, actor=cli_actor(), action="user_added", target=name, address=None,
                      detail={"role": role.value, "scope": region})
    console.print(f"已添加 {user.name}（{user.role.value}）：" + "、".join(
        [*user.regions, *user.cells]))


@app.command("list", help=say("全部账号及其角色、所辖区域。",
                              "Every account, its role and scope."))
def list_() -> None:
    from gridrisk.access import service

    with engine().connect() as conn:
        users = service.list_users(conn)
    table = Table()
    for column in (say("账号", "name"), say("角色", "role"), say("所辖区域", "scope"),
                   say("创建", "created"), say("停用", "disabled")):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, user.role.value, " ".join([*user.regions, *user.cells]),
                      f"{user.created_at:%Y-%m-%d}",
                      f"{user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "")
    console.print(table)


@app.command(help=say("该账号不能再登录；其会话与令牌即刻失效。",
                      "No more sign-ins for the account; its sessions and tokens end now."))
def disable(name: Name) -> None:
    from gridrisk.access import service

    with engine().begin() as conn:
        service.disable_user(conn, name)
        service.audit(conn, actor=cli_actor(), action="user_disabled", target=name,
                      address=None)
    console.print(f"已停用 {name}")


@app.command(help=say("为该账号打印一个新的 API 令牌（单独在最后一行）；只显示这一次。",
                      "Print a new API token for the account (alone on the last line); "
                      "shown only once."))
def token(
    name: Name,
    revoke: Annotated[bool, typer.Option(help=say(
        "改为撤销该账号的全部 API 令牌", "end the account's API tokens instead"))] = False,
) -> None:
    from gridrisk.access import service

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


@app.command(help=say("设置新密码；该账号的页面会话随即结束。",
                      "Set a new password; the account's page sessions end."))
def passwd(name: Name, password: PasswordOption = None) -> None:
    from gridrisk.access import service

    with engine().begin() as conn:
        service.set_password(conn, name, password_given(password))
        service.audit(conn, actor=cli_actor(), action="password_set", target=name,
                      address=None)
    console.print(f"已更新 {name} 的密码")


def audit(
    actor: Annotated[str | None, typer.Option(help=say(
        "只看该账号（或 cli:用户名）", "only this account (or cli:USER)"))] = None,
    action: Annotated[str | None, typer.Option(help=say(
        "只看该操作，例如 sign_in_failed", "only this action, e.g. sign_in_failed"))] = None,
    limit: Annotated[int, typer.Option(min=1, help=say("最多列出", "at most this many"))] = 50,
) -> None:
    from gridrisk.access import service

    with engine().connect() as conn:
        page = service.list_audit(conn, actor=actor, action=action, limit=limit)
    table = Table(title=f"审计日志（共 {page.total} 条）")
    for column in (say("时间", "at"), say("操作者", "actor"), say("操作", "action"),
                   say("对象", "target"), say("地址", "address")):
        table.add_column(column)
    for entry in page.items:
        table.add_row(f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.actor, entry.action,
                      entry.target or "", entry.address or "")
    console.print(table)
