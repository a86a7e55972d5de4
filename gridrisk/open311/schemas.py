"""GeoReport v2's shapes: a service (a case category), a service request as a complainant
sees it (its state and the date of the next step; no internal notes, no names, no place),
and a request a partner system files."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridrisk.cases.schemas import Code, Text
from gridrisk.vocab import Category

#: GeoReport fields gridrisk does not take, and why: a person's details are recorded by the
#: handler who accepts the case (they are stored apart, encrypted), and files are not kept
REFUSED_FIELDS = {
    **dict.fromkeys(("first_name", "last_name", "email", "phone", "device_id", "account_id"),
                    "contact details are not taken through Open311; the handler who accepts "
                    "the case records them"),
    "media_url": "attachments are not kept; describe the matter in description",
}


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
        return self


class RequestCreated(BaseModel):
    service_request_id: str
    token: str = Field(description="the receipt token: shown once, the key to the status")
    service_notice: str
    account_id: str = ""


class ReceiptOut(BaseModel):
    case_id: str
    token: str = Field(description="the new receipt token (any earlier one stops working); "
                       "shown once")
