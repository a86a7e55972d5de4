"""The one shape of progress reporting: long work calls progress(step, fraction done); the CLI
draws a Rich bar per step, the API passes nothing."""

from collections.abc import Callable

Progress = Callable[[str, float], None]


def no_progress(step: str, fraction: float) -> None:
    """For callers that show nothing."""
