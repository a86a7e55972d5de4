"""The gridrisk command as a user runs it: a real process, a real database, real files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine

from gridrisk.access.service import sign_in
from gridrisk.policy import AccessPolicy

from ..bundle.conftest import CASES, COUNTY, write_tiny_bundle
from ..bundle.test_import import rewrite_cases

#: a script, style sheet or image loaded from another host
REMOTE = re.compile(r"""<(script|link|img)[^>]*(src|href)=["']?(https?:)?//""")


def gridrisk(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gridrisk", *args], capture_output=True,
                          text=True, env={**os.environ, **env, "COLUMNS": "200"}, cwd=cwd,
                          timeout=300, check=False)


@pytest.fixture
def env(scratch_url: str, tmp_path: Path) -> dict[str, str]:
    return {"GRIDRISK_DATABASE_URL": scratch_url, "GRIDRISK_DATA_DIR": str(tmp_path / "data")}


def test_import_twice_then_export(env: dict[str, str], tmp_path: Path) -> None:
    bundle = write_tiny_bundle(tmp_path / "tiny")

    first = gridrisk("import", str(bundle), env=env, cwd=tmp_path)
    again = gridrisk("import", str(bundle), env=env, cwd=tmp_path)
    exported = gridrisk("export", "--region", COUNTY, str(tmp_path / "out"), env=env,
                        cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert "导入完成（第 1 次导入）" in first.stdout
    assert again.returncode == 0 and "导入完成（第 2 次导入）" in again.stdout
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "case_events.csv", "cases.csv", "cells.geojson", "regions.geojson", "screenings.csv"]
    assert len(pd.read_csv(tmp_path / "out" / "cases.csv")) == len(CASES)


def test_bad_rows_write_nothing_and_list_the_problems(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    bundle = write_tiny_bundle(tmp_path / "tiny")
    rewrite_cases(bundle, [{**CASES[0], "channel": "fax"}, *CASES[1:]])

    result = gridrisk("import", str(bundle), env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert "未写入任何数据" in result.stdout
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    first = rejects.iloc[0]
    assert (first["file"], first["line"], first["column"]) == ("cases.csv", 2, "channel")
    export = gridrisk("export", "--region", COUNTY, str(tmp_path / "out"), env=env,
                      cwd=tmp_path)
    assert export.returncode == 1 and "no region with code" in export.stderr


def test_write_good_rows_writes_the_rest(env: dict[str, str], tmp_path: Path) -> None:
    bundle = write_tiny_bundle(tmp_path / "tiny")
    rewrite_cases(bundle, [{**CASES[0], "channel": "fax"}, *CASES[1:]])

    result = gridrisk("import", str(bundle), "--write-good-rows", "--rejects",
                      str(tmp_path / "bad.csv"), env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "导入完成" in result.stdout
    assert set(pd.read_csv(tmp_path / "bad.csv")["file"]) == {"cases.csv", "case_events.csv"}


def test_bad_file_is_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    bundle = write_tiny_bundle(tmp_path / "tiny")
    (bundle / "cases.csv").unlink()
    result = gridrisk("import", str(bundle), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "cases.csv: missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_named(tmp_path: Path) -> None:
    env = {"GRIDRISK_DATABASE_URL": "postgresql://nobody:x@127.0.0.1:9/none"}
    result = gridrisk("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot reach the database at 127.0.0.1" in result.stderr


def test_db_commands_refuse_to_manage_an_external_server(env: dict[str, str],
                                                         tmp_path: Path) -> None:
    result = gridrisk("db", "stop", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "GRIDRISK_DATABASE_URL: is set" in result.stderr


@pytest.mark.slow
def test_demo_runs_end_to_end_on_a_small_county(env: dict[str, str], tmp_path: Path) -> None:
    result = gridrisk("demo", "--scale", "small", "--seed", "3", "--no-serve", env=env,
                      cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "导入完成（第 1 次导入）" in result.stdout
    assert "各乡镇（街道）概况" in result.stdout and "合计" in result.stdout
    bundle = Path(env["GRIDRISK_DATA_DIR"]) / "demo" / "county-small-seed3"
    assert (bundle / "screenings.csv").exists()
    assert "每周排查周期" in result.stdout and "重点网格" in result.stdout
    maps = list((Path(env["GRIDRISK_DATA_DIR"]) / "maps").glob("cycle-*.html"))
    assert len(maps) == 1 and "地图已写入" in result.stdout
    page = maps[0].read_text(encoding="utf-8")
    assert "L.map(" in page and "热点" in page
    assert REMOTE.search(page) is None
    again = gridrisk("demo", "--scale", "small", "--seed", "3", "--no-serve", env=env,
                     cwd=tmp_path)
    assert again.returncode == 0 and "导入完成（第 2 次导入）" in again.stdout
    # the first administrator, its password shown once, and it signs in
    password = re.search(r"首个管理员账号：admin\s+密码：([\w-]+)（", result.stdout).group(1)
    assert "管理员账号已存在" in again.stdout and password not in again.stdout
    engine = create_engine(env["GRIDRISK_DATABASE_URL"])
    with engine.begin() as conn:
        assert sign_in(conn, "admin", password, address=None, policy=AccessPolicy())
    engine.dispose()

    # the cycle commands on what the demo left behind
    listed = gridrisk("cycle", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0 and "weekly" in listed.stdout
    cell = re.search(r"(\d{12,14})", result.stdout.split("重点网格")[1]).group(1)
    worklist = gridrisk("cycle", "worklist", cell, env=env, cwd=tmp_path)
    assert worklist.returncode == 0 and "工作清单" in worklist.stdout and "%" in worklist.stdout
    proposals = gridrisk("cycle", "assignments", "--status", "proposed", env=env, cwd=tmp_path)
    assignment = re.search(r"│\s*(\d+)\s*│", proposals.stdout).group(1)
    accepted = gridrisk("cycle", "decide", assignment, "accept", env=env, cwd=tmp_path)
    assert accepted.returncode == 0 and "已接受" in accepted.stdout
    twice = gridrisk("cycle", "decide", assignment, "accept", env=env, cwd=tmp_path)
    assert twice.returncode == 1 and "cannot be accepted now" in twice.stderr
    done = gridrisk("cycle", "outcome", assignment, "已走访", env=env, cwd=tmp_path)
    assert done.returncode == 0 and "已完成" in done.stdout
    english = gridrisk("map", "--lang", "en", "english.html", env=env, cwd=tmp_path)
    assert english.returncode == 0, english.stderr
    assert "Expected escalations" in (tmp_path / "english.html").read_text(encoding="utf-8")
    wrong_file = gridrisk("map", "map.png", env=env, cwd=tmp_path)
    assert wrong_file.returncode == 1 and "must end in .html" in wrong_file.stderr
    compared = gridrisk("cycle", "compare", env=env, cwd=tmp_path)  # the two demo runs
    assert compared.returncode == 0 and "新出现的热点：无" in compared.stdout
    wrong = gridrisk("cycle", "run", "--cadence", "hourly", env=env, cwd=tmp_path)
    assert wrong.returncode == 1 and "cadence" in wrong.stderr
