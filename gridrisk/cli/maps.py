"""gridrisk map: a cycle's risk map as one HTML file that opens with no network."""

from pathlib import Path
from typing import Annotated

import typer

from gridrisk.cli.common import console, engine, settings
from gridrisk.cli.words import say
from gridrisk.errors import InvalidInput
from gridrisk.vocab import labels


def register(app: typer.Typer) -> None:
    app.command("map", help=say(
        "写出一个周期的风险地图，脚本与样式全部内嵌：从文件打开，无网络的机器也能看。",
        "Write a cycle's map with every script and style inlined: it opens from a file, on "
        "a machine with no network."))(map_)


def map_(
    out: Annotated[Path, typer.Argument(help=say("写入的 HTML 文件", "the HTML file to write"))],
    cycle: Annotated[int | None, typer.Option(help=say(
        "周期编号（默认：最近一次）", "cycle id (default: the latest)"))] = None,
    region: Annotated[str | None, typer.Option(help=say(
        "区域代码（默认：周期的区域）", "region code (default: the cycle's region)"))] = None,
    lang: Annotated[str, typer.Option(help=say("zh 或 en", "zh or en"))] = "zh",
) -> None:
    from gridrisk.cycles.mapping import cycle_map_frames
    from gridrisk.cycles.results import get_cycle, latest_cycle
    from maps.cycle import cycle_map

    if out.suffix.lower() not in (".html", ".htm"):
        raise InvalidInput("out", f"{out.name}: the file must end in .html")
    config = settings()
    with engine().connect() as conn:
        chosen = get_cycle(conn, cycle) if cycle is not None else latest_cycle(conn)
        cells, cases, outlines = cycle_map_frames(conn, chosen.id, region)
    title = (f"周期 {chosen.id}：{chosen.as_of} {chosen.cadence.value}" if lang == "zh" else
             f"Cycle {chosen.id}: {chosen.as_of} {chosen.cadence.value}")
    html = cycle_map(cells, cases, outlines=outlines, lang=lang, title=title,
                     tile_url=config.tile_url, tile_attribution=config.tile_attribution,
                     asset_url=None, code_labels=labels(lang))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    console.print(f"地图已写入 {out}（{len(html.encode()) / 1e6:.1f} MB，{len(cells)} 个网格，"
                  f"{len(cases)} 件在办事项）")
