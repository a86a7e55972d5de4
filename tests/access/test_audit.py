"""The audit log: every write, sign-in and export with who, when, what and from where; the
database refuses to change or delete an entry; administrators read it (GET /audit, gridrisk
audit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text

from ..accounts import ClientAs
from ..api.conftest import problem
from ..api.test_cases import NEW_CASE
from ..bundle.conftest import COUNTY, write_tiny_bundle
from ..cli.test_commands import env, gridrisk  # noqa: F401  (env is a fixture)


def test_writes_are_audited_with_who_what_and_where(client_as: ClientAs,
                                                    conn: Connection) -> None:
    handler = client_as("handler", COUNTY, name="audited-handler")
    assert handler.post("/cases", json=NEW_CASE).status_code == 201
    assert handler.post("/cases/N1/events", json={"type": "accepted", "at": "2026-10-02"},
                        headers={"If-Match": '"1"'}).status_code == 201
    problem(handler.post("/cases/N1/events", json={"type": "accepted", "at": "2026-10-02"},
                         headers={"If-Match": '"1"'}), 412)  # refused: not a write
    entries = conn.execute(text(
        "SELECT actor, action, target, address, detail FROM audit_log"
        " WHERE actor = 'audited-handler' ORDER BY id")).all()
    assert [(e.actor, e.action, e.target, e.address) for e in entries] == [
        ("audited-handler", "open_case", "N1", "testclient"),
        ("audited-handler", "append_event", "N1", "testclient")]
    assert entries[1].detail == {"type": "accepted", "version": 2}


def test_the_database_refuses_to_change_the_log(conn: Connection) -> None:
    conn.execute(text("INSERT INTO audit_log (actor, action) VALUES ('x', 'test')"))
    for statement in ("UPDATE audit_log SET actor = 'y'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        with pytest.raises(Exception, match="append-only"), conn.begin_nested():
            conn.execute(text(statement))


def test_only_administrators_read_it(client_as: ClientAs) -> None:
    admin: TestClient = client_as("admin", COUNTY)
    planner = client_as("planner", COUNTY, name="curious-planner")
    assert "read the audit log" in problem(planner.get("/audit"), 403)["detail"]
    planner.get("/cases")  # reads are not written to the log
    page = admin.get("/audit", params={"action": "open_case"}).json()
    assert page["total"] == 0
    client_as("supervisor", COUNTY, name="writer").post("/cases", json=NEW_CASE)
    page = admin.get("/audit", params={"actor": "writer"}).json()
    assert [(e["action"], e["target"]) for e in page["items"]] == [("open_case", "N1")]


@pytest.mark.slow
def test_accounts_and_the_log_from_the_command_line(env: dict[str, str],  # noqa: F811
                                                    tmp_path: Path) -> None:
    assert gridrisk("import", str(write_tiny_bundle(tmp_path / "tiny")), env=env,
                    cwd=tmp_path).returncode == 0
    secret = {**env, "GRIDRISK_PASSWORD": "a long passphrase"}
    added = gridrisk("user", "add", "zhang", "--role", "supervisor", "--region", COUNTY,
                     env=secret, cwd=tmp_path)
    worker = gridrisk("user", "add", "W7", "--role", "worker", "--region", "41100000120101",
                      env=secret, cwd=tmp_path)
    twice = gridrisk("user", "add", "zhang", "--role", "planner", "--region", COUNTY,
                     env=secret, cwd=tmp_path)
    nowhere = gridrisk("user", "add", "li", "--role", "planner", "--region", "999",
                       env=secret, cwd=tmp_path)
    token = gridrisk("user", "token", "zhang", env=env, cwd=tmp_path)
    listed = gridrisk("user", "list", env=env, cwd=tmp_path)
    passwd = gridrisk("user", "passwd", "zhang", "--password", "another long one",
                      env=env, cwd=tmp_path)
    disabled = gridrisk("user", "disable", "zhang", env=env, cwd=tmp_path)
    exported = gridrisk("export", "--region", COUNTY, str(tmp_path / "out"), env=env,
                        cwd=tmp_path)
    log = gridrisk("audit", env=env, cwd=tmp_path)

    assert added.returncode == 0 and "zhang（supervisor）" in added.stdout, added.stderr
    assert worker.returncode == 0 and "41100000120101" in worker.stdout
    assert twice.returncode == 1 and "exists already" in twice.stderr
    assert nowhere.returncode == 1 and "neither a region nor a cell" in nowhere.stderr
    assert token.returncode == 0
    secret_token = token.stdout.strip().splitlines()[-1]
    assert len(secret_token) >= 40 and " " not in secret_token
    assert "zhang" in listed.stdout and "W7" in listed.stdout and "worker" in listed.stdout
    assert passwd.returncode == 0 and disabled.returncode == 0
    assert exported.returncode == 0
    for action in ("user_added", "token_issued", "password_set", "user_disabled", "export"):
        assert action in log.stdout, action
    engine = create_engine(env["GRIDRISK_DATABASE_URL"])
    with engine.connect() as conn:
        live = conn.execute(text("SELECT count(*) FROM tokens WHERE revoked_at IS NULL")
                            ).scalar_one()
        hashes = conn.execute(text("SELECT token_hash FROM tokens")).scalars().all()
    engine.dispose()
    assert live == 0  # disabling ended the token
    assert secret_token not in hashes  # only its hash is kept
