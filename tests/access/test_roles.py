"""The role table in one place: docs/access.md carries it as the code has it."""

from pathlib import Path

from gridrisk.access.roles import ROLE_ACTIONS, Action, role_table
from gridrisk.vocab import Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def test_docs_carry_the_role_table_of_the_code() -> None:
    assert role_table() in DOC.read_text(encoding="utf-8")


def test_every_role_has_a_row_of_actions_and_only_admins_read_the_log() -> None:
    assert set(ROLE_ACTIONS) == set(Role)
    assert [r for r in Role if Action.read_audit in ROLE_ACTIONS[r]] == [Role.admin]
    assert all(Action.read_cells in actions for actions in ROLE_ACTIONS.values())
