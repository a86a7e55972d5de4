"""What the API takes and gives for campaigns. A case on a campaign's list carries its
six-ones (六个一: matter, 包案领导, team, ledger entry, plan, case file) and a campaign deadline;
never anything about the complainant."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from gridrisk.cases.schemas import Code, PlannedDay, Text, no_nul
from gridrisk.reports.schemas import Rate
from gridrisk.vocab import CampaignPhase, Category, EventLevel


class ScopeRule(BaseModel):
    """Which cases a campaign takes, from their derived facts on the launch day. A case is
    taken when it was received before `received_before`, is unsettled (open on the launch day,
    or returned since its last closing: refiled, reopened, escalated, a review asked for)
    unless `include_settled`, and meets any of the classes given (`match = "all"`: every
    one); with no class given, every case passing the first two."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "received_before": "2026-06-30", "min_acceptances": 2, "collective": True,
        "categories": ["land_requisition"], "referred": True, "escalated_to": "city"}]})

    received_before: PlannedDay | None = Field(None, description="received before this day")
    include_settled: bool = Field(False, description="also cases closed and not returned")
    min_acceptances: int | None = Field(None, ge=1, description="accepted this many times or "
                                        "more (handled again and again)")
    collective: bool = Field(False, description="raised by 5 or more people")
    categories: list[Category] = Field(default_factory=list)
    referred: bool = Field(False, description="referred from above (channel referral)")
    escalated_to: EventLevel | None = Field(None, description="escalated to this level or "
                                            "higher")
    match: Literal["any", "all"] = "any"


class PhaseIn(BaseModel):
    phase: CampaignPhase
    starts_on: PlannedDay
    ends_on: PlannedDay

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError(f"{self.phase}: ends on {self.ends_on}, before it starts")
        return self


class CampaignIn(BaseModel):
    """A campaign plan. Phases default from the policy's [campaigns] lengths counted from
    `starts_on`; targets from its resolution_target and no_return_target."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "2026年信访积案化解专项行动", "region_code": "411325000000",
        "starts_on": "2026-11-01", "rule": {"received_before": "2026-06-30",
                                            "min_acceptances": 2}}]})

    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_nul)]
    region_code: Code
    starts_on: PlannedDay | None = Field(None, description="the first phase's first day, when "
                                   "`phases` is not given")
    phases: list[PhaseIn] = Field(default_factory=list)
    rule: ScopeRule = Field(default_factory=ScopeRule)
    resolution_target: float | None = Field(None, ge=0, le=1)
    no_return_target: float | None = Field(None, ge=0, le=1)
    launched_on: PlannedDay | None = Field(None, description="the day the list is frozen on "
                                     "(default: the data's latest day)")

    @model_validator(mode="after")
    def _dated(self) -> Self:
        if not self.phases and self.starts_on is None:
            raise ValueError("give the phases or the day the campaign starts (starts_on)")
        names = [p.phase for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("phases: each phase once")
        return self


class CampaignCaseIn(BaseModel):
    """A case's 包案领导, team, plan and campaign deadline; a field left out is left as it
    is, an empty text clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "leader": "王副县长", "team": "县自然资源局、城关镇征迁专班",
        "plan": "重新核算补偿款，一月底前兑付", "deadline_on": "2027-01-15"}]})

    leader: Annotated[str, Field(max_length=200), AfterValidator(no_nul)] | None = None
    team: Annotated[str, Field(max_length=2000), AfterValidator(no_nul)] | None = None
    plan: Text | None = None
    deadline_on: PlannedDay | None = None


class PhaseOut(BaseModel):
    phase: CampaignPhase
    starts_on: date
    ends_on: date


class CampaignOut(BaseModel):
    id: int
    name: str
    region_code: str
    region_name: str
    launched_on: date
    rule: ScopeRule
    resolution_target: float
    no_return_target: float
    phases: list[PhaseOut]
    n_cases: int


class CampaignCaseOut(BaseModel):
    ledger_no: int
    case_id: str
    received_on: date
    township: str
    village: str
    category: Category
    matter: str | None = Field(description="the case's summary: 一个信访事项")
    leader: str | None = Field(description="包案领导")
    team: str | None
    plan: str | None
    deadline_on: date | None
    responsible_unit: str | None
    n_events: int = Field(description="entries of the case file: 一本卷宗")
    resolved: bool = Field(description="closed and not returned since, as of the report day")
    missing: list[str] = Field(description="which of the six ones (and the deadline) it "
                               "lacks: matter, leader, team, plan, case_file, deadline")


class GroupProgress(BaseModel):
    name: str
    resolution: Rate
    no_return: Rate
    remaining: int = Field(description="cases not yet resolved")


class CampaignProgress(BaseModel):
    """Progress to zero (存量清零) of a campaign's own cases on `as_of`: 化解率 over its list,
    息诉罢访率 over its cases' closings whose window ended from launch to `as_of`."""

    campaign: CampaignOut
    as_of: date
    phase: CampaignPhase | None = Field(description="the phase `as_of` falls in")
    resolution: Rate
    no_return: Rate
    remaining: int
    resolution_met: bool | None
    no_return_met: bool | None
    by_township: list[GroupProgress]
    by_leader: list[GroupProgress]
    incomplete: list[CampaignCaseOut] = Field(description="cases missing any of the six ones "
                                              "or their deadline")
    past_deadline: list[CampaignCaseOut] = Field(description="unresolved past their campaign "
                                                 "deadline")
