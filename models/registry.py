"""Trained models on disk: one folder per model under a registry root (gridrisk puts it in
its data directory, never the source tree).

    <root>/<model id>/model.skops   the fitted Pipeline (skops: no pickle)
    <root>/<model id>/card.json     the model card: window, horizon, features, fingerprint,
                                    backtest metrics and baselines, reference values
    <root>/<model id>/card.md       the same for people
    <root>/<model id>/backtest/     the backtest report and plots
    <root>/promoted.json            the promoted model per horizon

Loading refuses any type outside TRUSTED_TYPES: a model file is data, never code to run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import skops.io

from models.history import History
from models.pipeline import RiskModel

MODEL_FILE = "model.skops"
CARD_JSON = "card.json"
CARD_MD = "card.md"
PROMOTED = "promoted.json"

#: the types a saved risk model holds beyond those skops trusts by default; anything else in
#: a model file is refused
TRUSTED_TYPES = (
    "functools.partial",
    "models.pipeline.RiskModel",
    "models.pipeline.TextKeywords",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
)


class ModelNotFound(LookupError):
    """No model by that id (or no promoted model for a horizon)."""


class UntrustedModel(ValueError):
    """A model file holds types outside TRUSTED_TYPES."""


class NotPromotable(ValueError):
    """The model did not beat the baselines on its backtest."""


def fingerprint(history: History) -> str:
    """A digest of the data a model learned from: cases, case files, screenings, as-of day."""
    digest = hashlib.sha256(str(history.known_until.date()).encode())
    for frame, columns in ((history.cases, ["case_id", "received_on", "category"]),
                           (history.timeline, ["case_id", "seq", "on", "type"]),
                           (history.screenings, ["cell_code", "screened_on", "found"])):
        hashed = pd.util.hash_pandas_object(frame[columns].astype(str), index=False)
        digest.update(hashed.sort_values().to_numpy().tobytes())
    return digest.hexdigest()[:16]


def save_model(root: Path, model_id: str, model: RiskModel, card: dict[str, Any]) -> Path:
    """Write the model and its card (JSON and Markdown); returns the model's folder."""
    folder = root / model_id
    folder.mkdir(parents=True, exist_ok=True)
    skops.io.dump(model, folder / MODEL_FILE)
    (folder / CARD_JSON).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
    (folder / CARD_MD).write_text(card_markdown(card), encoding="utf-8")
    return folder


def load_model(root: Path, model_id: str) -> tuple[RiskModel, dict[str, Any]]:
    """The model and its card; refuses a file holding any type outside TRUSTED_TYPES."""
    folder = root / model_id
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ModelNotFound(f"no model {model_id} in {root}")
    untrusted = [t for t in skops.io.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    if untrusted:
        raise UntrustedModel(f"{path} holds types outside the trusted list: "
                             + ", ".join(untrusted))
    model = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    return model, read_card(root, model_id)


def read_card(root: Path, model_id: str) -> dict[str, Any]:
    path = root / model_id / CARD_JSON
    if not path.is_file():
        raise ModelNotFound(f"no model {model_id} in {root}")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def list_cards(root: Path) -> list[dict[str, Any]]:
    """Every model's card, newest first, each with `promoted` set."""
    if not root.is_dir():
        return []
    promoted = set(_promoted(root).values())
    cards = [json.loads(p.read_text(encoding="utf-8")) for p in root.glob(f"*/{CARD_JSON}")]
    for card in cards:
        card["promoted"] = card["id"] in promoted
    return sorted(cards, key=lambda c: c["created_at"], reverse=True)


def promote(root: Path, model_id: str, *, force: bool = False) -> dict[str, Any]:
    """Make a model the one used for its horizon; refuses one that did not beat the
    baselines on its backtest unless forced."""
    card = read_card(root, model_id)
    if not card["backtest"]["beats_baselines"] and not force:
        raise NotPromotable(
            f"model {model_id} did not beat the best baseline of every outcome on its "
            f"backtest (average precision, and precision@100 at least the best baseline's)")
    promoted = _promoted(root)
    promoted[str(card["horizon_days"])] = model_id
    (root / PROMOTED).write_text(json.dumps(promoted, indent=2) + "\n", encoding="utf-8")
    return card


def promoted_model(root: Path, horizon_days: int) -> str:
    found = _promoted(root).get(str(horizon_days))
    if found is None:
        raise ModelNotFound(f"no promoted model for a {horizon_days}-day horizon")
    return found


def _promoted(root: Path) -> dict[str, str]:
    path = root / PROMOTED
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def card_markdown(card: dict[str, Any]) -> str:
    """The model card for people."""
    backtest = card["backtest"]
    fit = card["fit"]
    lines = [
        f"# 风险模型 {card['id']}", "",
        f"- 创建时间：{card['created_at']}",
        f"- 预测期：{card['horizon_days']} 天（在办事项在此期间内超期未结、反复或任一发生的概率）",
        f"- 训练截至：{card['as_of']}；训练样本时点 {card['training_window'][0]} 至 "
        f"{card['training_window'][1]}",
        f"- 模型：{card['estimator']}，概率校准：{fit['calibration_method']}",
        f"- 学习样本 {fit['learned_examples']}，校准样本 {fit['calibration_examples']}；"
        + "，".join(f"{o} 发生 {v['learned_positives']} / {v['calibration_positives']}"
                   for o, v in fit["outcomes"].items()),
        f"- 数据指纹：{card['data_fingerprint']}",
        f"- 回测时点：{', '.join(backtest['origins'])}",
        f"- 优于全部基线：{'是' if backtest['beats_baselines'] else '否'}", "",
        "## 回测（各时点平均）", "",
        "| 结果 | 方法 | P@50 | P@100 | P@200 | R@100 | AP | Brier |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in backtest["summary"]:
        cells = [row.get(k) for k in ("precision_at_50", "precision_at_100", "precision_at_200",
                                      "recall_at_100", "average_precision", "brier")]
        lines.append(f"| {row['outcome']} | {row['method']} | "
                     + " | ".join("—" if c is None else f"{c:.3f}" for c in cells) + " |")
    lines += ["", "## 特征", "", ", ".join(card["features"]), "",
              "摘要关键词：" + ("、".join(fit["keywords"]) or "无"), "",
              "不含任何信访人个人信息（姓名、电话、证件号、住址）。", ""]
    return "\n".join(lines)
