"""The China datum shifts against published numbers, and their inverses against themselves."""

import numpy as np
import pyproj
import pytest

from gridrisk.regions.coords import _bd_shift, from_wgs84, to_wgs84, to_wgs84_by_row

GEOD = pyproj.Geod(ellps="WGS84")

# (wgs84 lon, lat, gcj02 lon, lat, tolerance in degrees = the precision the source publishes;
# 1e-12 where it prints full doubles, leaving room for a last-bit difference in sin/cos)
WGS_TO_GCJ = [
    # wandergis/coordtransform, test/app.js:
    # "wgs84togcj02:  [ 116.41024449916938, 39.91640428150164 ]"
    (116.404, 39.915, 116.41024449916938, 39.91640428150164, 1e-12),
    # googollee/eviltransform, python/test.py TESTS (same pairs in go/transform_test.go): shanghai
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597, 1e-12),
    # googollee/eviltransform, python/test.py TESTS: shenzhen
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766, 1e-12),
    # googollee/eviltransform, python/test.py TESTS: beijing
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069, 1e-12),
    # hujiulong/gcoord, test/unit/crs/WGS84.spec.ts "WGS84 to GCJ02": 8 decimals, truncated
    (123.0, 45.0, 123.00607541, 45.00197815, 1e-8),
]

# (gcj02 lon, lat, bd09 lon, lat, tolerance)
GCJ_TO_BD = [
    # wandergis/coordtransform, test/app.js:
    # "gcj02tobd09:   [ 116.41036949371029, 39.92133699351021 ]"
    (116.404, 39.915, 116.41036949371029, 39.92133699351021, 1e-12),
    # hujiulong/gcoord, test/fixtures/china-cities.json, GCJ02 → BD09 at 7 decimals: 驻马店市
    (114.022306, 33.0115324, 114.0287781, 33.0176697, 1e-7),
    # hujiulong/gcoord, test/fixtures/china-cities.json: 那曲地区
    (92.0512438, 31.4762063, 92.0576832, 31.4824421, 1e-7),
    # hujiulong/gcoord, test/fixtures/china-cities.json: 沈阳市
    (123.4314787, 41.8057023, 123.438095, 41.8114013, 1e-7),
]

# (wgs84 lon, lat, bd09 lon, lat, tolerance)
WGS_TO_BD = [
    # hujiulong/gcoord, test/unit/crs/WGS84.spec.ts "WGS84 to BD09": 7 decimals, truncated
    (123.0, 45.0, 123.0124491, 45.0083293, 1e-7),
]


