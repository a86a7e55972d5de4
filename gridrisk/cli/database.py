"""gridrisk db start|stop|status|url|upgrade."""

import typer

from gridrisk.cli.common import console, settings
from gridrisk.db.engine import embedded_cluster, open_engine
from gridrisk.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help="嵌入式数据库（PostgreSQL + PostGIS）")


def _embedded_only(command: str) -> None:
    if settings().database_url:
        raise InvalidInput("GRIDRISK_DATABASE_URL",
                           f"is set, so 'db {command}' has no embedded cluster to manage")


@app.command()
def start() -> None:
    """Create (first time) and start the embedded cluster."""
    _embedded_only("start")
    cluster = embedded_cluster(settings())
    with console.status("启动数据库…"):
        cluster.start()
    console.print(f"数据库已启动：端口 {cluster.status().port}，数据目录 {cluster.pgdata}")


@app.command()
def stop() -> None:
    """Stop the embedded cluster; its data stays."""
    _embedded_only("stop")
    embedded_cluster(settings()).stop()
    console.print("数据库已停止")


@app.command()
def status() -> None:
    """Whether the embedded cluster exists and runs."""
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


@app.command()
def url() -> None:
    """Print the SQLAlchemy URL of the database (starting the embedded one if need be)."""
    from gridrisk.db.engine import database_url

    print(database_url(settings()))


@app.command()
def upgrade() -> None:
    """Apply the schema migrations."""
    engine = open_engine(settings())
    console.print(f"数据库结构已是最新（{engine.url.host}:{engine.url.port}）")
