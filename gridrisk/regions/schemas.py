"""Regions and cells as the API gives them (GeoJSON for geometry)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gridrisk.vocab import RegionLevel


class RegionOut(BaseModel):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    households: int | None


class RegionNode(RegionOut):
    children: list[RegionNode] = Field(default_factory=list)


class CellOut(BaseModel):
    code: str
    name: str
    region_code: str


class Feature(BaseModel):
    """A GeoJSON Feature in WGS84 (EPSG:4326)."""

    type: str = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
