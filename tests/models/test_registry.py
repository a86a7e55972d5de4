"""Models saved with skops load back to the same scores; files holding untrusted types and
models that lost to a baseline are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import skops.io
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from models import registry
from models.features import FEATURES, features_at
from models.pipeline import risk_scores

from .conftest import Fitted, day


def card(model_id: str, *, beats: bool) -> dict[str, object]:
    return {"id": model_id, "created_at": f"2026-11-0{1 + beats}T00:00:00+08:00",
            "horizon_days": 30, "as_of": "2025-10-30", "estimator": "hgb",
            "training_window": ["2025-05-01", "2025-09-30"], "data_fingerprint": "0" * 16,
            "fit": {"calibration_method": "sigmoid", "learned_examples": 2000,
                    "calibration_examples": 900, "keywords": ["赴省"],
                    "outcomes": {"any": {"learned_positives": 700,
                                         "calibration_positives": 300}}},
            "backtest": {"beats_baselines": beats, "origins": ["2025-09-30"],
                         "summary": [{"outcome": "any", "method": "model",
                                      "precision_at_100": 0.5}]},
            "features": FEATURES}


def test_a_saved_model_scores_the_same_after_loading(fitted: Fitted, tmp_path: Path) -> None:
    registry.save_model(tmp_path, "m1", fitted.model, card("m1", beats=True))
    loaded, loaded_card = registry.load_model(tmp_path, "m1")
    features = features_at(fitted.history, day(200))
    pd.testing.assert_frame_equal(risk_scores(loaded, features, threads=1),
                                  risk_scores(fitted.model, features, threads=1))
    assert loaded_card["id"] == "m1"
    assert (tmp_path / "m1" / "model.skops").is_file()


def test_a_file_holding_an_untrusted_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "evil").mkdir()
    skops.io.dump(make_pipeline(FunctionTransformer(os.system)),
                  tmp_path / "evil" / "model.skops")
    with pytest.raises(registry.UntrustedModel, match="system"):
        registry.load_model(tmp_path, "evil")


def test_promotion_needs_a_win_over_the_baselines_or_force(fitted: Fitted,
                                                             tmp_path: Path) -> None:
    registry.save_model(tmp_path, "loser", fitted.model, card("loser", beats=False))
    registry.save_model(tmp_path, "winner", fitted.model, card("winner", beats=True))
    with pytest.raises(registry.NotPromotable):
        registry.promote(tmp_path, "loser")
    with pytest.raises(registry.ModelNotFound):
        registry.promoted_model(tmp_path, 30)
    registry.promote(tmp_path, "winner")
    assert registry.promoted_model(tmp_path, 30) == "winner"
    registry.promote(tmp_path, "loser", force=True)
    assert registry.promoted_model(tmp_path, 30) == "loser"
    assert [(c["id"], c["promoted"]) for c in registry.list_cards(tmp_path)] == [
        ("winner", False), ("loser", True)]
