"""How a probability reads wherever people see one: pages, maps, worklists, exports, the CLI.

Whole percents, and never 0% or 100%: no model is certain, and "风险 100%" tells a supervisor
nothing. Below half a percent reads "< 1%", from 99.5% up "> 99%"."""

from __future__ import annotations

import math


def shown_probability(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "—"
    if p < 0.005:
        return "< 1%"
    if p >= 0.995:
        return "> 99%"
    return f"{min(max(math.floor(p * 100 + 0.5), 1), 99)}%"
