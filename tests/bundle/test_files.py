"""Reading a bundle's CSV files: each record's line, however the file is scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridrisk.bundle import files
from gridrisk.bundle.files import BOM, read_csv_rows

COLUMNS = {"id": True, "note": False}


@pytest.mark.parametrize("window", [3, 7, files.BREAK_WINDOW])
@pytest.mark.parametrize(("body", "lines"), [
    (b"id,note\na,x\nb,y\nc,z\n", [2, 3, 4]),
    (b"id,note\na,x\nb,y\nc,z", [2, 3, 4]),  # no line break after the last record
    (BOM + b"id,note\na,x\nb,y", [2, 3]),
    (b'id,note\na,"two\nlines"\nb,y\n\nc,z\n', [2, 4, 6]),  # a quoted break, a blank line
])
def test_each_record_keeps_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    window: int, body: bytes, lines: list[int]) -> None:
    monkeypatch.setattr(files, "BREAK_WINDOW", window)
    (tmp_path / "x.csv").write_bytes(body)

    rows = read_csv_rows(tmp_path, "x.csv", COLUMNS, encoding=None, notices=[])

    frame = rows.frame()
    assert frame["line"].tolist() == lines
    assert frame["id"].tolist() == ["a", "b", "c"][:len(lines)]
