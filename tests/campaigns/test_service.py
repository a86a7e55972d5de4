"""Backlog campaigns on the hand-built county (tests/reports/county.py): the scope rule's
classes, a frozen list that later cases do not join, each case's six ones, and progress
figures worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection

from gridrisk.access.scope import Scope
from gridrisk.campaigns.errors import NotInCampaign, UnknownCampaign
from gridrisk.campaigns.schemas import CampaignCaseIn, CampaignIn, ScopeRule
from gridrisk.campaigns.service import (
    campaign_progress,
    create_campaign,
    get_campaign,
    list_campaigns,
    matching_cases,
    set_campaign_case,
)
from gridrisk.cases.schemas import CaseIn
from gridrisk.cases.service import open_case
from gridrisk.policy import Policy
from gridrisk.reports.sources import load_case_files, region_units

from ..reports.conftest import TIMEZONE

BACKLOG = ScopeRule(received_before=date(2026, 9, 1))


def launch(db: Connection, policy: Policy, rule: ScopeRule = BACKLOG, *,
           launched_on: date = date(2026, 10, 1), region: str = "K"):  # type: ignore[no-untyped-def]
    return create_campaign(db, CampaignIn(
        name="示范县信访积案化解专项行动", region_code=region, starts_on=date(2026, 10, 1),
        rule=rule, launched_on=launched_on), policy=policy, timezone=TIMEZONE)


def taken(db: Connection, policy: Policy, rule: ScopeRule, day: date) -> list[str]:
    files, details = load_case_files(db, region_units(db, "K", None), timezone=TIMEZONE,
                                     deadlines=policy.deadlines, details=True)
    return sorted(files.case_ids[matching_cases(files, details, rule, day)].tolist())


def test_the_scope_rule_classes(county_db: Connection, policy: Policy) -> None:
    end = date(2026, 10, 31)

    def everything(**classes: object) -> ScopeRule:
        return ScopeRule(include_settled=True, **classes)  # type: ignore[arg-type]
    assert taken(county_db, policy, everything(min_acceptances=2),
                 end) == ["A3"]
    assert taken(county_db, policy, everything(collective=True),
                 end) == ["A3"]
    # A5 went to the city only
    assert taken(county_db, policy, everything(escalated_to="province"), end) == ["B3", "B4"]
    wages_up_high = {"categories": ["wages_labour"], "escalated_to": "province"}
    assert taken(county_db, policy, everything(**wages_up_high, match="all"), end) == ["B3"]
    assert taken(county_db, policy, everything(**wages_up_high), end) == ["A2", "B3", "B4"]
    assert taken(county_db, policy, everything(referred=True), end) == []
    # unsettled on 1 October and received before September: A5 and B5 open, B4 open until
    # 2 October; A2, A3 and B2 were closed and had not returned (B2 is refiled 10 Oct)
    assert taken(county_db, policy, BACKLOG, date(2026, 10, 1)) == ["A5", "B4", "B5"]
    # on 31 October B4 has returned (escalated) and B2 was refiled; B5 is settled
    assert taken(county_db, policy, BACKLOG, end) == ["A5", "B2", "B4"]


def test_launch_freezes_the_list(county_db: Connection, policy: Policy) -> None:
    campaign = launch(county_db, policy)
    assert campaign.n_cases == 3
    assert [(p.phase, p.starts_on, p.ends_on) for p in campaign.phases] == [
        ("sorting", date(2026, 10, 1), date(2026, 10, 10)),
        ("resolving", date(2026, 10, 11), date(2026, 12, 19)),
        ("consolidating", date(2026, 12, 20), date(2027, 1, 18))]
    assert (campaign.resolution_target, campaign.no_return_target) == (0.98, 0.95)
    # a case received in August arrives later: the rule would take it, the list does not
    open_case(county_db, CaseIn(case_id="LATE", received_on=date(2026, 8, 25),
                                channel="letter", category="other", parties=1,
                                region_code="V21"), policy=policy.deadlines, timezone=TIMEZONE)
    assert "LATE" in taken(county_db, policy, BACKLOG, date(2026, 10, 1))
    progress = campaign_progress(county_db, campaign.id, as_of=date(2026, 10, 31),
                                 policy=policy, timezone=TIMEZONE)
    assert [c.case_id for c in progress.incomplete] == ["A5", "B4", "B5"]
    assert get_campaign(county_db, campaign.id).n_cases == 3


def test_progress_to_zero(county_db: Connection, policy: Policy) -> None:
    campaign = launch(county_db, policy)
    set_campaign_case(county_db, campaign.id, "A5", CampaignCaseIn(
        leader="李书记", team="城关镇信访专班", plan="补充调查后答复",
        deadline_on=date(2026, 10, 20)))
    set_campaign_case(county_db, campaign.id, "B4", CampaignCaseIn(
        leader="赵局长", team="人社局专班", plan="协调企业支付", deadline_on=date(2026, 11, 30)))
    changed = set_campaign_case(county_db, campaign.id, "B4", CampaignCaseIn(team=""))
    assert (changed.leader, changed.team, changed.missing) == ("赵局长", None, ["team"])
    progress = campaign_progress(county_db, campaign.id, as_of=date(2026, 10, 31),
                                 policy=policy, timezone=TIMEZONE)
    # resolved on 31 October: B5 (withdrawn 15 Oct); not A5 (open), not B4 (escalated after
    # its closing)
    assert (progress.resolution.numerator, progress.resolution.denominator) == (1, 3)
    assert progress.remaining == 2 and progress.resolution_met is False
    # no closing of these cases has a window that ended in October
    assert progress.no_return.denominator == 0 and progress.no_return_met is None
    assert [(g.name, g.resolution.numerator, g.resolution.denominator)
            for g in progress.by_township] == [("城关镇", 0, 1), ("河口乡", 1, 2)]
    assert [(g.name, g.resolution.numerator, g.resolution.denominator)
            for g in progress.by_leader] == [("（未定）", 1, 1), ("李书记", 0, 1), ("赵局长", 0, 1)]
    assert [(c.case_id, c.missing) for c in progress.incomplete] == [
        ("B4", ["team"]), ("B5", ["leader", "team", "plan", "deadline"])]
    assert [c.case_id for c in progress.past_deadline] == ["A5"]
    assert progress.phase == "resolving"


def test_scope_and_unknown_cases(county_db: Connection, policy: Policy) -> None:
    campaign = launch(county_db, policy)
    with pytest.raises(UnknownCampaign):
        get_campaign(county_db, campaign.id, scope=Scope(regions=("T1",)))
    assert list_campaigns(county_db, region_code=None, scope=Scope(regions=("T1",))) == []
    assert [c.id for c in list_campaigns(county_db, region_code="K")] == [
        campaign.id]
    with pytest.raises(NotInCampaign):
        set_campaign_case(county_db, campaign.id, "A1", CampaignCaseIn(leader="王"))
