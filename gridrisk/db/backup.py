"""Backups: the whole database (pg_dump's directory format, each table compressed) and the
secret key file in one tar archive, with a manifest of every table's row count and checksum;
`restore` puts both back and checks every table against the manifest before it says done.

The archive holds the key: whoever has it can read the contacts. It is written readable by
its owner only; keep it where the key itself would be kept (docs/privacy.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from psycopg.conninfo import make_conninfo
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from gridrisk import __version__
from gridrisk.db.embedded import find_pg_bin_dir
from gridrisk.db.engine import alembic_config, current_revision
from gridrisk.errors import Conflict, InvalidInput, Unavailable

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database"
KEY = "secret.key"
#: an order-free checksum of a table: the sum of the first 64 bits of each row's md5
TABLE_SUM = ("SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)"
             "::bigint::numeric), 0)::text FROM {table} t")


class RestoreMismatch(Unavailable):
    slug = "restore-mismatch"
    title = "Restored database differs from the backup"


def table_sums(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every table of the schema: its rows and checksum (times read in UTC)."""
    conn.execute(text("SET TimeZone = 'UTC'"))
    tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                               "ORDER BY tablename")).scalars().all()
    sums = {}
    for table in tables:
        rows, checksum = conn.execute(text(TABLE_SUM.format(table=f'"{table}"'))).one()
        sums[table] = {"rows": rows, "checksum": checksum}
    return sums


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the PostgreSQL tools, the password in their
    environment (never on a command line others can read)."""
    parsed = make_url(url)
    conninfo = make_conninfo(host=parsed.host or "", port=str(parsed.port or 5432),
                             user=parsed.username or "", dbname=parsed.database or "")
    return conninfo, {**os.environ, "PGPASSWORD": parsed.password or ""}


def _run(tool: Path, *args: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(tool), *args], capture_output=True, text=True, env=env,
                            check=False)
    if result.returncode != 0:
        raise Unavailable(f"{tool.name} failed: {result.stderr.strip()[-2000:]}")


def back_up(url: str, out: Path, *, key_file: Path, bin_dir: Path | None = None
            ) -> dict[str, Any]:
    """Write the archive `out` (mode 0600); returns its manifest. pg_dump reads the same
    snapshot the manifest's checksums are taken in, so both describe one moment."""
    tools = find_pg_bin_dir(bin_dir)
    conninfo, env = _libpq(url)
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, \
                tempfile.TemporaryDirectory() as scratch:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            sums = table_sums(conn)
            key_id = _stored_key_id(conn)
            revision = _revision(conn)
            if key_id is not None and not key_file.exists():
                raise Unavailable(f"the database holds contacts sealed with key {key_id}, but "
                                  f"there is no key file at {key_file}: a backup without it "
                                  "could never open them")
            folder = Path(scratch)
            _run(tools / "pg_dump", "--format=directory", f"--file={folder / DATABASE}",
                 f"--snapshot={snapshot}", "--no-owner", "--no-privileges",
                 f"--dbname={conninfo}", env=env)
            conn.rollback()
            manifest = {"format": FORMAT, "gridrisk": __version__,
                        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "revision": revision, "key_id": key_id,
                        "with_key": key_file.exists(), "tables": sums}
            (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
            if key_file.exists():
                shutil.copyfile(key_file, folder / KEY)
            _write_archive(folder, Path(out))
    finally:
        engine.dispose()
    return manifest


def _stored_key_id(conn: Connection) -> str | None:
    exists = conn.execute(text("SELECT to_regclass('public.contacts') IS NOT NULL")).scalar()
    return conn.execute(text("SELECT key_id FROM contacts LIMIT 1")).scalar() if exists else None


def _revision(conn: Connection) -> str | None:
    exists = conn.execute(text("SELECT to_regclass('public.alembic_version') IS NOT NULL")
                          ).scalar()
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if (
        exists) else None


def _write_archive(folder: Path, out: Path) -> None:
    """Written beside `out` and renamed into place: a failed backup never leaves half an
    archive under the name of a good one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    draft = out.with_name(f".{out.name}.partial")
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(handle, "wb") as file, tarfile.open(fileobj=file, mode="w") as archive:
            for path in sorted(folder.rglob("*")):
                archive.add(path, arcname=str(path.relative_to(folder)), recursive=False)
        os.replace(draft, out)
    finally:
        draft.unlink(missing_ok=True)


@contextmanager
def _unpacked(archive: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if not archive.exists():
        raise InvalidInput("in", f"{archive}: no such file")
    with tempfile.TemporaryDirectory() as scratch:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise InvalidInput("in", f"{archive.name}: not a gridrisk backup ({exc})") from exc
        folder = Path(scratch)
        if not (folder / MANIFEST).exists() or not (folder / DATABASE / "toc.dat").exists():
            raise InvalidInput("in", f"{archive.name}: not a gridrisk backup (no manifest or "
                               "database dump inside)")
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            raise InvalidInput("in", f"{archive.name}: backup format {manifest.get('format')}, "
                               f"this gridrisk reads format {FORMAT}")
        yield folder, manifest


def restore(url: str, archive: Path, *, key_file: Path, replace: bool = False,
            bin_dir: Path | None = None) -> dict[str, Any]:
    """Restore the archive into the database at `url` and its key to `key_file`, then check
    every table's rows and checksum against the manifest. The database must be empty unless
    `replace` (then what the backup holds replaces what is there, in one transaction); a
    different key file already in place is kept beside the restored one, never lost."""
    tools = find_pg_bin_dir(bin_dir)
    conninfo, env = _libpq(url)
    engine = create_engine(url)
    try:
        with _unpacked(Path(archive)) as (folder, manifest):
            _check_revision(manifest)
            _check_target(engine, replace=replace)
            options = ["--clean", "--if-exists"] if replace else []
            _run(tools / "pg_restore", "--single-transaction", "--no-owner", "--no-privileges",
                 "--exit-on-error", *options, f"--dbname={conninfo}", str(folder / DATABASE),
                 env=env)
            if (folder / KEY).exists():
                _install_key(folder / KEY, key_file)
            with engine.connect() as conn:
                restored = table_sums(conn)
            _compare(manifest["tables"], restored)
    finally:
        engine.dispose()
    return manifest


def _check_revision(manifest: dict[str, Any]) -> None:
    revision = manifest.get("revision")
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config("")).walk_revisions()}
    if revision and revision not in known:
        raise InvalidInput("in", f"the backup's schema is at revision {revision}, which this "
                           f"gridrisk does not know (the backup is from gridrisk "
                           f"{manifest.get('gridrisk')}): restore it with that version or newer")


def _check_target(engine: Engine, *, replace: bool) -> None:
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'spatial_ref_sys' ORDER BY 1")).scalars().all()
    if tables and not replace:
        raise Conflict(f"the database at {engine.url.host}:{engine.url.port}/"
                       f"{engine.url.database} is not empty (schema revision "
                       f"{current_revision(engine)}, {len(tables)} tables): restore into an "
                       "empty database, or pass --replace to replace what it holds")


def _compare(expected: dict[str, Any], restored: dict[str, Any]) -> None:
    differing = sorted(t for t in expected.keys() | restored.keys()
                       if expected.get(t) != restored.get(t))
    if differing:
        raise RestoreMismatch(f"restored tables differ from the backup's manifest: "
                              f"{', '.join(differing)}")


def _install_key(restored: Path, key_file: Path) -> None:
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if key_file.exists():
        if key_file.read_bytes() == restored.read_bytes():
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        key_file.rename(key_file.with_name(f"{key_file.name}.replaced-{stamp}"))
    draft = key_file.with_name(f".{key_file.name}.restoring")
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(restored.read_bytes())
    os.replace(draft, key_file)
