"""Every code of the bundle spec and of gridrisk's own records (StrEnums, the values stored
and exchanged), with its name in Chinese and English. The one place these live: pages, maps,
reports, the CLI and the model's reasons take their names from `labels`; models/ and maps/
receive them as data and never import this module."""

from __future__ import annotations

from enum import StrEnum


# -- regions -------------------------------------------------------------------
class RegionLevel(StrEnum):
    county = "county"
    township = "township"
    village = "village"
    community = "community"


#: the level a region's parent must have
PARENT_LEVEL = {
    RegionLevel.county: None,
    RegionLevel.township: RegionLevel.county,
    RegionLevel.village: RegionLevel.township,
    RegionLevel.community: RegionLevel.township,
}

#: levels that hold grid cells
CELL_HOLDERS = (RegionLevel.village, RegionLevel.community)


class Crs(StrEnum):
    wgs84 = "wgs84"
    cgcs2000 = "cgcs2000"
    gcj02 = "gcj02"
    bd09 = "bd09"


# -- cases ---------------------------------------------------------------------
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


# -- screening -----------------------------------------------------------------
class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Outcome(StrEnum):
    resolved_on_site = "resolved_on_site"
    mediating = "mediating"
    referred = "referred"
    became_case = "became_case"


# -- cycles --------------------------------------------------------------------
class Cadence(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


#: how far ahead each cadence's scores look (DESIGN.md)
HORIZON_DAYS = {Cadence.daily: 7, Cadence.weekly: 30, Cadence.monthly: 90}
#: how far back a cycle counts missed screenings: a week, four weeks, thirteen weeks
COVERAGE_WEEKS = {Cadence.daily: 1, Cadence.weekly: 4, Cadence.monthly: 13}


class Hotspot(StrEnum):
    hot_99 = "hot_99"
    hot_95 = "hot_95"
    hot_90 = "hot_90"
    none = "none"
    cold_90 = "cold_90"
    cold_95 = "cold_95"
    cold_99 = "cold_99"


class Trend(StrEnum):
    """Emerging hot-spot categories (docs/cycles.md); "" when the cell is not hot now."""

    new = "new"
    persistent = "persistent"
    intensifying = "intensifying"
    diminishing = "diminishing"
    sporadic = "sporadic"
    none = ""


class AssignmentKind(StrEnum):
    investigation = "investigation"
    follow_up = "follow_up"
    screening = "screening"


class AssignmentStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    dropped = "dropped"
    done = "done"


class Engine(StrEnum):
    local = "local"
    dask = "dask"


# -- reports and campaigns -----------------------------------------------------------
class Indicator(StrEnum):
    """The figures of the indicator spec (docs/indicators.md), in the order reports show
    them."""

    accept_on_time = "accept_on_time"
    handle_on_time = "handle_on_time"
    resolution = "resolution"
    no_return = "no_return"
    rated = "rated"
    satisfied = "satisfied"
    one_time = "one_time"
    repeat = "repeat"
    escalations = "escalations"
    overdue_open = "overdue_open"
    days_to_close = "days_to_close"
    coverage = "coverage"
    zero_report = "zero_report"


#: levels an escalation is counted by (越级信访), lowest first
ESCALATION_LEVELS = (EventLevel.county, EventLevel.city, EventLevel.province,
                     EventLevel.national)


class ReportKind(StrEnum):
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"


class CampaignPhase(StrEnum):
    sorting = "sorting"
    resolving = "resolving"
    consolidating = "consolidating"

# -- access ------------------------------------------------------------------------------
class Role(StrEnum):
    worker = "worker"
    handler = "handler"
    supervisor = "supervisor"
    planner = "planner"
    admin = "admin"


class ScopeKind(StrEnum):
    """What an account holds: a region and everything under it, or one cell (workers)."""

    region = "region"
    cell = "cell"


class TokenKind(StrEnum):
    session = "session"
    api = "api"


# -- names -------------------------------------------------------------------------------
#: language → vocabulary → code → name
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "zh": {
        "category": {
            "land_requisition": "征地拆迁", "wages_labour": "劳资纠纷",
            "housing_property": "房产物业权属", "property_management": "物业管理",
            "social_security": "社会保障", "medical": "医疗纠纷", "environment": "环境保护",
            "veterans": "退役军人", "financial_loss": "涉众金融", "court_related": "涉法涉诉",
            "other": "其他"},
        "channel": {"visit": "来访", "letter": "来信", "phone": "来电", "online": "网上信访",
                    "reception": "领导接访", "screening": "排查发现", "referral": "上级交办"},
        "event": {"accepted": "受理", "not_accepted": "不予受理", "site_visit": "实地走访",
                  "met_complainant": "约见信访人", "mediation": "调解", "hearing": "听证",
                  "opinion_issued": "出具处理意见", "review_requested": "申请复查",
                  "review_decided": "复查决定", "rereview_requested": "申请复核",
                  "rereview_decided": "复核决定", "extended": "延期", "closed": "办结",
                  "followed_up": "回访", "reopened": "重新办理", "refiled": "重复信访",
                  "escalated": "越级上访"},
        "level": {"village": "村（社区）", "township": "乡镇（街道）", "county": "县级",
                  "city": "市级", "province": "省级", "national": "国家级"},
        "region_level": {"county": "县（区）", "township": "乡镇（街道）", "village": "村",
                         "community": "社区"},
        "closure": {"resolved": "已解决办结", "agreement_signed": "签订息诉罢访协议",
                    "terminated_after_review": "复查复核终结", "withdrawn": "撤回",
                    "not_accepted": "不予受理"},
        "satisfaction": {"satisfied": "满意", "basically_satisfied": "基本满意",
                         "unsatisfied": "不满意"},
        "severity": {"low": "一般", "medium": "较大", "high": "重大"},
        "outcome": {"resolved_on_site": "当场化解", "mediating": "调解中", "referred": "已移交",
                    "became_case": "已转信访事项"},
        "kind": {"investigation": "核查", "follow_up": "回访", "screening": "补排查"},
        "status": {"proposed": "待审核", "accepted": "已接受", "dropped": "已撤销",
                   "done": "已办结"},
        "cadence": {"daily": "每日", "weekly": "每周", "monthly": "每月"},
        "role": {"worker": "网格员", "handler": "承办人", "supervisor": "乡镇（街道）督办",
                 "planner": "县（区）规划", "admin": "系统管理员"},
        "hotspot": {"hot_99": "热点（99%置信度）", "hot_95": "热点（95%置信度）",
                    "hot_90": "热点（90%置信度）", "none": "不显著",
                    "cold_90": "冷点（90%置信度）", "cold_95": "冷点（95%置信度）",
                    "cold_99": "冷点（99%置信度）"},
        "trend": {"new": "新出现", "persistent": "持续", "intensifying": "加剧",
                  "diminishing": "减弱", "sporadic": "零星", "": ""},
        "indicator": {"accept_on_time": "按期受理率", "handle_on_time": "按期办结率",
                      "resolution": "化解率", "no_return": "息诉罢访率", "rated": "参评率",
                      "satisfied": "参评满意率", "one_time": "一次性化解率",
                      "repeat": "重复信访率", "escalations": "越级信访",
                      "overdue_open": "超期在办", "days_to_close": "平均办结天数",
                      "coverage": "排查覆盖率", "zero_report": "零报告按时率"},
        "report": {"weekly": "周调度", "monthly": "月通报", "quarterly": "季考评"},
        "phase": {"sorting": "梳理交办", "resolving": "集中化解", "consolidating": "巩固提升"},
        "open311": {"awaiting": "已登记，待受理", "handling": "已受理，正在办理",
                    "closed": "已办结", "next_accept": "受理期限", "next_handle": "办理期限",
                    "notice": "请妥善保管回执码，凭事项编号和回执码查询办理进度"},
    },
    "en": {
        "category": {
            "land_requisition": "Land requisition", "wages_labour": "Wages and labour",
            "housing_property": "Housing ownership", "property_management": "Property management",
            "social_security": "Social security", "medical": "Medical",
            "environment": "Environment", "veterans": "Veterans",
            "financial_loss": "Financial losses", "court_related": "Court-related",
            "other": "Other"},
        "channel": {"visit": "Visit", "letter": "Letter", "phone": "Phone", "online": "Online",
                    "reception": "Reception day", "screening": "Screening",
                    "referral": "Referral from above"},
        "event": {"accepted": "Accepted", "not_accepted": "Not accepted",
                  "site_visit": "Site visit", "met_complainant": "Met the complainant",
                  "mediation": "Mediation", "hearing": "Hearing",
                  "opinion_issued": "Written opinion", "review_requested": "Review requested",
                  "review_decided": "Review decided",
                  "rereview_requested": "Re-review requested",
                  "rereview_decided": "Re-review decided", "extended": "Deadline extended",
                  "closed": "Closed", "followed_up": "Follow-up", "reopened": "Reopened",
                  "refiled": "Refiled", "escalated": "Escalated"},
        "level": {"village": "Village", "township": "Township", "county": "County",
                  "city": "City", "province": "Province", "national": "National"},
        "region_level": {"county": "County", "township": "Township", "village": "Village",
                         "community": "Community"},
        "closure": {"resolved": "Resolved", "agreement_signed": "Agreement signed",
                    "terminated_after_review": "Terminated after review",
                    "withdrawn": "Withdrawn", "not_accepted": "Not accepted"},
        "satisfaction": {"satisfied": "Satisfied", "basically_satisfied": "Basically satisfied",
                         "unsatisfied": "Unsatisfied"},
        "severity": {"low": "Low", "medium": "Medium", "high": "High"},
        "outcome": {"resolved_on_site": "Resolved on site", "mediating": "Mediating",
                    "referred": "Referred", "became_case": "Became a case"},
        "kind": {"investigation": "Investigation", "follow_up": "Follow-up",
                 "screening": "Screening"},
        "status": {"proposed": "Proposed", "accepted": "Accepted", "dropped": "Dropped",
                   "done": "Done"},
        "cadence": {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"},
        "role": {"worker": "Grid worker", "handler": "Case handler",
                 "supervisor": "Supervisor", "planner": "Planner",
                 "admin": "Administrator"},
        "hotspot": {"hot_99": "Hot spot (99% confidence)", "hot_95": "Hot spot (95% confidence)",
                    "hot_90": "Hot spot (90% confidence)", "none": "Not significant",
                    "cold_90": "Cold spot (90% confidence)",
                    "cold_95": "Cold spot (95% confidence)",
                    "cold_99": "Cold spot (99% confidence)"},
        "trend": {"new": "New", "persistent": "Persistent", "intensifying": "Intensifying",
                  "diminishing": "Diminishing", "sporadic": "Sporadic", "": ""},
        "indicator": {"accept_on_time": "Accepted on time", "handle_on_time": "Handled on time",
                      "resolution": "Resolution rate", "no_return": "No return after closing",
                      "rated": "Follow-up rate", "satisfied": "Satisfied among rated",
                      "one_time": "Resolved at first handling", "repeat": "Repeat rate",
                      "escalations": "Escalations", "overdue_open": "Open and overdue",
                      "days_to_close": "Mean days to close", "coverage": "Screening coverage",
                      "zero_report": "Daily reports on time"},
        "report": {"weekly": "Weekly dispatch", "monthly": "Monthly bulletin",
                   "quarterly": "Quarterly evaluation"},
        "phase": {"sorting": "Sorting and handing out", "resolving": "Concentrated resolution",
                  "consolidating": "Consolidation"},
        "open311": {"awaiting": "Received, awaiting acceptance",
                    "handling": "Accepted, being handled", "closed": "Closed",
                    "next_accept": "to be accepted by", "next_handle": "to be handled by",
                    "notice": "Keep the receipt token: with the request id it shows where "
                              "the request stands"},
    },
}
LANGS = tuple(LABELS)


def labels(lang: str) -> dict[str, dict[str, str]]:
    """Vocabulary → code → name in `lang` (zh or en)."""
    if lang not in LABELS:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGS)}")
    return LABELS[lang]
