"""gridrisk db start|stop|status|url|upgrade."""

import typer

from gridrisk.cli.common import console, settings
from gridrisk.cli.words import say
from gridrisk.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help=say("嵌入式数据库（PostgreSQL + PostGIS）",
                                                 "The embedded database (PostgreSQL + PostGIS)"))


def _embedded_only(command: str) -> None:
    if settings().database_url:
        raise InvalidInput("GRIDRISK_DATABASE_URL",
                           f"is set, so 'db {command}' has no embedded cluster to manage")


@app.command(help=say("创建（首次）并启动嵌入式数据库。",
                      "Create (first time) and start the embedded cluster."))
def start() -> None:
    from gridrisk.db.engine import embedded_cluster

    _embedded_only("start")
    cluster = embedded_cluster(settings())
    with console.status("启动数据库…"):
        cluster.start()
    console.print(f"数据库已启动：端口 {cluster.status().port}，数据目录 {cluster.pgdata}")


@app.command(help=say("停止嵌入式数据库；数据保留。",
                      "Stop the embedded cluster; its data stays."))
def stop() -> None:
    from gridrisk.db.engine import embedded_cluster

    _embedded_only("stop")
    embedded_cluster(settings()).stop()
    console.print("数据库已停止")


@app.command(help=say("嵌入式数据库是否已创建、是否在运行。",
                      "Whether the embedded cluster exists and runs."))
def status() -> None:
    from gridrisk.db.engine import embedded_cluster

    if settings().database_url:
        console.print("使用外部数据库（GRIDRISK_DATABASE_URL）")
        return
    state = embedded_cluster(settings()).status()
    if not state.initialised:
        console.print(f"尚未创建（数据目录 {state.data_dir}）")
        raise typer.Exit(3)
    word = "运行中" if state.running else "已停止"
    console.print(f"{word}：端口 {state.port}，数据目录 {state.data_dir}")
    raise typer.Exit(0 if state.running else 3)


@app.command(help=say("打印数据库的 SQLAlchemy URL（必要时先启动嵌入式数据库）。",
                      "Print the SQLAlchemy URL of the database (starting the embedded one "
                      "if need be)."))
def url() -> None:
    from gridrisk.db.engine import database_url

    print(database_url(settings()))


@app.command(help=say("执行数据库结构迁移。", "Apply the schema migrations."))
def upgrade() -> None:
    from gridrisk.db.engine import open_engine

    engine = open_engine(settings())
    console.print(f"数据库结构已是最新（{engine.url.host}:{engine.url.port}）")
