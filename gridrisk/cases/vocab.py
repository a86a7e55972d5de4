"""Codes from the bundle spec for cases and their files."""

from enum import StrEnum


class Channel(StrEnum):
    visit = "visit"
    letter = "letter"
    phone = "phone"
    online = "online"
    reception = "reception"
    screening = "screening"
    referral = "referral"


class Category(StrEnum):
    land_requisition = "land_requisition"
    wages_labour = "wages_labour"
    housing_property = "housing_property"
    property_management = "property_management"
    social_security = "social_security"
    medical = "medical"
    environment = "environment"
    veterans = "veterans"
    financial_loss = "financial_loss"
    court_related = "court_related"
    other = "other"


class EventType(StrEnum):
    accepted = "accepted"
    not_accepted = "not_accepted"
    site_visit = "site_visit"
    met_complainant = "met_complainant"
    mediation = "mediation"
    hearing = "hearing"
    opinion_issued = "opinion_issued"
    review_requested = "review_requested"
    review_decided = "review_decided"
    rereview_requested = "rereview_requested"
    rereview_decided = "rereview_decided"
    extended = "extended"
    closed = "closed"
    followed_up = "followed_up"
    reopened = "reopened"
    refiled = "refiled"
    escalated = "escalated"


class EventLevel(StrEnum):
    village = "village"
    township = "township"
    county = "county"
    city = "city"
    province = "province"
    national = "national"


class ClosureType(StrEnum):
    resolved = "resolved"
    agreement_signed = "agreement_signed"
    terminated_after_review = "terminated_after_review"
    withdrawn = "withdrawn"


class Satisfaction(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


#: events whose level column is filled
LEVELLED_EVENTS = (EventType.refiled, EventType.escalated, EventType.review_requested,
                   EventType.rereview_requested)

COLLECTIVE_PARTIES = 5


#: English names of the categories; the Chinese ones are the risk model's (models/reasons.py)
CATEGORY_NAMES_EN = {
    "land_requisition": "Land requisition", "wages_labour": "Wages and labour",
    "housing_property": "Housing ownership", "property_management": "Property management",
    "social_security": "Social security", "medical": "Medical", "environment": "Environment",
    "veterans": "Veterans", "financial_loss": "Financial losses",
    "court_related": "Court-related", "other": "Other",
}


def category_labels(lang: str) -> dict[str, str]:
    """Category code → name in the interface language (zh or en)."""
    from models.reasons import CATEGORY_NAMES

    return dict(CATEGORY_NAMES_EN if lang == "en" else CATEGORY_NAMES)
