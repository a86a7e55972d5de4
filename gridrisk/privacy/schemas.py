"""What the API takes and gives for complainant contacts. A contact comes in with a new case
and goes out in clear only from the contact view (GET /cases/{id}/contact, the case page's
"show contact"); everywhere else it is masked (privacy.masking)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, Self

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from gridrisk.privacy.masking import mask_address, mask_id_number, mask_name, mask_phone
from gridrisk.privacy.numbers import parse_id_numbers, parse_phones

NAME_MAX = 100
ADDRESS_MAX = 500
#: a line break, tab, NUL or another control character: no part of a contact holds one
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f]"
#: the parts of a contact, in the order of contacts.csv
CONTACT_FIELDS = ("name", "phone", "id_number", "address")


class ContactIn(BaseModel):
    """How to reach the complainant (or a collective case's representative) about the case.
    Write-only: its values are secrets to pydantic, so they never show in a repr, a log
    line or the fingerprint a retried request is recognised by."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "张三", "phone": "13800138000", "id_number": "11010519491231002X",
        "address": "城关镇东湖村3组"}]})

    name: SecretStr = Field(description=f"the name, 1 to {NAME_MAX} characters")
    phone: SecretStr | None = Field(None, description="an 11-digit mobile or a landline with "
                                    "its area code; stored as 13812345678 or 010-12345678")
    id_number: SecretStr | None = Field(None, description="an 18-character resident identity "
                                        "card number, its check digit verified (GB 11643)")
    address: SecretStr | None = Field(None, description=f"at most {ADDRESS_MAX} characters")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return _bounded(value, NAME_MAX, required=True)

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: Any) -> Any:
        return _bounded(value, ADDRESS_MAX, required=False)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> Any:
        return _one(value, parse_phones)

    @field_validator("id_number", mode="before")
    @classmethod
    def _id_number(cls, value: Any) -> Any:
        return _one(value, lambda v: parse_id_numbers(v, today=date.today()))

    def plain(self) -> dict[str, str | None]:
        """The values in clear, for sealing."""
        return {f: (v.get_secret_value() if (v := getattr(self, f)) is not None else None)
                for f in CONTACT_FIELDS}


def _bounded(value: Any, limit: int, *, required: bool) -> Any:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    value = value.strip()
    if not value:
        if required:
            raise ValueError("required: the value is empty")
        return None
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters")
    if re.search(CONTROL_CHARACTERS, value):
        raise ValueError("holds a control character (a line break, tab or NUL)")
    return value


Parser = Callable[[pd.Series], tuple[pd.Series, pd.Series]]


def _one(value: Any, parse: Parser) -> Any:
    """A single phone or identity number through the column parser: its stored form."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str) or not value.strip():
        return None if isinstance(value, str) else value
    stored, reason = parse(pd.Series([value]))
    if reason.iloc[0]:
        raise ValueError(reason.iloc[0])
    return stored.iloc[0]


class ContactOut(BaseModel):
    """A contact in clear: only the contact view gives it."""

    name: str
    phone: str | None
    id_number: str | None
    address: str | None

    def masked(self) -> MaskedContact:
        return MaskedContact(
            name=mask_name(self.name),
            phone=mask_phone(self.phone) if self.phone else None,
            id_number=mask_id_number(self.id_number) if self.id_number else None,
            address=mask_address(self.address) if self.address else None)


class MaskedContact(BaseModel):
    """A contact as everyone but the contact view shows it: 张*, 138****8000."""

    name: str
    phone: str | None
    id_number: str | None
    address: str | None


class EventDetail(BaseModel):
    id: int
    detail: str


class ContactView(BaseModel):
    """Everything personal a case holds, in clear: its contact (null when none was recorded
    or it was erased under the retention policy) and its free text as typed (elsewhere the
    phone and identity numbers in it are masked)."""

    case_id: str
    contact: ContactOut | None
    summary: str | None
    event_details: list[EventDetail] = Field(description="the case file's details in clear, "
                                             "by event id")

    @classmethod
    def of(cls, case_id: str, contact: ContactOut | None, summary: str | None,
           details: list[tuple[int, str]]) -> Self:
        return cls(case_id=case_id, contact=contact, summary=summary,
                   event_details=[EventDetail(id=i, detail=d) for i, d in details])
