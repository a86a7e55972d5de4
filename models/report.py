"""A backtest written for people: a Markdown page with its tables and PNG plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from models.backtest import BASE_RATE, BASELINES, K_VALUES, METHOD_NAMES, MODEL, Backtest

#: plot labels in English: the machine may lack CJK fonts, and a plot must never show boxes
PLOT_NAMES = {MODEL: "model", "most_overdue": "most overdue first",
              "most_returns": "most refilings+escalations, then oldest"}


def write_report(backtest: Backtest, folder: Path, *, title: str,
                 facts: dict[str, str]) -> Path:
    """report.md plus precision_at_k.png and calibration.png in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    _precision_plot(backtest, folder / "precision_at_k.png")
    _calibration_plot(backtest, folder / "calibration.png")
    summary = backtest.summary
    lines = [f"# {title}", ""]
    lines += [f"- {name}：{value}" for name, value in facts.items()]
    lines += [f"- 预测期：{backtest.horizon_days} 天；回测时点：{', '.join(backtest.origins)}", ""]
    if backtest.skipped:
        lines += ["未能评估的时点（训练数据不足）：", ""]
        lines += [f"- {day}：{reason}" for day, reason in backtest.skipped.items()]
        lines.append("")
    lines += ["## 各方法平均表现（各回测时点平均）", ""]
    header = ["方法", *(f"P@{k}" for k in K_VALUES), *(f"R@{k}" for k in K_VALUES), "AP",
              "Brier"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method in [MODEL, *BASELINES, BASE_RATE]:
        if method not in summary.index:
            continue
        row = summary.loc[method]
        cells = [*(row[f"precision_at_{k}"] for k in K_VALUES),
                 *(row[f"recall_at_{k}"] for k in K_VALUES), row["average_precision"],
                 row["brier"]]
        lines.append(f"| {METHOD_NAMES[method]} | " + " | ".join(_number(c) for c in cells)
                     + " |")
    verdict = "是" if backtest.beats_baselines() else "否"
    lines += ["", f"模型优于全部基线（P@100 与 AP）：{verdict}；"
              f"Brier 与历史平均率之比：{backtest.brier_ratio():.2f}", ""]
    lines += ["## 各回测时点", "", "| 时点 | 方法 | 在办 | 升级 | P@100 | R@100 | AP | Brier |",
              "|---|---|---|---|---|---|---|---|"]
    for row in backtest.metrics.itertuples():
        lines.append(f"| {row.origin} | {METHOD_NAMES[row.method]} | {row.n} | {row.positives}"
                     f" | {_number(row.precision_at_100)} | {_number(row.recall_at_100)}"
                     f" | {_number(row.average_precision)} | {_number(row.brier)} |")
    lines += ["", "## 校准（各时点汇总）", "",
              "| 预测概率区间 | 事项数 | 平均预测 | 实际升级比例 |", "|---|---|---|---|"]
    for row in backtest.calibration.itertuples():
        lines.append(f"| {row.range} | {row.n} | {row.predicted:.3f} | {row.observed:.3f} |")
    lines += ["", "![precision@k](precision_at_k.png)", "", "![calibration](calibration.png)",
              ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _number(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.3f}"  # type: ignore[arg-type]


def _precision_plot(backtest: Backtest, path: Path) -> None:
    figure, axes = plt.subplots(1, len(K_VALUES), figsize=(12, 3.6), sharey=True)
    metrics = backtest.metrics
    for ax, k in zip(axes, K_VALUES, strict=True):
        for method, label in PLOT_NAMES.items():
            rows = metrics.loc[metrics["method"] == method]
            ax.plot(rows["origin"], rows[f"precision_at_{k}"], marker="o", label=label)
        ax.set_title(f"precision@{k}")
        ax.set_ylim(0, 1.02)
        ax.tick_params(axis="x", labelrotation=45)
    axes[0].legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _calibration_plot(backtest: Backtest, path: Path) -> None:
    figure, ax = plt.subplots(figsize=(4.5, 4.5))
    table = backtest.calibration
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(table["predicted"], table["observed"], marker="o", label="model")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed share escalated")
    ax.set_title(f"calibration, {backtest.horizon_days}-day horizon")
    ax.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
