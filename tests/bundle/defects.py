"""Bundles with one class of real-world defect each, built on the tiny bundle: the import must
report the defect and write nothing wrong, and importing the same bundle again must write
nothing at all (tests/bundle/test_reimport.py imports every one twice)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import CASE_HEADER, CASES, EVENT_HEADER, EVENTS, write_csv, write_tiny_bundle

#: a case whose file was exported in time order: closed ten seconds before it was accepted,
#: and a second extension after the first
REFUSED_CASE = {**CASES[1], "case_id": "C5", "received_on": "2025-03-01"}
REFUSED_EVENTS = [
    {"case_id": "C5", "at": "2025-03-03T09:59:50+08:00", "type": "closed", "detail": "resolved"},
    {"case_id": "C5", "at": "2025-03-03T10:00:00+08:00", "type": "accepted"},
    {"case_id": "C5", "at": "2025-03-05", "type": "extended", "detail": "延期15日"},
    {"case_id": "C5", "at": "2025-03-06", "type": "extended", "detail": "延期10日"},
    {"case_id": "C5", "at": "2025-03-20", "type": "closed", "detail": "resolved"},
]


def workflow_refused(folder: Path) -> Path:
    write_tiny_bundle(folder)
    write_csv(folder / "cases.csv", CASE_HEADER, [*CASES, REFUSED_CASE])
    write_csv(folder / "case_events.csv", EVENT_HEADER, [*EVENTS, *REFUSED_EVENTS])
    return folder


DEFECTS: dict[str, Callable[[Path], Path]] = {
    "tiny": write_tiny_bundle,
    "workflow_refused": workflow_refused,
}
