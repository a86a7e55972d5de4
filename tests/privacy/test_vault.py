"""The key file and the sealing: generated once with mode 0600, never on a read, refused when
others can read it; a sealed contact opens only with its key and in its own case."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from gridrisk.privacy.errors import ContactUnreadable, KeyUnavailable
from gridrisk.privacy.vault import Vault
from gridrisk.settings import Settings

CONTACT = {"name": "张三", "phone": "13812348000", "id_number": None, "address": None}


def test_the_key_is_made_on_first_sealing_with_mode_600(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "keys" / "secret.key")
    with pytest.raises(KeyUnavailable, match="no key file at"):
        vault.key()
    assert not vault.exists()

    sealed = vault.seal("C1", CONTACT)

    assert vault.path.stat().st_mode & 0o777 == 0o600
    assert vault.path.parent.stat().st_mode & 0o777 == 0o700
    assert Vault(vault.path).open("C1", sealed) == CONTACT
    assert "张三".encode() not in sealed and b"13812348000" not in sealed


def test_each_sealing_differs_and_opens_only_in_its_case(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "secret.key")
    first, second = vault.seal("C1", CONTACT), vault.seal("C1", CONTACT)
    assert first != second
    with pytest.raises(ContactUnreadable, match="case C2"):
        vault.open("C2", first)
    tampered = first[:-1] + bytes([first[-1] ^ 1])
    with pytest.raises(ContactUnreadable):
        vault.open("C1", tampered)


def test_another_key_does_not_open_it(tmp_path: Path) -> None:
    sealed = Vault(tmp_path / "a.key").seal("C1", CONTACT)
    other = Vault(tmp_path / "b.key")
    other.key(create=True)
    assert other.key_id != Vault(tmp_path / "a.key").key_id
    with pytest.raises(ContactUnreadable):
        other.open("C1", sealed)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "secret.key")
    vault.key(create=True)
    vault.path.chmod(0o644)
    with pytest.raises(KeyUnavailable, match="chmod 600"):
        Vault(vault.path).key()


def test_a_damaged_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("# a note\nnot a key\n")
    path.chmod(0o600)
    with pytest.raises(KeyUnavailable, match="does not hold a gridrisk key"):
        Vault(path).key()


def _make_key(path: str) -> str:
    return Vault(Path(path)).key(create=True).hex()


def test_processes_starting_at_once_share_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / "secret.key")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_make_key, [path] * 8)
    assert len(set(keys)) == 1


def test_the_key_lives_in_the_data_directory_unless_named(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).secret_key_path == tmp_path.resolve() / "secret.key"
    named = Settings(data_dir=tmp_path, secret_key_file=tmp_path / "elsewhere" / "k")
    assert named.secret_key_path == tmp_path.resolve() / "elsewhere" / "k"
