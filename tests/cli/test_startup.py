"""The gridrisk command starts without loading the data stack, and its help speaks one
language: Chinese by default, English with GRIDRISK_LANG=en. (How fast it starts is measured
in bench/cli_bench.py, not here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer.main

from gridrisk.cli import app
from gridrisk.cli.demo import SCALE_NAMES
from gridrisk.synthetic import SCALES

#: what `import gridrisk.cli` and any `--help` must not load: each costs a tenth of a second
#: to seconds, and only the commands that use them should pay
HEAVY = {"pandas", "numpy", "sqlalchemy", "alembic", "sklearn", "skops", "geopandas",
         "shapely", "pyogrio", "pyproj", "folium", "scipy", "esda", "libpysal", "matplotlib",
         "pydantic", "pydantic_settings", "fastapi", "uvicorn", "weasyprint", "openpyxl",
         "jinja2"}
#: Typer itself (0.29) checks every parameter it parses through a pydantic TypeAdapter, so
#: any subcommand, even its --help, loads pydantic (never pydantic_settings)
TYPER_LOADS = {"pydantic"}
GROUPS = {"db", "model", "cycle", "privacy", "campaign", "user"}
CLICK_APP = typer.main.get_command(app)
assert isinstance(CLICK_APP, typer.main.TyperGroup)
#: the words typed before --help: the app, each group and top-level command...
TOP = [[], *([name] for name in CLICK_APP.commands)]
#: ...and each command of a group
COMMANDS = [*TOP, *([group, name] for group, command in CLICK_APP.commands.items()
                    if isinstance(command, typer.main.TyperGroup) for name in command.commands)]


def python(code: str, *, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.upper() != "GRIDRISK_LANG"}
    if lang is not None:
        env["GRIDRISK_LANG"] = lang
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, "COLUMNS": "200"}, timeout=120, check=False)


def loaded_roots(code: str) -> set[str]:
    """The top-level packages loaded after running `code` in a fresh interpreter."""
    done = python(code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_importing_the_cli_loads_no_heavy_library() -> None:
    roots = loaded_roots("import gridrisk.cli")
    assert {"typer", "gridrisk"} <= roots
    assert roots & HEAVY == set()


def test_every_help_loads_no_heavy_library() -> None:
    code = ("from gridrisk.cli import app\n"
            f"for words in {COMMANDS!r}:\n"
            "    try:\n"
            "        app([*words, '--help'], standalone_mode=False)\n"
            "    except SystemExit as exit:\n"
            "        assert not exit.code, (words, exit.code)\n")
    roots = loaded_roots(code)
    assert "rich" in roots
    assert roots & HEAVY == roots & TYPER_LOADS


def test_the_groups_are_there() -> None:
    assert set(CLICK_APP.commands) >= GROUPS | {"import", "export", "demo", "serve", "map",
                                                "audit"}


@pytest.mark.parametrize("words", TOP, ids=lambda words: " ".join(words) or "gridrisk")
def test_help_answers(words: list[str]) -> None:
    """As a user runs it (every group's commands answer in test_every_help_...)."""
    done = subprocess.run([sys.executable, "-m", "gridrisk", *words, "--help"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "Traceback" not in done.stderr


def help_of(*words: str, lang: str | None) -> str:
    done = python("import sys; from gridrisk.cli import main; "
                  f"sys.argv = ['gridrisk', *{list(words)!r}, '--help']; main()", lang=lang)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_help_is_chinese_by_default() -> None:
    top = help_of(lang=None)
    assert "网格化信访事项与矛盾纠纷排查风险管理" in top and "嵌入式数据库" in top
    assert "The embedded database" not in top
    run = help_of("cycle", "run", lang=None)
    assert "运行一次排查周期" in run and "截至日期" in run and "Run a screening cycle" not in run


def test_help_is_english_with_gridrisk_lang_en() -> None:
    top = help_of(lang="en")
    assert "escalation risk of grievance cases" in top and "The embedded database" in top
    assert "嵌入式数据库" not in top and "排查周期" not in top
    run = help_of("cycle", "run", lang="en")
    assert "Run a screening cycle and show its top cells" in run and "as-of day" in run
    assert "截至日期" not in run
    export = help_of("export", lang="en")
    assert "the complainants' contacts in clear" in export and "联系方式" not in export


def test_demo_scales_are_the_generators() -> None:
    assert set(SCALE_NAMES) == set(SCALES)


@pytest.mark.parametrize(("words", "said"), [
    (["cycle", "run"], "Missing option '--cadence'"),
    (["demo-data", "out", "--scale", "huge"], "'huge' is not one of small, medium, large"),
    (["cycle", "show", "--top", "many"], "Invalid value for '--top'"),
    (["no-such-command"], "No such command 'no-such-command'"),
])
def test_a_usage_error_shows_the_usage_not_a_traceback(words: list[str], said: str) -> None:
    done = subprocess.run([sys.executable, "-m", "gridrisk", *words], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2
    assert said in done.stderr and "Usage:" in done.stderr
    assert "Traceback" not in done.stderr and "╭" not in done.stderr


@pytest.mark.parametrize(("words", "said"), [
    (["campaign", "create", "--name", "x", "--region", "411325000000", "--start",
      "2026-01-01", "--match", "bogus"], "rule.match: Input should be 'any' or 'all'"),
    (["cycle", "decide", "1", "maybe"], "action: String should match pattern"),
])
def test_a_value_a_schema_refuses_is_named_not_a_traceback(words: list[str], said: str
                                                           ) -> None:
    # refused before the database is needed: an address nothing listens on proves it
    done = subprocess.run([sys.executable, "-m", "gridrisk", *words], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "200",
                               "GRIDRISK_DATABASE_URL": "postgresql://u@127.0.0.1:1/none"})
    assert done.returncode == 1
    assert said in done.stderr and "Invalid input" in done.stderr
    assert "Traceback" not in done.stderr and "╭" not in done.stderr
