"""Codes from the bundle spec for regions and coordinates."""

from enum import StrEnum


class RegionLevel(StrEnum):
    county = "county"
    township = "township"
    village = "village"
    community = "community"


#: the level a region's parent must have
PARENT_LEVEL = {
    RegionLevel.county: None,
    RegionLevel.township: RegionLevel.county,
    RegionLevel.village: RegionLevel.township,
    RegionLevel.community: RegionLevel.township,
}

#: levels that hold grid cells
CELL_HOLDERS = (RegionLevel.village, RegionLevel.community)


class Crs(StrEnum):
    wgs84 = "wgs84"
    cgcs2000 = "cgcs2000"
    gcj02 = "gcj02"
    bd09 = "bd09"
