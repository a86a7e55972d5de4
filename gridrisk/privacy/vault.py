"""The key that seals complainant contacts, kept in a file outside the database, and the
sealing itself: AES-256-GCM from `cryptography` (an authenticated cipher: a changed or
swapped ciphertext does not open). Each contact is sealed with a fresh 96-bit nonce and its
case id as associated data, so a sealed contact moved to another case's row does not open
either. Without the key file the database holds nothing readable (docs/privacy.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gridrisk.privacy.errors import ContactUnreadable, KeyUnavailable
from gridrisk.settings import Settings

KEY_BYTES = 32
NONCE_BYTES = 12
HEADER = ("# gridrisk secret key: it seals the complainants' contacts in the database.\n"
          "# Without it they cannot be read; whoever holds it (and the database) can.\n"
          "# Keep a copy where you keep the backups, readable by nobody else (mode 600).\n")


class Vault:
    """Seals and opens contacts with the key in `path`; the key is generated (mode 0600) the
    first time something is sealed, never when only reading."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._key: bytes | None = None

    @classmethod
    def of(cls, settings: Settings) -> Vault:
        return cls(settings.secret_key_path)

    def exists(self) -> bool:
        return self.path.exists()

    def key(self, *, create: bool = False) -> bytes:
        if self._key is None:
            if not self.path.exists():
                if not create:
                    raise KeyUnavailable(f"no key file at {self.path}: restore it from your "
                                         "backup, or set GRIDRISK_SECRET_KEY_FILE to where it is")
                self._generate()
            self._key = self._read()
        return self._key

    @property
    def key_id(self) -> str:
        """A name for the key that gives nothing of it away: which key sealed a contact."""
        return hashlib.sha256(b"gridrisk key id\0" + self.key()).hexdigest()[:16]

    def seal(self, case_id: str, contact: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps(contact, ensure_ascii=False, sort_keys=True).encode()
        return nonce + AESGCM(self.key(create=True)).encrypt(nonce, plain, case_id.encode())

    def open(self, case_id: str, sealed: bytes) -> dict[str, Any]:
        sealed = bytes(sealed)
        try:
            plain = AESGCM(self.key()).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                               case_id.encode())
        except InvalidTag as exc:
            raise ContactUnreadable(case_id) from exc
        return json.loads(plain)  # type: ignore[no-any-return]

    def _generate(self) -> None:
        """Written whole to a file of its own, then linked into place: two processes starting
        at once keep the one key linked first, and nobody reads half a key."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = HEADER + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n"
        draft = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}")
        handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.link(draft, self.path)
        except FileExistsError:
            pass
        finally:
            draft.unlink(missing_ok=True)

    def _read(self) -> bytes:
        mode = self.path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable(f"the key file {self.path} can be read by other users (mode "
                                 f"{stat.S_IMODE(mode):o}): run chmod 600 {self.path}")
        lines = [line.strip() for line in self.path.read_text(encoding="ascii").splitlines()
                 if line.strip() and not line.startswith("#")]
        try:
            key = base64.b64decode(lines[0], validate=True) if len(lines) == 1 else b""
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise KeyUnavailable(f"the key file {self.path} does not hold a gridrisk key (one "
                                 f"line of base64 for {KEY_BYTES} bytes)")
        return key
