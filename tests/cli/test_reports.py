"""The report commands as a planner runs them: real processes on a database of their own
holding the hand-built county."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ..reports.county import write_county, write_policy
from .test_commands import gridrisk

pytestmark = pytest.mark.slow


@pytest.fixture
def env(scratch_url: str, tmp_path: Path) -> dict[str, str]:
    return {"GRIDRISK_DATABASE_URL": scratch_url, "GRIDRISK_DATA_DIR": str(tmp_path / "data"),
            "GRIDRISK_POLICY_FILE": str(write_policy(tmp_path))}


def test_indicators_reports_ledger_and_a_campaign(env: dict[str, str], tmp_path: Path
                                                  ) -> None:
    imported = gridrisk("import", str(write_county(tmp_path / "county")), env=env,
                        cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr

    figures = gridrisk("indicators", "--region", "K", "--period", "2026-10", "--by",
                       "township", "--json", env=env, cwd=tmp_path)
    assert figures.returncode == 0, figures.stderr
    body = json.loads(figures.stdout)
    assert body["figures"]["handle_on_time"] == {"numerator": 2, "denominator": 3,
                                                 "rate": 2 / 3}
    assert [u["code"] for u in body["units"]] == ["T1", "T2"]
    table = gridrisk("indicators", "--region", "T2", "--period", "2026-10", env=env,
                     cwd=tmp_path)
    assert "息诉罢访率" in table.stdout and "—" in table.stdout

    out = tmp_path / "reports"
    made = gridrisk("report", "monthly", "--region", "K", "--period", "2026-10", "--out",
                    str(out), env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "monthly-K-2026-10.html", "monthly-K-2026-10.pdf", "monthly-K-2026-10.xlsx"]
    bad = gridrisk("report", "monthly", "--region", "K", "--period", "2026-W40", "--out",
                   str(out), env=env, cwd=tmp_path)
    assert bad.returncode == 1 and "a monthly bulletin is for a month" in bad.stderr

    launched = gridrisk("campaign", "create", "--name", "示范县积案化解", "--region", "K",
                        "--start", "2026-10-01", "--launched-on", "2026-10-01",
                        "--received-before", "2026-09-01", env=env, cwd=tmp_path)
    assert launched.returncode == 0, launched.stderr
    assert "共 3 件事项" in launched.stdout
    assigned = gridrisk("campaign", "assign", "1", "A5", "--leader", "李书记", "--deadline",
                        "2026-10-20", env=env, cwd=tmp_path)
    assert assigned.returncode == 0 and "仍缺 2 项" in assigned.stdout
    shown = gridrisk("campaign", "show", "1", "--as-of", "2026-10-31", env=env, cwd=tmp_path)
    assert "化解率 33.3%（1/3" in shown.stdout and "超过化解期限未化解：1 件" in shown.stdout

    ledger = tmp_path / "ledger.xlsx"
    written = gridrisk("ledger", str(ledger), "--campaign", "1", env=env, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    rows = list(load_workbook(ledger)["信访事项台账"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["B4", "B5", "A5"]
