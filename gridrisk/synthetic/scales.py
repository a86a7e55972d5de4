"""Sizes of the synthetic county: small for tests, medium for demos, large for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    n_townships: int
    #: of those, street offices (街道) around the county seat
    n_streets: int
    #: villages and communities together
    n_villages: int
    #: expected cases over the 18 months
    n_cases: int
    #: county radius in degrees of latitude
    radius_deg: float
    n_hotspots: int


SCALES: dict[str, Scale] = {
    "small": Scale(n_townships=6, n_streets=1, n_villages=100, n_cases=3_000, radius_deg=0.12,
                   n_hotspots=3),
    "medium": Scale(n_townships=13, n_streets=2, n_villages=600, n_cases=40_000, radius_deg=0.25,
                    n_hotspots=5),
    "large": Scale(n_townships=30, n_streets=4, n_villages=3_000, n_cases=300_000,
                   radius_deg=0.45, n_hotspots=8),
}