def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """10,000 points over mainland China's extent."""
    lon, lat = np.meshgrid(np.linspace(73.5, 135.0, 100), np.linspace(18.0, 53.5, 100))
    return lon.ravel(), lat.ravel()


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.atleast_1d(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(("lon", "lat", "want_lon", "want_lat", "tol"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_matches_published(lon, lat, want_lon, want_lat, tol):
    got_lon, got_lat = from_wgs84(np.array([lon]), np.array([lat]), "gcj02")
    assert abs(got_lon[0] - want_lon) <= tol
    assert abs(got_lat[0] - want_lat) <= tol


@pytest.mark.parametrize(("lon", "lat", "want_lon", "want_lat", "tol"), GCJ_TO_BD)
def test_gcj02_to_bd09_matches_published(lon, lat, want_lon, want_lat, tol):
    # The public API reaches bd09 only from wgs84, and going gcj02 → wgs84 → bd09 would add the
    # inverse's 1e-9 stopping tolerance, coarser than these pairs: check the step itself.
    got_lon, got_lat = _bd_shift(np.array([lon]), np.array([lat]))
    assert abs(got_lon[0] - want_lon) <= tol
    assert abs(got_lat[0] - want_lat) <= tol
    # and through the public path, to within that stopping tolerance
    via_lon, via_lat = from_wgs84(*to_wgs84(np.array([lon]), np.array([lat]), "gcj02"), "bd09")
    assert abs(via_lon[0] - want_lon) <= tol + 1e-9
    assert abs(via_lat[0] - want_lat) <= tol + 1e-9


@pytest.mark.parametrize(("lon", "lat", "want_lon", "want_lat", "tol"), WGS_TO_BD)
def test_wgs84_to_bd09_matches_published(lon, lat, want_lon, want_lat, tol):
    got_lon, got_lat = from_wgs84(np.array([lon]), np.array([lat]), "bd09")
    assert abs(got_lon[0] - want_lon) <= tol
    assert abs(got_lat[0] - want_lat) <= tol


def test_published_one_step_inverses_are_close_but_not_exact():
    # wandergis/coordtransform, test/app.js publishes the usual approximate inverses of
    # (116.404, 39.915): "gcj02towgs84: [ 116.39775550083061, 39.91359571849836 ]" and
    # "bd09togcj02: [ 116.39762729119315, 39.90865673957631 ]". Ours must land within ~10 cm of
    # them and, unlike them, map back onto the input.
    lon, lat = np.array([116.404]), np.array([39.915])
    for crs, want_lon, want_lat in [("gcj02", 116.39775550083061, 39.91359571849836),
                                    ("bd09", 116.39762729119315, 39.90865673957631)]:
        if crs == "bd09":  # the published number stops at gcj02
            got_lon, got_lat = from_wgs84(*to_wgs84(lon, lat, "bd09"), "gcj02")
        else:
            got_lon, got_lat = to_wgs84(lon, lat, crs)
        assert metres(got_lon, got_lat, want_lon, want_lat)[0] < 0.1
        back_lon, back_lat = from_wgs84(*to_wgs84(lon, lat, crs), crs)
        assert metres(back_lon, back_lat, lon, lat)[0] < 1e-3


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_across_china(crs):
    lon, lat = china_grid()
    shifted_lon, shifted_lat = from_wgs84(lon, lat, crs)
    # the shift is real (hundreds of metres), so a no-op could not pass the round trip by accident
    assert np.median(metres(lon, lat, shifted_lon, shifted_lat)) > 100
    back_lon, back_lat = to_wgs84(shifted_lon, shifted_lat, crs)
    # exact inverse, not the one-step approximation that is off by metres
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000"])
def test_wgs84_and_cgcs2000_are_unchanged(crs):
    lon, lat = china_grid()
    for convert in (to_wgs84, from_wgs84):
        got_lon, got_lat = convert(lon, lat, crs)
        np.testing.assert_array_equal(got_lon, lon)
        np.testing.assert_array_equal(got_lat, lat)


def test_outside_china_is_not_shifted():
    # Paris, New York, Tokyo (east of the box), Sydney, Jakarta (south of it), Moscow
    lon = np.array([2.35, -74.0, 139.7, 151.2, 106.85, 37.6])
    lat = np.array([48.85, 40.7, 35.7, -33.9, -6.2, 55.75])
    for convert in (to_wgs84, from_wgs84):
        got_lon, got_lat = convert(lon, lat, "gcj02")
        np.testing.assert_array_equal(got_lon, lon)
        np.testing.assert_array_equal(got_lat, lat)
    # Baidu's own step applies everywhere; it still inverts exactly
    back_lon, back_lat = to_wgs84(*from_wgs84(lon, lat, "bd09"), "bd09")
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01


def test_mixed_crs_per_row():
    lon, lat = china_grid()
    names = np.array(["wgs84", "cgcs2000", "gcj02", "bd09"])
    crs = names[np.arange(lon.size) % names.size]
    got_lon, got_lat = to_wgs84_by_row(lon, lat, crs)
    for name in names:
        rows = crs == name
        want_lon, want_lat = to_wgs84(lon[rows], lat[rows], name)
        np.testing.assert_array_equal(got_lon[rows], want_lon)
        np.testing.assert_array_equal(got_lat[rows], want_lat)
    # and each row really is back where from_wgs84 started it
    shifted = np.empty_like(lon), np.empty_like(lat)
    for name in names:
        rows = crs == name
        shifted[0][rows], shifted[1][rows] = from_wgs84(lon[rows], lat[rows], name)
    back_lon, back_lat = to_wgs84_by_row(*shifted, crs)
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01


def test_missing_coordinates_stay_missing():
    lon, lat = np.array([np.nan, 116.404]), np.array([39.915, np.nan])
    for crs in ("gcj02", "bd09"):
        got_lon, got_lat = to_wgs84(lon, lat, crs)
        assert np.isnan(got_lon[0]) and np.isnan(got_lat[1])


@pytest.mark.parametrize("bad", ["GCJ-02", "epsg:4326", ""])
def test_unknown_crs_is_named(bad):
    lon, lat = np.array([116.404]), np.array([39.915])
    for call in (lambda: to_wgs84(lon, lat, bad), lambda: from_wgs84(lon, lat, bad),
                 lambda: to_wgs84_by_row(lon, lat, np.array([bad]))):
        with pytest.raises(ValueError, match=f"unknown crs '{bad}'"):
            call()


def test_mixed_crs_with_one_bad_value_is_rejected():
    lon, lat = np.array([116.404, 116.404]), np.array([39.915, 39.915])
    with pytest.raises(ValueError, match="'baidu'"):
        to_wgs84_by_row(lon, lat, np.array(["gcj02", "baidu"]))
