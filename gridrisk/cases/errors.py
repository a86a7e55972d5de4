"""Errors about cases and their files."""

from gridrisk.errors import InvalidInput, NotFound


class UnknownCase(NotFound):
    slug = "unknown-case"
    title = "Unknown case"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no case with id {case_id}")
        self.case_id = case_id


class TransitionRefused(InvalidInput):
    """The case file's workflow does not allow this event now."""

    slug = "transition-refused"
    title = "Event refused by the case workflow"

    def __init__(self, event_type: str, reason: str, *, field: str = "type") -> None:
        super().__init__(field, f"{event_type}: {reason}")
        self.event_type = event_type
        self.refusal = reason
