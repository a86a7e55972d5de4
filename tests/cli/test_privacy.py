"""The privacy commands as a user runs them: import with contacts, export with and without
them, purge, backup and restore into a fresh embedded cluster."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch
from gridrisk.privacy.service import opened_contacts
from gridrisk.privacy.vault import Vault

from ..accounts import PASSWORD, account
from ..bundle.conftest import COUNTY, write_contacts, write_tiny_bundle
from .test_commands import gridrisk


def add_account(url: str, role: str, name: str) -> None:
    engine = create_engine(url)
    try:
        account(engine, role, [COUNTY], name)
    finally:
        engine.dispose()


@pytest.fixture
def env(scratch_url: str, tmp_path: Path) -> dict[str, str]:
    return {"GRIDRISK_DATABASE_URL": scratch_url, "GRIDRISK_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def imported(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    bundle = write_contacts(write_tiny_bundle(tmp_path / "tiny"))
    result = gridrisk("import", str(bundle), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "联系方式（加密）" in result.stdout
    return env


def test_import_makes_the_key_in_the_data_directory(imported: dict[str, str]) -> None:
    key = Path(imported["GRIDRISK_DATA_DIR"]) / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_export_with_and_without_contacts(imported: dict[str, str], tmp_path: Path,
                                          scratch_url: str) -> None:
    add_account(scratch_url, "admin", "exporter")
    plain = gridrisk("export", "--region", COUNTY, str(tmp_path / "plain"), env=imported,
                     cwd=tmp_path)
    full = gridrisk("export", "--region", COUNTY, "--with-contacts", "--admin", "exporter",
                    str(tmp_path / "full"), env={**imported, "GRIDRISK_PASSWORD": PASSWORD},
                    cwd=tmp_path)

    assert plain.returncode == 0 and full.returncode == 0, plain.stderr + full.stderr
    assert not (tmp_path / "plain" / "contacts.csv").exists()
    contacts = pd.read_csv(tmp_path / "full" / "contacts.csv", dtype=str)
    assert contacts["phone"].tolist()[:2] == ["13812348000", "0371-61234567"]
    assert "联系方式明文" in full.stdout
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        exports = conn.execute(text("SELECT actor, detail->>'with_contacts' FROM audit_log "
                                    "WHERE action = 'export' ORDER BY id")).all()
    engine.dispose()
    assert [tuple(e) for e in exports][-1] == ("exporter", "true")


@pytest.mark.parametrize(("role", "admin", "password", "said"), [
    (None, None, PASSWORD, "--admin: an export with contacts names the administrator"),
    ("planner", "a-planner", PASSWORD, "only an administrator may export"),
    ("admin", "an-admin", "wrong password", "sign"),
])
def test_an_export_with_contacts_needs_an_administrator(
        imported: dict[str, str], tmp_path: Path, scratch_url: str, role: str | None,
        admin: str | None, password: str, said: str) -> None:
    if role:
        add_account(scratch_url, role, admin or "")
    refused = gridrisk("export", "--region", COUNTY, "--with-contacts",
                       *(["--admin", admin] if admin else []), str(tmp_path / "full"),
                       env={**imported, "GRIDRISK_PASSWORD": password}, cwd=tmp_path)
    assert refused.returncode != 0
    assert said in refused.stderr.replace("\n", " ").lower() or said in refused.stderr
    assert not (tmp_path / "full").exists()


def test_purge_dry_run_counts_then_purge_erases(imported: dict[str, str], tmp_path: Path,
                                                scratch_url: str) -> None:
    """C2's last event was on 2025-04-01: a one-year retention is past."""
    policy = tmp_path / "policy.toml"
    policy.write_text("[privacy]\ncontact_retention_years = 1\n", encoding="utf-8")
    env = {**imported, "GRIDRISK_POLICY_FILE": str(policy)}

    counted = gridrisk("privacy", "purge", "--dry-run", env=env, cwd=tmp_path)
    erased = gridrisk("privacy", "purge", env=env, cwd=tmp_path)
    again = gridrisk("privacy", "purge", env=env, cwd=tmp_path)

    assert counted.returncode == 0, counted.stderr
    assert "将清除 1 条联系方式" in counted.stdout
    assert "已清除 1 条联系方式" in erased.stdout and "已清除 0 条" in again.stdout
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        held = conn.execute(text("SELECT case_id FROM contacts ORDER BY 1")).scalars().all()
    engine.dispose()
    assert held == ["C1", "C3"]


@pytest.fixture
def fresh_data_dir() -> Iterator[Path]:
    """A data directory the unprivileged server user can reach, for an embedded cluster that
    `gridrisk restore` creates; destroyed afterwards."""
    root = reachable_scratch("gridrisk-restore-")
    yield root / "data"
    if (root / "data" / "pg.json").exists():
        EmbeddedCluster(root / "data").destroy()
    shutil.rmtree(root, ignore_errors=True)


def every_table(url: str) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of every row's text, in order, per table (read in UTC)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SET TimeZone = 'UTC'"))
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = "
                                   "'public' ORDER BY 1")).scalars().all()
        found = {table: tuple(conn.execute(text(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
            f" FROM {table} t")).one()) for table in tables}
    engine.dispose()
    return found


@pytest.mark.slow
def test_backup_restores_into_a_fresh_embedded_cluster(
        imported: dict[str, str], scratch_url: str, tmp_path: Path,
        fresh_data_dir: Path) -> None:
    archive = tmp_path / "gridrisk.tar"
    backed = gridrisk("backup", str(archive), env=imported, cwd=tmp_path)
    assert backed.returncode == 0, backed.stderr
    assert archive.stat().st_mode & 0o777 == 0o600 and "备份内含联系方式密钥" in backed.stdout

    fresh = {"GRIDRISK_DATA_DIR": str(fresh_data_dir)}
    restored = gridrisk("restore", str(archive), env=fresh, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "逐表核对行数与校验和一致" in restored.stdout

    fresh_url = EmbeddedCluster(fresh_data_dir).url
    source, copy = every_table(scratch_url), every_table(fresh_url)
    assert {"cases", "case_events", "contacts", "alembic_version"} <= set(source)
    assert copy == source
    key = fresh_data_dir / "secret.key"
    assert key.read_bytes() == (Path(imported["GRIDRISK_DATA_DIR"]) / "secret.key").read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert opened_contacts(conn, Vault(key), ["C1"])["C1"]["name"] == "欧阳建华"
    engine.dispose()

    twice = gridrisk("restore", str(archive), env=fresh, cwd=tmp_path)
    assert twice.returncode == 1 and "is not empty" in twice.stderr
    replaced = gridrisk("restore", "--replace", str(archive), env=fresh, cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert every_table(fresh_url) == source


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, env: dict[str, str]) -> None:
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"not a tar file")
    result = gridrisk("restore", str(bogus), env=env, cwd=tmp_path)
    assert result.returncode == 1 and "not a gridrisk backup" in result.stderr
