"""The deadline policy: defaults shipped in policy.toml, overridable by a file of the same shape."""

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.toml")


@dataclass(frozen=True)
class DeadlinePolicy:
    accept_days: int = 15
    handle_days: int = 30
    complex_handle_days: int = 60
    max_extension_days: int = 30


def load_policy(path: Path | None = None) -> DeadlinePolicy:
    data = tomllib.loads((path or DEFAULT_POLICY_FILE).read_text(encoding="utf-8"))
    return DeadlinePolicy(**data.get("deadlines", {}))
