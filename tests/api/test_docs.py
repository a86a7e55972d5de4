"""docs/api.md names every path of the OpenAPI document, so a newcomer reading it misses no
endpoint."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented(path: str, doc: str) -> bool:
    """The path appears in the doc with any names for its parameters (`{id}` for
    `{case_id}`)."""
    pattern = re.escape(path)
    pattern = re.sub(r"\\\{[^}]*\\\}", r"\\{[^}]+\\}", pattern)
    return re.search(pattern + r"(?![\w/{])", doc) is not None


def test_every_path_is_in_the_api_doc(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    doc = API_DOC.read_text(encoding="utf-8")

    missing = [path for path in paths if not documented(path, doc)]

    assert {"/cases", "/cycles", "/ogc"} <= set(paths)
    assert missing == [], f"docs/api.md does not mention: {missing}"
