"""Errors about campaigns."""

from gridrisk.errors import NotFound


class UnknownCampaign(NotFound):
    slug = "unknown-campaign"
    title = "Unknown campaign"

    def __init__(self, campaign_id: int) -> None:
        super().__init__(f"no campaign with id {campaign_id}")
        self.campaign_id = campaign_id


class NotInCampaign(NotFound):
    slug = "not-in-campaign"
    title = "Case not in the campaign"

    def __init__(self, campaign_id: int, case_id: str) -> None:
        super().__init__(f"case {case_id} is not on campaign {campaign_id}'s list")
