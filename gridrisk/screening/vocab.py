"""Codes from the bundle spec for screening records."""

from enum import StrEnum


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Outcome(StrEnum):
    resolved_on_site = "resolved_on_site"
    mediating = "mediating"
    referred = "referred"
    became_case = "became_case"
