"""Hotspots: places where one underlying problem drives many grievances for a while.

A land-requisition project, a problem housing estate, a building site with wage arrears, a
polluting plant, a collapsed investment scheme: each covers a few neighbouring villages or
communities, has its own mix of categories and its own rise and fall in time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.geography import STREET, Geography
from gridrisk.synthetic.names import COMMUNITY_WORDS, TOWN_FIRST, TREES
from gridrisk.vocab import Category, RegionLevel

KM_PER_DEGREE = 111.32
KINDS = ("land_project", "housing_estate", "wage_site", "pollution", "fundraising")


@dataclass(frozen=True)
class Hotspot:
    kind: str
    #: the project, estate, site, plant or scheme, as case summaries name it
    label: str
    villages: np.ndarray  # positions in Geography.villages
    categories: dict[str, float]
    collective_rate: float
    #: relative daily intensity over the window
    profile: np.ndarray


@dataclass(frozen=True)
class _Kind:
    radius_km: float
    anchor_level: str | None  # village, community or either
    anchor_in_street: bool
    categories: dict[str, float]
    collective_rate: float
    labels: tuple[str, ...]


_KINDS = {
    "land_project": _Kind(
        2.5, RegionLevel.village.value, False,
        {Category.land_requisition: 0.75, Category.housing_property: 0.05,
         Category.wages_labour: 0.05, Category.environment: 0.05, Category.other: 0.10},
        0.35,
        ("产业集聚区征地项目", "高速公路连接线征地项目", "物流园区征迁项目", "城区扩建征收项目"),
    ),
    "housing_estate": _Kind(
        0.7, RegionLevel.community.value, True,
        {Category.housing_property: 0.6, Category.property_management: 0.35,
         Category.other: 0.05},
        0.4, ("花园小区", "名苑小区", "国际城小区", "壹号院小区"),
    ),
    "wage_site": _Kind(
        1.2, None, False,
        {Category.wages_labour: 0.9, Category.other: 0.1},
        0.45, ("安置房建设工地", "学校扩建工地", "商住楼建设项目", "食品加工厂"),
    ),
    "pollution": _Kind(
        2.0, RegionLevel.village.value, False,
        {Category.environment: 0.85, Category.medical: 0.05, Category.other: 0.10},
        0.25, ("化工厂", "养殖场", "砖瓦厂", "垃圾填埋场"),
    ),
    "fundraising": _Kind(
        3.0, RegionLevel.community.value, False,
        {Category.financial_loss: 0.9, Category.other: 0.1},
        0.5, ("投资咨询公司", "养老服务公司", "农民专业合作社", "财富管理平台"),
    ),
}


def place_hotspots(
    rng: np.random.Generator, geography: Geography, calendar: Calendar, n: int
) -> list[Hotspot]:
    villages = geography.villages
    xy_km = np.column_stack([
        villages["x"].to_numpy() * KM_PER_DEGREE * np.cos(np.radians(geography.seat[1])),
        villages["y"].to_numpy() * KM_PER_DEGREE,
    ])
    in_street = (geography.townships["kind"].to_numpy()[villages["township"].to_numpy()]
                 == STREET)
    levels = villages["level"].to_numpy()
    taken = np.zeros(len(villages), dtype=bool)
    hotspots = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        spec = _KINDS[kind]
        eligible = ~taken & (in_street == spec.anchor_in_street)
        if spec.anchor_level is not None:
            eligible &= levels == spec.anchor_level
        if not eligible.any():
            eligible = ~taken
        anchor = int(rng.choice(np.flatnonzero(eligible)))
        near = np.hypot(*(xy_km - xy_km[anchor]).T) <= spec.radius_km
        if kind == "fundraising":
            near &= levels == RegionLevel.community.value
        members = np.flatnonzero((near & ~taken) | (np.arange(len(villages)) == anchor))
        taken[members] = True
        label = _label(rng, kind, spec, villages["name"].to_numpy()[anchor])
        hotspots.append(Hotspot(kind=kind, label=label, villages=members,
                                categories={str(k): v for k, v in spec.categories.items()},
                                collective_rate=spec.collective_rate,
                                profile=_profile(rng, kind, calendar)))
    return hotspots


def _label(rng: np.random.Generator, kind: str, spec: _Kind, anchor_name: str) -> str:
    place = anchor_name.removesuffix("村").removesuffix("社区")
    suffix = spec.labels[int(rng.integers(len(spec.labels)))]
    if kind == "housing_estate":
        place = COMMUNITY_WORDS[int(rng.integers(len(COMMUNITY_WORDS)))]
    elif kind == "fundraising":
        place = TOWN_FIRST[int(rng.integers(len(TOWN_FIRST)))] + TREES[
            int(rng.integers(len(TREES)))][:1] + "鑫"
    return place + suffix


def _profile(rng: np.random.Generator, kind: str, calendar: Calendar) -> np.ndarray:
    """Rise and fall of each kind of problem over the window."""
    t = np.arange(calendar.n_days, dtype=float)
    n = calendar.n_days
    if kind == "land_project":
        begins = rng.uniform(0.05, 0.4) * n
        peak = begins + 60
        shape = np.exp(-0.5 * ((t - peak) / 45) ** 2) + 0.35
        return np.where(t >= begins, shape, 0.0)
    if kind == "housing_estate":
        missed_handover = rng.uniform(0.2, 0.8) * n
        return 0.4 + 1.5 * np.exp(-0.5 * ((t - missed_handover) / 20) ** 2)
    if kind == "wage_site":
        return 0.1 + 2.5 * np.exp(-0.5 * ((calendar.to_festival + 20) / 14) ** 2)
    if kind == "pollution":
        return np.where(np.isin(calendar.month, (6, 7, 8, 9)), 1.0, 0.2)
    collapse = rng.uniform(0.3, 0.8) * n
    return np.where(t >= collapse, np.exp(-(t - collapse) / 30) + 0.1, 0.0)
