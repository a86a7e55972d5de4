"""gridrisk backup / restore: the database and the secret key file in one archive."""

from pathlib import Path
from typing import Annotated

import typer

from gridrisk.cli.common import console, settings
from gridrisk.cli.words import say


def register(app: typer.Typer) -> None:
    app.command("backup", help=say(
        "把整个数据库和密钥文件备份到一个归档（仅属主可读：它能打开诉求人的联系方式）。",
        "Back up the whole database and the secret key file into one archive (readable by "
        "its owner only: it opens the complainants' contacts)."))(backup_command)
    app.command("restore", help=say(
        "把备份恢复到数据库（必要时创建嵌入式数据库），密钥文件恢复到 "
        "GRIDRISK_SECRET_KEY_FILE；逐表与备份核对。",
        "Restore a backup into the database (the embedded one is created if need be) and "
        "its key file to GRIDRISK_SECRET_KEY_FILE; every table is checked against the "
        "backup."))(restore_command)


def backup_command(out: Annotated[Path, typer.Argument(help=say(
        "写入的归档（例如 gridrisk-2026-12-02.tar）",
        "the archive to write (e.g. gridrisk-2026-12-02.tar)"))]) -> None:
    from gridrisk.db.backup import back_up
    from gridrisk.db.engine import database_url

    config = settings()
    with console.status("备份数据库…"):
        manifest = back_up(database_url(config), out, key_file=config.secret_key_path,
                           bin_dir=config.pg_bin_dir)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    console.print(f"已备份到 {out}（{out.stat().st_size / 1e6:.1f} MB，{len(manifest['tables'])} "
                  f"张表，{rows} 行）")
    if manifest["with_key"]:
        console.print("[bold yellow]注意[/]：备份内含联系方式密钥，持有备份即可读取联系方式明文；"
                      "请像保管密钥一样保管备份（见 docs/privacy.md）。")


def restore_command(
    archive: Annotated[Path, typer.Argument(help=say(
        "gridrisk backup 写出的归档", "an archive written by gridrisk backup"))],
    replace: Annotated[bool, typer.Option("--replace", help=say(
        "替换数据库现有内容（默认：数据库必须为空）",
        "replace what the database holds (default: it must be empty)"))] = False,
) -> None:
    from gridrisk.db.backup import restore
    from gridrisk.db.engine import database_url, open_engine

    config = settings()
    with console.status("恢复数据库…"):
        manifest = restore(database_url(config), archive, key_file=config.secret_key_path,
                           replace=replace, bin_dir=config.pg_bin_dir)
    open_engine(config).dispose()  # a backup from an older gridrisk is brought to the head
    rows = sum(t["rows"] for t in manifest["tables"].values())
    console.print(f"已从 {archive}（{manifest['created_at']} 备份）恢复 {len(manifest['tables'])} "
                  f"张表、{rows} 行，逐表核对行数与校验和一致")
    if manifest["with_key"]:
        console.print(f"联系方式密钥已恢复到 {config.secret_key_path}")
