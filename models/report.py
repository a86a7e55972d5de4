"""A backtest written for people: a Markdown page with its tables, precision@k plots and a
reliability diagram per outcome."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from models.backtest import (
    BASE_RATE,
    BASELINES_FOR,
    K_VALUES,
    METHOD_NAMES,
    MODEL,
    OUTCOME_NAMES,
    Backtest,
)
from models.columns import OUTCOMES

#: plot labels in English: the machine may lack CJK fonts, and a plot must never show boxes
PLOT_NAMES = {MODEL: "model", "most_overdue": "most overdue first",
              "fewest_days_left": "fewest days left first",
              "most_returns": "most returns so far, then oldest",
              "category_rate": "category's return rate"}
PLOT_OUTCOMES = {"any": "any escalation", "deadline": "deadline passes unclosed",
                 "return": "complainant returns"}


def reliability_file(outcome: str) -> str:
    return f"reliability_{outcome}.png"


def write_report(backtest: Backtest, folder: Path, *, title: str,
                 facts: dict[str, str]) -> Path:
    """report.md, precision_at_k.png and reliability_{outcome}.png in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    _precision_plot(backtest, folder / "precision_at_k.png")
    for outcome in OUTCOMES:
        _reliability_plot(backtest, outcome, folder / reliability_file(outcome))
    lines = [f"# {title}", ""]
    lines += [f"- {name}：{value}" for name, value in facts.items()]
    lines += [f"- 预测期：{backtest.horizon_days} 天；回测时点：{', '.join(backtest.origins)}", ""]
    if backtest.skipped:
        lines += ["未能评估的时点（训练数据不足）：", ""]
        lines += [f"- {day}：{reason}" for day, reason in backtest.skipped.items()]
        lines.append("")
    for outcome in OUTCOMES:
        lines += _outcome_section(backtest, outcome)
    lines += ["## 各回测时点", "",
              "| 时点 | 结果 | 方法 | 在办 | 发生 | P@100 | R@100 | AP | Brier |",
              "|---|---|---|---|---|---|---|---|---|"]
    for row in backtest.metrics.itertuples():
        lines.append(f"| {row.origin} | {row.outcome} | {METHOD_NAMES[str(row.method)]} | {row.n}"
                     f" | {row.positives} | {_number(row.precision_at_100)}"
                     f" | {_number(row.recall_at_100)} | {_number(row.average_precision)}"
                     f" | {_number(row.brier)} |")
    lines += ["", "![precision@k](precision_at_k.png)", ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _outcome_section(backtest: Backtest, outcome: str) -> list[str]:
    summary = backtest.of(outcome)
    lines = [f"## {OUTCOME_NAMES[outcome]}（{outcome}，各回测时点平均）", ""]
    header = ["方法", *(f"P@{k}" for k in K_VALUES), *(f"R@{k}" for k in K_VALUES), "AP",
              "Brier"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method in [MODEL, *BASELINES_FOR[outcome], BASE_RATE]:
        if method not in summary.index:
            continue
        row = summary.loc[method]
        cells = [*(row[f"precision_at_{k}"] for k in K_VALUES),
                 *(row[f"recall_at_{k}"] for k in K_VALUES), row["average_precision"],
                 row["brier"]]
        lines.append(f"| {METHOD_NAMES[method]} | " + " | ".join(_number(c) for c in cells)
                     + " |")
    verdict = "是" if backtest.beats_baselines(outcome) else "否"
    lines += ["", f"模型优于该结果的全部基线（AP，且 P@100 不低于最佳基线）：{verdict}；"
              f"Brier 与历史平均率之比：{backtest.brier_ratio(outcome):.2f}", "",
              "校准（各时点汇总）：", "", "| 预测概率区间 | 事项数 | 平均预测 | 实际发生比例 |",
              "|---|---|---|---|"]
    table = backtest.calibration.loc[backtest.calibration["outcome"] == outcome]
    for band in table.itertuples():
        lines.append(f"| {band.range} | {band.n} | {band.predicted:.3f} | {band.observed:.3f} |")
    lines += ["", f"![reliability {outcome}]({reliability_file(outcome)})", ""]
    return lines


def _number(value: object) -> str:
    """A metric cell (a float, NaN or None) to three places."""
    number = cast("float | None", value)
    return "—" if number is None or pd.isna(number) else f"{float(number):.3f}"


def _precision_plot(backtest: Backtest, path: Path) -> None:
    figure, axes = plt.subplots(len(OUTCOMES), len(K_VALUES), figsize=(12, 3.2 * len(OUTCOMES)),
                                sharey=True, squeeze=False)
    metrics = backtest.metrics
    for row, outcome in zip(axes, OUTCOMES, strict=True):
        for ax, k in zip(row, K_VALUES, strict=True):
            for method in (MODEL, *BASELINES_FOR[outcome]):
                rows = metrics.loc[(metrics["method"] == method)
                                   & (metrics["outcome"] == outcome)]
                ax.plot(rows["origin"], rows[f"precision_at_{k}"], marker="o",
                        label=PLOT_NAMES[method])
            ax.set_title(f"{PLOT_OUTCOMES[outcome]}: precision@{k}", fontsize=9)
            ax.set_ylim(0, 1.02)
            ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        row[0].legend(loc="lower left", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _reliability_plot(backtest: Backtest, outcome: str, path: Path) -> None:
    """Observed share against predicted probability, each bin's point sized by its cases."""
    figure, ax = plt.subplots(figsize=(4.5, 4.5))
    table = backtest.calibration.loc[backtest.calibration["outcome"] == outcome]
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    sizes = 20 + 200 * table["n"] / max(float(table["n"].max()), 1.0)
    ax.plot(table["predicted"], table["observed"], color="tab:blue")
    ax.scatter(table["predicted"], table["observed"], s=sizes, color="tab:blue", label="model")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed share")
    ax.set_title(f"{PLOT_OUTCOMES[outcome]}, {backtest.horizon_days}-day horizon", fontsize=9)
    ax.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
