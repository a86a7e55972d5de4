"""gridrisk model … as a user runs it: a real process on the small county's database."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gridrisk.scoring.service import SCORE_COLUMNS, Trained

from .test_commands import gridrisk


@pytest.fixture
def env(county_url: str, data_dir: Path) -> dict[str, str]:
    return {"GRIDRISK_DATABASE_URL": county_url, "GRIDRISK_DATA_DIR": str(data_dir),
            "GRIDRISK_MODEL_THREADS": "1"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_score_writes_one_row_per_open_case(trained: Trained, env: dict[str, str],
                                            tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"scores{suffix}"
    result = gridrisk("model", "score", "--as-of", "2026-09-01", "--horizon", "30",
                      "--model", trained.model_id, "--out", str(out), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "件在办事项评分" in result.stdout
    scores = (pd.read_csv(out, encoding="utf-8-sig", dtype={"cell_code": str})
              if suffix == ".csv" else pd.read_excel(out, dtype={"cell_code": str}))
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["case_id"].is_unique and list(scores["rank"]) == list(
        range(1, len(scores) + 1))


def test_promote_refuses_a_losing_model_without_force(trained: Trained, env: dict[str, str],
                                                      tmp_path: Path) -> None:
    card_file = trained.folder / "card.json"
    original = card_file.read_text(encoding="utf-8")
    card = json.loads(original)
    card["backtest"]["beats_baselines"] = False
    try:
        card_file.write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
        refused = gridrisk("model", "promote", trained.model_id, env=env, cwd=tmp_path)
    finally:
        card_file.write_text(original, encoding="utf-8")
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
