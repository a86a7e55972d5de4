"""requirements.lock pins every package pyproject.toml's dependencies pull in, and agrees
with the floors: a dependency added without `./run lock` fails here, not in someone's venv."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKED_EXTRAS = ("test", "bench")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[normal(name)] = Version(version)
    return pins


def wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]] + [
        Requirement(r) for extra in LOCKED_EXTRAS
        for r in project["optional-dependencies"][extra]]


def test_every_dependency_is_pinned_within_its_floor() -> None:
    pins = locked()
    for requirement in wanted():
        name = normal(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: run ./run lock"
        assert requirement.specifier.contains(pins[name]), (
            f"requirements.lock pins {name}=={pins[name]}, outside {requirement}")


def test_what_the_dependencies_pull_in_is_pinned_too() -> None:
    """Through the installed packages' own requirements (the bench extra's, when it is not
    installed, stop at their names)."""
    pins = locked()
    todo, seen = wanted(), set()
    while todo:
        requirement = todo.pop()
        name = normal(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{name} (for {requirement}) is not in requirements.lock"
        try:
            dist = distribution(requirement.name)
        except PackageNotFoundError:
            continue
        for extra in ("", *requirement.extras):
            todo.extend(Requirement(str(r).split(";")[0])
                        for r in map(Requirement, dist.requires or [])
                        if not r.marker or r.marker.evaluate({"extra": extra}))
    assert len(seen) > 100
