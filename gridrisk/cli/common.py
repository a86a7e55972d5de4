"""What every command shares: the settings, a database engine, a progress bar.

Each loads what it needs when called, so `gridrisk --help` never pays for pydantic or
SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console

from gridrisk.errors import InvalidInput
from gridrisk.progress import Progress

if TYPE_CHECKING:
    from rich.progress import TaskID
    from sqlalchemy import Engine

    from gridrisk.settings import Settings

console = Console()


def settings() -> Settings:
    from gridrisk.settings import get_settings

    return get_settings()


def engine() -> Engine:
    """The database at the schema's head, the embedded cluster started if need be."""
    from gridrisk.db.engine import open_engine

    with console.status("连接数据库…"):
        return open_engine(settings())


@contextmanager
def progress_bar(title: str = "", *, transient: bool = False) -> Iterator[Progress]:
    """A `progress(step, fraction)` callback drawing one bar per step."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    label = f"[dim]{title}[/] " if title else ""
    with Bars(TextColumn(label + "{task.description:<18}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=transient) as bars:
        tasks: dict[str, TaskID] = {}

        def report(step: str, fraction: float) -> None:
            if step not in tasks:
                for task in tasks.values():
                    bars.update(task, completed=100)
                tasks[step] = bars.add_task(step, total=100)
            bars.update(tasks[step], completed=round(fraction * 100))

        yield report
        for task in tasks.values():
            bars.update(task, completed=100)


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(option, f"'{value}' is not a date like 2026-10-31") from exc
