"""WGS84 from the datums phone map apps in China report, and back.

Chinese law requires published maps to use GCJ-02 ("Mars coordinates"), a non-linear offset of
a few hundred metres from WGS84; Baidu adds its own BD-09 offset on top of GCJ-02. Points read
off Amap, Tencent or Baidu must be undone before they meet cell polygons in WGS84. The forward
transforms are the widely published reverse-engineered algorithms; the inverses are solved
numerically so that the round trip is exact, not the usual one-step approximation (which is
off by up to a few metres).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridrisk.vocab import Crs

Pair = tuple[np.ndarray, np.ndarray]

#: Krasovsky 1940 ellipsoid, which the GCJ-02 algorithm uses
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
#: inverse stops once the forward transform of the answer is this close to the input (degrees,
#: about 0.1 mm)
_TOL = 1e-9
_MAX_ITER = 20


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The published rough box outside which GCJ-02 equals WGS84 (no shift abroad)."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_shift(lon: np.ndarray, lat: np.ndarray) -> Pair:
    """WGS84 → GCJ-02 everywhere, ignoring the box (callers apply it)."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
            + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def _bd_shift(lon: np.ndarray, lat: np.ndarray) -> Pair:
    """GCJ-02 → BD-09. Applied everywhere, as Baidu's own published formula is."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward: Callable[[np.ndarray, np.ndarray], Pair], lon: np.ndarray,
            lat: np.ndarray) -> Pair:
    """Solve forward(x, y) = (lon, lat) by fixed-point iteration.

    Both shifts are a smooth offset whose Jacobian differs from the identity by ~1e-3, so
    subtracting the residual contracts it a thousandfold per step: 3-4 steps reach _TOL.
    """
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        rx, ry = fx - lon, fy - lat
        # NaN inputs never converge and need not
        if not np.any((np.abs(rx) >= _TOL) | (np.abs(ry) >= _TOL)):
            break
        x -= rx
        y -= ry
    return x, y


def _in_china(step: Callable[[np.ndarray, np.ndarray], Pair]
              ) -> Callable[[np.ndarray, np.ndarray], Pair]:
    """Apply a GCJ step only inside the box, judged on its input as the published code does."""
    def gated(lon: np.ndarray, lat: np.ndarray) -> Pair:
        inside = ~out_of_china(lon, lat)
        out_lon, out_lat = lon.copy(), lat.copy()
        out_lon[inside], out_lat[inside] = step(lon[inside], lat[inside])
        return out_lon, out_lat
    return gated


def _unchanged(lon: np.ndarray, lat: np.ndarray) -> Pair:
    return lon.copy(), lat.copy()


_wgs_to_gcj = _in_china(_gcj_shift)
_gcj_to_wgs = _in_china(lambda lon, lat: _invert(_gcj_shift, lon, lat))


def _bd_to_gcj(lon: np.ndarray, lat: np.ndarray) -> Pair:
    return _invert(_bd_shift, lon, lat)


#: CGCS2000 and WGS84 are both ITRF-aligned and agree to a few centimetres, far below the
#: precision of a phone fix, so CGCS2000 is taken as WGS84.
_TO_WGS84: dict[Crs, Callable[[np.ndarray, np.ndarray], Pair]] = {
    Crs.wgs84: _unchanged,
    Crs.cgcs2000: _unchanged,
    Crs.gcj02: _gcj_to_wgs,
    Crs.bd09: lambda lon, lat: _gcj_to_wgs(*_bd_to_gcj(lon, lat)),
}
_FROM_WGS84: dict[Crs, Callable[[np.ndarray, np.ndarray], Pair]] = {
    Crs.wgs84: _unchanged,
    Crs.cgcs2000: _unchanged,
    Crs.gcj02: _wgs_to_gcj,
    Crs.bd09: lambda lon, lat: _bd_shift(*_wgs_to_gcj(lon, lat)),
}


def _crs(value: str) -> Crs:
    try:
        return Crs(value)
    except ValueError:
        known = ", ".join(c.value for c in Crs)
        raise ValueError(f"unknown crs {value!r}; expected one of {known}") from None


def _floats(lon: np.ndarray, lat: np.ndarray) -> Pair:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.shape != lat.shape:
        raise ValueError(f"lon has shape {lon.shape} but lat has shape {lat.shape}")
    return lon, lat


def to_wgs84(lon: np.ndarray, lat: np.ndarray, crs: str) -> Pair:
    """Degrees in `crs` (a `Crs` value) as WGS84 degrees; exact inverse of `from_wgs84`."""
    return _TO_WGS84[_crs(crs)](*_floats(lon, lat))


def from_wgs84(lon: np.ndarray, lat: np.ndarray, crs: str) -> Pair:
    """WGS84 degrees as `crs` degrees, e.g. to show a point on a Chinese basemap."""
    return _FROM_WGS84[_crs(crs)](*_floats(lon, lat))


def to_wgs84_by_row(lon: np.ndarray, lat: np.ndarray, crs: np.ndarray) -> Pair:
    """Like `to_wgs84`, but a CSV may declare a different crs on each row."""
    lon, lat = _floats(lon, lat)
    crs = np.asarray(crs, dtype=str)
    if crs.shape != lon.shape:
        raise ValueError(f"crs has shape {crs.shape} but lon has shape {lon.shape}")
    groups = [(_crs(str(value)), crs == value) for value in np.unique(crs)]
    out_lon, out_lat = np.empty_like(lon), np.empty_like(lat)
    for name, rows in groups:
        out_lon[rows], out_lat[rows] = _TO_WGS84[name](lon[rows], lat[rows])
    return out_lon, out_lat
