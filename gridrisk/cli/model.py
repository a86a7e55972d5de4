"""gridrisk model train|evaluate|list|promote|score: the escalation-risk model.

The modelling libraries load inside the commands: every other gridrisk command starts
without paying for scikit-learn, skops and matplotlib."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from gridrisk.cli.common import console, engine, parse_day, progress_bar, settings
from gridrisk.cli.words import say
from gridrisk.policy import load_policy
from models.display import shown_probability

if TYPE_CHECKING:
    from gridrisk.scoring.service import Trained
    from models.backtest import Backtest

app = typer.Typer(no_args_is_help=True, help=say(
    "信访事项升级风险模型：训练、评估、登记、评分",
    "The escalation-risk model of grievance cases: train, evaluate, register, score"))

Horizon = Annotated[int, typer.Option("--horizon", help=say(
    "预测期（天）：7、30 或 90", "horizon in days: 7, 30 or 90"))]
ModelId = Annotated[str | None, typer.Option("--model", help=say(
    "模型编号（默认：该预测期已启用的模型）",
    "model id (default: the model promoted for the horizon)"))]


@app.command(help=say("用截至 --as-of 已知的数据回测并训练模型，登记之。",
                      "Backtest and train a model on what was known by --as-of; register "
                      "it."))
def train(
    horizon: Horizon = 30,
    as_of: Annotated[str | None, typer.Option("--as-of", help=say(
        "只用截至该日（含）的数据训练（默认：数据的最后一天）",
        "train only on data up to this day, inclusive (default: the data's last day)"))]
    = None,
) -> None:
    trained = train_and_show(horizon_days=horizon, as_of=parse_day(as_of, "as_of"))
    console.print(f"用 [bold]gridrisk model promote {trained.model_id}[/] 启用该模型")


def train_and_show(*, horizon_days: int, as_of: date | None) -> Trained:
    """Train, then print the backtest next to its baselines (also the demo's last step)."""
    from gridrisk.scoring.service import train_model

    config = settings()
    with engine().connect() as conn, progress_bar() as progress:
        trained = train_model(conn, registry_root=config.models_path, horizon_days=horizon_days,
                              as_of=as_of, policy=load_policy(config.policy_file),
                              timezone=config.timezone, threads=config.model_threads,
                              progress=progress)
    show_backtest(trained.backtest, title=f"模型 {trained.model_id} 回测（{horizon_days} 天预测期，"
                  f"{len(trained.backtest.origins)} 个时点平均）")
    console.print(f"模型与说明卡：{trained.folder}")
    console.print(f"回测报告：{trained.folder / 'backtest' / 'report.md'}")
    return trained


def train_demo_model() -> str:
    """The demo's model: trained on the whole county, promoted when it beats the baselines;
    returns its id."""
    from gridrisk.scoring.service import promote_model

    trained = train_and_show(horizon_days=30, as_of=None)
    if trained.backtest.beats_baselines():
        promote_model(settings().models_path, trained.model_id, force=False)
        console.print(f"已启用模型 {trained.model_id}；评分：gridrisk model score "
                      f"--as-of {trained.card['as_of']} --out 风险排序.xlsx")
    return trained.model_id


def show_backtest(backtest: Backtest, *, title: str) -> None:
    from models.backtest import BASE_RATE, BASELINES_FOR, METHOD_NAMES, MODEL, OUTCOME_NAMES
    from models.columns import OUTCOMES

    for outcome in OUTCOMES:
        table = Table(title=f"{title}：{OUTCOME_NAMES[outcome]}")
        for column in ("方法", "P@50", "P@100", "P@200", "R@100", "AP", "Brier"):
            table.add_column(column, justify="left" if column == "方法" else "right")
        summary = backtest.of(outcome)
        for method in [MODEL, *BASELINES_FOR[outcome], BASE_RATE]:
            row = summary.loc[method]
            table.add_row(METHOD_NAMES[method], *(
                "—" if row[c] != row[c] else f"{row[c]:.3f}"
                for c in ("precision_at_50", "precision_at_100", "precision_at_200",
                          "recall_at_100", "average_precision", "brier")),
                style="bold" if method == MODEL else None)
        console.print(table)
        verdict = ("[green]优于全部基线[/]" if backtest.beats_baselines(outcome)
                   else "[red]未优于最佳基线[/]")
        console.print(f"{verdict}；Brier 为历史平均率预测的 {backtest.brier_ratio(outcome):.2f} 倍")


@app.command(help=say("在比训练数据更新的数据上评估一个已登记的模型（模型不变）。",
                      "Evaluate a registered model, unchanged, on data newer than its "
                      "training data."))
def evaluate(horizon: Horizon = 30, model: ModelId = None) -> None:
    from gridrisk.scoring.service import evaluate_model

    config = settings()
    with engine().connect() as conn, progress_bar() as progress:
        evaluated = evaluate_model(conn, registry_root=config.models_path, model_id=model,
                                   horizon_days=horizon,
                                   policy=load_policy(config.policy_file),
                                   timezone=config.timezone, threads=config.model_threads,
                                   progress=progress)
    show_backtest(evaluated.backtest, title=f"模型 {evaluated.model_id} 在新数据上的表现")
    console.print(f"评估报告：{evaluated.report}")


@app.command("list", help=say("已登记的模型，最新的在前。", "Registered models, newest first."))
def list_command() -> None:
    from gridrisk.scoring.service import list_models
    from models.backtest import BASELINES_FOR, MODEL

    cards = list_models(settings().models_path)
    if not cards:
        console.print("尚无模型：用 gridrisk model train 训练")
        return
    table = Table(title="已登记的模型")
    for column in ("编号", "预测期", "训练截至", "模型 P@100（任一）", "最佳基线 P@100",
                   "优于基线", "启用"):
        table.add_column(column)
    for card in cards:
        summary = {row["method"]: row for row in card["backtest"]["summary"]
                   if row["outcome"] == "any"}
        best = max(summary[name]["precision_at_100"] for name in BASELINES_FOR["any"])
        table.add_row(card["id"], f"{card['horizon_days']} 天", card["as_of"],
                      f"{summary[MODEL]['precision_at_100']:.3f}", f"{best:.3f}",
                      "是" if card["backtest"]["beats_baselines"] else "否",
                      "●" if card["promoted"] else "")
    console.print(table)


@app.command(help=say("启用模型于其预测期；未优于基线则拒绝，除非 --force。",
                      "Use a model for its horizon; refused if it did not beat the "
                      "baselines, unless --force."))
def promote(
    model_id: Annotated[str, typer.Argument(help=say("模型编号", "model id"))],
    force: Annotated[bool, typer.Option("--force", help=say(
        "即使未优于最佳基线也启用", "promote it even if it did not beat the best baseline"))]
    = False,
) -> None:
    from gridrisk.scoring.service import promote_model

    card = promote_model(settings().models_path, model_id, force=force)
    console.print(f"已启用模型 {model_id}（{card['horizon_days']} 天预测期）")


@app.command(help=say("为 --as-of 时在办的每件事项评分；每件一行，风险最高的在前，附原因。",
                      "Score every case open at --as-of; one row each, highest risk first, "
                      "with reasons."))
def score(
    as_of: Annotated[str, typer.Option("--as-of", help=say(
        "评分日：对该日结束时在办的事项评分",
        "the scoring day: the cases open at its end are scored"))],
    out: Annotated[Path, typer.Option("--out", help=say(
        "输出文件：.csv 或 .xlsx", "the output file: .csv or .xlsx"))],
    horizon: Horizon = 30,
    model: ModelId = None,
) -> None:
    from gridrisk.scoring.service import check_output, score_cases, write_scores

    day = parse_day(as_of, "as_of")
    assert day is not None
    check_output(out)
    config = settings()
    started = datetime.now()
    with engine().connect() as conn, progress_bar() as progress:
        scores = score_cases(conn, registry_root=config.models_path, as_of=day,
                             horizon_days=horizon, model_id=model,
                             policy=load_policy(config.policy_file),
                             timezone=config.timezone,
                             threads=config.model_threads, progress=progress)
    write_scores(scores, out)
    seconds = (datetime.now() - started).total_seconds()
    console.print(f"已为 {len(scores)} 件在办事项评分（{seconds:.1f} 秒），写入 {out}")
    for row in scores.head(5).to_dict("records"):
        reasons = "；".join(row[f"reason_any_{i}"] for i in (1, 2, 3) if row[f"reason_any_{i}"])
        console.print(f"  {row['rank']}. {row['case_id']}  "
                      f"期限 {shown_probability(row['p_deadline'])} · "
                      f"反复 {shown_probability(row['p_return'])}  {reasons}")
