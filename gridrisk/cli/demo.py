"""gridrisk demo-data and gridrisk demo: the synthetic county, and the newcomer's one command."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from gridrisk.cli.bundle import show_report
from gridrisk.cli.common import console, engine, parse_day, progress_bar, settings
from gridrisk.cli.cycle import show_cycle
from gridrisk.cli.maps import map_
from gridrisk.cli.model import train_demo_model
from gridrisk.cli.serve import serve
from gridrisk.cli.user import cli_actor
from gridrisk.cli.words import say
from gridrisk.policy import load_policy
from gridrisk.vocab import Role

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection, Engine

    from gridrisk.settings import Settings

#: the keys of gridrisk.synthetic.SCALES, here so that --help need not load the generator
#: (tests/cli/test_startup.py checks they agree)
SCALE_NAMES = ("small", "medium", "large")
Scale = Annotated[str, typer.Option(help=say(
    f"县的规模：{'、'.join(SCALE_NAMES)}", f"county size: {', '.join(SCALE_NAMES)}"))]
#: the name of the demo's first administrator
ADMIN = "admin"


def register(app: typer.Typer) -> None:
    app.command("demo-data", help=say(
        "生成一个合成的演示县数据包（按需附其真实概率）。",
        "Generate a synthetic demo county as a bundle (and, on request, its oracle)."))(
        demo_data)
    app.command("demo", help=say(
        "主流程：启动数据库，生成并导入演示县，概况，训练风险模型，运行每周排查周期并写出"
        "地图，然后启动服务。",
        "The main job: start the database, generate and import the demo county, summarise, "
        "train the risk model, run a weekly screening cycle and write its map, then start "
        "the service."))(demo)


def _check_scale(scale: str) -> None:
    if scale not in SCALE_NAMES:
        raise typer.BadParameter(f"'{scale}' is not one of {', '.join(SCALE_NAMES)}",
                                 param_hint="--scale")


def demo_data(
    out: Annotated[Path, typer.Argument(help=say(
        "写入数据包的文件夹", "folder to write the bundle into"))],
    seed: Annotated[int, typer.Option(help=say(
        "种子相同，县就相同", "same seed, same county"))] = 1,
    scale: Scale = "small",
    oracle_as_of: Annotated[list[str] | None, typer.Option("--oracle-as-of", help=say(
        "同时写出 oracle.csv：该日结束时在办事项每种结局的真实概率（可重复）",
        "also write oracle.csv: the true probability of each outcome for the cases open at "
        "the end of this day (repeatable)"))] = None,
    oracle_horizon: Annotated[list[int] | None, typer.Option("--oracle-horizon", help=say(
        "真实概率的预测期（天，可重复；默认 30）",
        "the oracle's horizons in days (repeatable; default 30)"))] = None,
) -> None:
    from gridrisk.synthetic import DEMO_END_ON, generate_bundle
    from gridrisk.synthetic.oracle import window_days, write_oracle

    _check_scale(scale)
    days = [d for d in (parse_day(value, "oracle_as_of") for value in oracle_as_of or [])
            if d is not None]
    horizons = oracle_horizon or [30]
    window_days(DEMO_END_ON, days, horizons)  # a bad day is refused before any work
    with progress_bar() as progress:
        counts = generate_bundle(out, seed=seed, scale=scale, progress=progress)
    console.print(f"已生成 {out}：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    if days:
        with progress_bar("真实概率（重新模拟）") as progress:
            path = write_oracle(out, seed=seed, scale=scale, end_on=DEMO_END_ON, as_of=days,
                                horizons=horizons, progress=progress)
        console.print(f"真实概率：{path}（仅供评测，不可作为特征导入）")


def demo(
    seed: Annotated[int, typer.Option(help=say("演示县的种子", "seed of the demo county"))]
    = 1,
    scale: Scale = "medium",
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help=say(
        "最后启动 HTTP 服务", "start the HTTP service at the end"))] = True,
    port: Annotated[int, typer.Option(help=say("HTTP 服务的端口", "port of the HTTP service"))]
    = 8000,
) -> None:
    from gridrisk.bundle.service import import_bundle
    from gridrisk.cases.service import latest_data_on
    from gridrisk.cycles.results import cycle_cells
    from gridrisk.cycles.run import CycleInputs, run_cycle
    from gridrisk.privacy.vault import Vault
    from gridrisk.reports.summary import township_summary
    from gridrisk.synthetic import generate_bundle

    _check_scale(scale)
    config = settings()
    bundle = config.data_path / "demo" / f"county-{scale}-seed{seed}"
    db = engine()
    console.rule("1. 生成演示县数据")
    if not (bundle / "screenings.csv").exists():
        with progress_bar() as progress:
            generate_bundle(bundle, seed=seed, scale=scale, progress=progress)
    console.print(f"演示数据：{bundle}")
    console.rule("2. 导入")
    policy = load_policy(config.policy_file)
    with db.begin() as conn, progress_bar() as progress:
        report = import_bundle(conn, bundle, timezone=config.timezone, policy=policy.deadlines,
                               vault=Vault.of(config), privacy=policy.privacy,
                               progress=progress)
    show_report(report)
    with db.begin() as conn:
        first_administrator(conn)
    console.rule("3. 概况")
    with db.connect() as conn:
        as_of = latest_data_on(conn, timezone=config.timezone)
        if as_of is None:
            console.print("数据库中没有信访事项")
            return
        summary = township_summary(conn, as_of=as_of, policy=policy.deadlines,
                                   screening_policy=policy.screening,
                                   timezone=config.timezone)
    show_summary(summary, as_of)
    console.print(f"\n数据库：{db.url.render_as_string(hide_password=True)}")
    console.print(f"数据目录：{config.data_path}")
    console.print(f"联系方式密钥：{config.secret_key_path}（丢失则联系方式无法读取，"
                  "见 docs/privacy.md）")
    console.rule("4. 风险模型（30 天预测期）")
    model_id = train_demo_model()
    console.rule("5. 每周排查周期")
    with db.begin() as conn, progress_bar("排查周期") as progress:
        cycle = run_cycle(conn, CycleInputs.of(config), cadence="weekly", as_of=as_of,
                          model_id=model_id, progress=progress)
    with db.connect() as conn:
        show_cycle(cycle, cycle_cells(conn, cycle.id, limit=10))
    console.print(f"工作清单：gridrisk cycle worklist 网格代码 --cycle {cycle.id}；"
                  f"分派建议：gridrisk cycle assignments --cycle {cycle.id}")
    map_(config.data_path / "maps" / f"cycle-{cycle.id}.html", cycle=cycle.id)
    console.rule("6. 月通报")
    write_bulletin(db, as_of, config)
    if serve_after:
        console.rule("7. 服务")
        serve(host="127.0.0.1", port=port, workers=1)


def write_bulletin(db: Engine, as_of: date, config: Settings) -> None:
    """The monthly bulletin of the data's last month, as HTML, PDF and XLSX."""
    from sqlalchemy import text

    from gridrisk.access.scope import EVERYTHING
    from gridrisk.reports.periodic import Request, build_report
    from gridrisk.reports.periods import period_of
    from gridrisk.reports.render import write_files

    with db.connect() as conn:
        region = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL "
                                   "ORDER BY code LIMIT 1")).scalar_one()
        doc = build_report("monthly", Request(
            conn, region, period_of("month", as_of), config.lang, EVERYTHING,
            load_policy(config.policy_file), config.timezone, date.today()))
    for path in write_files(doc, config.data_path / "reports"):
        console.print(f"{doc.title}：{path}")
    console.print(f"其他报告：gridrisk report weekly|monthly|quarterly --region {region} "
                  "--period … --out 文件夹；台账：gridrisk ledger 台账.xlsx --region …")


