"""Backlog campaigns (信访积案化解专项行动): launch one (its case list is frozen), read it and
its progress, set a case's 包案领导, team, plan and deadline, get its report. Filtered to the
caller's scope: a campaign of a region outside it is an unknown campaign."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from api.deps import Db, Id, PolicyFile, SettingsDep, audit, permit
from api.openapi import Responses
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.campaigns import service
from gridrisk.campaigns.report import campaign_document
from gridrisk.campaigns.schemas import (
    CampaignCaseIn,
    CampaignCaseOut,
    CampaignIn,
    CampaignOut,
    CampaignProgress,
)
from gridrisk.reports.render import FORMATS, render

Readers = Annotated[Caller, permit(Action.read_reports)]
Managers = Annotated[Caller, permit(Action.manage_campaigns)]
router = APIRouter(prefix="/campaigns", tags=["campaigns"])
PROBLEMS: Responses = {
    404: {"description": "unknown campaign, region or case on its list"},
    422: {"description": "invalid plan or rule"}}
AsOf = Annotated[date | None, Query(description="the day of the figures (default: the "
                                    "data's latest day)")]


@router.post("", status_code=201, summary="发起专项行动（冻结事项清单）", responses=PROBLEMS)
def create(body: CampaignIn, request: Request, db: Db, settings: SettingsDep,
           policy: PolicyFile, caller: Managers) -> CampaignOut:
    """Launching a campaign freezes its case list: later cases never join it."""
    campaign = service.create_campaign(db, body, scope=caller.scope, policy=policy,
                                       timezone=settings.timezone)
    audit(db, request, caller, Action.manage_campaigns, str(campaign.id),
          {"created": campaign.name, "n_cases": campaign.n_cases})
    return campaign


@router.get("", summary="专项行动", responses={404: {"description": "unknown region (or one "
                                                   "outside the caller's scope)"}})
def list_campaigns(db: Db, caller: Readers, region: Annotated[str | None, Query(
        description="campaigns of this region and the regions under it")] = None
                   ) -> list[CampaignOut]:
    return service.list_campaigns(db, region_code=region, scope=caller.scope)


@router.get("/{campaign_id}", summary="专项行动", responses=PROBLEMS)
def get(campaign_id: Id, db: Db, caller: Readers) -> CampaignOut:
    return service.get_campaign(db, campaign_id, scope=caller.scope)


@router.get("/{campaign_id}/cases", summary="事项清单（六个一）", responses=PROBLEMS)
def cases(campaign_id: Id, db: Db, caller: Readers) -> list[CampaignCaseOut]:
    return service.campaign_cases(db, campaign_id, scope=caller.scope)


@router.patch("/{campaign_id}/cases/{case_id}", summary="设定包案领导、专班、方案、期限",
              responses=PROBLEMS)
def set_case(campaign_id: Id, case_id: str, body: CampaignCaseIn, request: Request, db: Db,
             caller: Managers) -> CampaignCaseOut:
    case = service.set_campaign_case(db, campaign_id, case_id, body, scope=caller.scope)
    audit(db, request, caller, Action.manage_campaigns, str(campaign_id),
          {"case_id": case_id, **body.model_dump(mode="json", exclude_none=True)})
    return case


@router.get("/{campaign_id}/progress", summary="化解进度", responses=PROBLEMS)
def progress(campaign_id: Id, db: Db, settings: SettingsDep, policy: PolicyFile,
             caller: Readers, as_of: AsOf = None) -> CampaignProgress:
    return service.campaign_progress(db, campaign_id, as_of=as_of, scope=caller.scope,
                                     policy=policy, timezone=settings.timezone)


@router.get("/{campaign_id}/report", summary="专项行动进展报告（HTML、PDF、XLSX）",
            response_class=Response, responses={
                **PROBLEMS, 200: {"content": {t.split(";")[0]: {} for t in FORMATS.values()},
                                  "description": "the report in the format asked for"}})
def report(campaign_id: Id, db: Db, settings: SettingsDep, policy: PolicyFile,
           caller: Readers, as_of: AsOf = None,
           format: Annotated[Literal["html", "pdf", "xlsx"], Query()] = "html",
           lang: Annotated[Literal["zh", "en"] | None, Query()] = None) -> Response:
    found = service.campaign_progress(db, campaign_id, as_of=as_of, scope=caller.scope,
                                      policy=policy, timezone=settings.timezone)
    doc = campaign_document(found, lang=lang or settings.lang,
                            today=datetime.now(ZoneInfo(settings.timezone)).date())
    headers = {} if format == "html" else {
        "Content-Disposition": f'attachment; filename="{doc.slug}.{format}"'}
    return Response(render(doc, format), media_type=FORMATS[format], headers=headers)
