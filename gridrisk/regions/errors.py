"""Errors about regions, cells and points."""

from gridrisk.errors import InvalidInput, NotFound


class UnknownRegion(NotFound):
    slug = "unknown-region"
    title = "Unknown region"

    def __init__(self, code: str) -> None:
        super().__init__(f"no region with code {code}")
        self.code = code


class PointOutsideCells(InvalidInput):
    slug = "point-outside-cells"
    title = "Point outside every cell"

    def __init__(self, lon: float, lat: float) -> None:
        super().__init__("lon", f"point ({lon:.6f}, {lat:.6f}) is outside every cell")
