"""gridrisk serve: the HTTP service under uvicorn."""

from typing import Annotated

import typer

from gridrisk.cli.common import console, engine, settings
from gridrisk.cli.words import say


def register(app: typer.Typer) -> None:
    app.command("serve", help=say("启动 HTTP 服务（先启动并迁移数据库）。",
                                  "Start the HTTP service (the database is started and "
                                  "migrated first)."))(serve)


def serve(
    host: Annotated[str, typer.Option(help=say(
        "监听地址；默认只有本机可访问（对外服务请在前面加 TLS 代理：docs/running.md）",
        "address to listen on; only this machine by default (put a TLS proxy in front "
        "to serve others: docs/running.md)"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=say("监听端口", "port to listen on"))] = 8000,
    workers: Annotated[int, typer.Option(min=1, help=say("工作进程数", "worker processes"))]
    = 1,
) -> None:
    import uvicorn

    engine().dispose()  # start the embedded cluster and migrate once, before the workers
    base = f"http://{host}:{port}"
    console.print(f"登录：{base}/sign-in    风险地图与工作清单：{base}/\n"
                  f"网格员页面：{base}/pages/worker    GIS（OGC API – Features）：{base}/ogc\n"
                  f"接口文档：{base}/docs    健康检查：{base}/health")
    uvicorn.run("api.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning", proxy_headers=True,
                forwarded_allow_ips=settings().forwarded_allow_ips)
