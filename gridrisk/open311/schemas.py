"""GeoReport v2's shapes: a service (a case category), a service request as a complainant
sees it (its state and the date of the next step; no internal notes, no names, no place),
and a request a partner system files."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)

from gridrisk.cases.schemas import Code, Text
from gridrisk.privacy.schemas import ContactIn
from gridrisk.vocab import Category

#: GeoReport fields gridrisk does not take, and why. A name and phone are taken (sealed
#: with the case's contact, docs/privacy.md); nothing is kept that would follow a person
#: from case to case, and files are not kept
REFUSED_FIELDS = {
    **dict.fromkeys(("email", "device_id", "account_id"),
                    "not kept: gridrisk keeps a complainant's name and phone with the case "
                    "only (first_name, last_name, phone)"),
    "media_url": "attachments are not kept; describe the matter in description",
}
#: which GeoReport field a part of the contact came from, for naming it in an error
CONTACT_SOURCES = {"name": "last_name", "phone": "phone"}


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = False
    type: str = "realtime"
    keywords: str = ""
    group: str = ""


class ServiceRequestOut(BaseModel):
    """What GeoReport v2 lists for a request, as much as a receipt token may show."""

    service_request_id: str
    status: str = Field(description="open or closed")
    status_notes: str
    service_name: str
    service_code: str
    description: str = ""
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str = Field(description="the deadline of the next step; empty once "
                                   "closed")
    address: str = ""
    address_id: str = ""
    zipcode: str = ""
    media_url: str = ""


class RequestIn(BaseModel):
    """A GeoReport v2 request: a category, a place (lat and long, or address_id: a cell or
    village code) and a description."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"service_code": "environment", "lat": 34.02, "long": 114.03,
         "description": "河道有异味", "address_string": "东湖村南"},
        {"service_code": "wages_labour", "address_id": "41100000120101",
         "description": "工地拖欠工资"}]})

    service_code: Category
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_id: Code | None = None
    address_string: Text | None = None
    description: Text = Field(min_length=1)
    jurisdiction_id: Code | None = None
    first_name: SecretStr | None = Field(None, description="the complainant's given name")
    last_name: SecretStr | None = Field(None, description="the complainant's family name")
    phone: SecretStr | None = Field(None, description="how the handler calls back: an "
                                    "11-digit mobile or a landline with its area code")
    _contact: ContactIn | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _nothing_refused(cls, values: Any) -> Any:
        if isinstance(values, dict):
            for name, reason in REFUSED_FIELDS.items():
                if values.get(name):
                    raise ValueError(f"{name}: {reason}")
        return values

    @model_validator(mode="after")
    def _placed(self) -> RequestIn:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat: lat and long go together")
        if self.lat is None and not self.address_id:
            raise ValueError("lat: give lat and long (WGS84), or address_id (a cell or "
                             "village code); an address string alone cannot be placed")
        self._contact = self._contact_given()
        return self

    def _contact_given(self) -> ContactIn | None:
        """The name (family name first) and phone as the case's sealed contact; a phone
        without a name is refused, since a handler must know whom they call."""
        parts = [p.get_secret_value().strip() for p in (self.last_name, self.first_name) if p]
        if not any(parts) and self.phone is None:
            return None
        try:
            return ContactIn(name="".join(parts), phone=self.phone)
        except ValidationError as exc:
            error = exc.errors()[0]
            part = str(error["loc"][0]) if error["loc"] else "name"
            raise ValueError(f"{CONTACT_SOURCES.get(part, part)}: "
                             f"{error['msg'].removeprefix('Value error, ')}") from None

    @property
    def contact(self) -> ContactIn | None:
        return self._contact


class RequestCreated(BaseModel):
    service_request_id: str
    token: str = Field(description="the receipt token: shown once, the key to the status")
    service_notice: str
    account_id: str = ""


class ReceiptOut(BaseModel):
    case_id: str
    token: str = Field(description="the new receipt token (any earlier one stops working); "
                       "shown once")
