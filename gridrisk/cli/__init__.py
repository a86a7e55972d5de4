"""The gridrisk command: one Typer app, a module per command group.

Importing it stays cheap (tests/cli/test_startup.py checks): each command imports the
services and libraries it uses when it runs, so `gridrisk --help` answers at once."""

import sys

import typer
from rich.console import Console

from gridrisk.cli import (
    backup,
    bundle,
    campaign,
    cycle,
    database,
    demo,
    maps,
    model,
    privacy,
    reports,
    serve,
    user,
)
from gridrisk.cli.words import say
from gridrisk.errors import GridriskError, InvalidInput

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help=say("gridrisk: 网格化信访事项与矛盾纠纷排查风险管理",
                           "gridrisk: escalation risk of grievance cases and dispute "
                           "screenings on village and community grids"))
app.add_typer(database.app, name="db")
app.add_typer(model.app, name="model")
app.add_typer(cycle.app, name="cycle")
app.add_typer(privacy.app, name="privacy")
app.add_typer(campaign.app, name="campaign")
app.add_typer(user.app, name="user")
user.register(app)
bundle.register(app)
backup.register(app)
demo.register(app)
maps.register(app)
reports.register(app)
serve.register(app)

err = Console(stderr=True)


def main() -> None:
    """Entry point: gridrisk errors print as one clear line and exit 1, usage errors their
    usage and exit 2, not a traceback."""
    try:
        code = app(standalone_mode=False)
    except GridriskError as exc:
        _fail(exc)
    except typer.Abort:
        err.print("已取消")
        sys.exit(130)
    except typer.TyperException as exc:
        # a missing option, a bad value: Typer (0.29 carries its own click, whose
        # exceptions are these) shows the usage and the reason; exit 2, as Typer would
        show = getattr(exc, "show", None)
        if show is None:
            err.print(f"Error: {exc.format_message()}")
        else:
            show()
        sys.exit(exc.exit_code)
    except Exception as exc:
        refused = _refused_by_model(exc)
        if refused is None:
            raise
        _fail(refused)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(exc: GridriskError) -> None:
    err.print(f"[bold red]错误[/]（{exc.title}）: {exc}")
    sys.exit(1)


def _refused_by_model(exc: Exception) -> InvalidInput | None:
    """A schema a command filled from its options (a campaign plan, a decision) refused a
    value: its first field and why, as the API would name them."""
    from pydantic import ValidationError  # loaded by then: Typer parsed the options with it

    if not isinstance(exc, ValidationError):
        return None
    first = exc.errors()[0]
    return InvalidInput(".".join(str(part) for part in first["loc"]) or exc.title,
                        first["msg"])