def first_administrator(conn: Connection) -> None:
    """The demo's administrator, made once with a new password shown once, holding every
    top region; later demos leave it as it is."""
    from sqlalchemy import text

    from gridrisk.access import service as access

    if any(user.role == Role.admin for user in access.list_users(conn)):
        console.print(f"管理员账号已存在（gridrisk user list；改密码：gridrisk user passwd "
                      f"{ADMIN}）")
        return
    tops = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL "
                             "ORDER BY code")).scalars().all()
    password = access.new_password()
    access.add_user(conn, ADMIN, role=Role.admin, codes=tops, password=password)
    access.audit(conn, actor=cli_actor(), action="user_added", target=ADMIN, address=None,
                 detail={"role": Role.admin.value, "scope": list(tops)})
    console.print(f"首个管理员账号：[bold]{ADMIN}[/]  密码：[bold]{password}[/]"
                  "（只显示这一次；其他账号：gridrisk user add）")


def show_summary(summary: pd.DataFrame, as_of: date) -> None:
    table = Table(title=f"截至 {as_of} 各乡镇（街道）概况")
    for column in ("乡镇（街道）", "网格", "在办事项", "超期事项", "近4周排查覆盖率"):
        table.add_column(column, justify="left" if column.startswith("乡镇") else "right")
    for row in summary.to_dict("records"):
        rate = f"{row['coverage_done'] / row['coverage_due']:.0%}" if row["coverage_due"] else "—"
        table.add_row(row["township"], str(row["cells"]), str(row["open"]), str(row["overdue"]),
                      rate)
    total_due = summary["coverage_due"].sum()
    table.add_row("合计", str(summary["cells"].sum()), str(summary["open"].sum()),
                  str(summary["overdue"].sum()),
                  f"{summary['coverage_done'].sum() / total_due:.0%}" if total_due else "—",
                  style="bold")
    console.print(table)
