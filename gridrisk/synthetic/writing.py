"""Bundle files in the exact shape of docs' bundle spec: UTF-8, header row, ISO dates, times
with +08:00, true/false, empty cells for missing values, coordinates to 7 decimals."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.draws import only_where
from gridrisk.vocab import Crs

CASE_COLUMNS = ("case_id", "received_on", "channel", "category", "parties", "lon", "lat", "crs",
                "cell_code", "region_code", "complex", "responsible_unit",
                "responsible_official", "summary", "due_at")
EVENT_COLUMNS = ("case_id", "at", "type", "level", "parties", "detail")
SCREENING_COLUMNS = ("record_id", "screened_at", "worker", "cell_code", "found", "category",
                     "severity", "parties", "lon", "lat", "crs", "outcome", "case_id", "summary")
#: "T09:30:00+08:00" for each minute of the day
_CLOCK = np.array([f"T{m // 60:02d}:{m % 60:02d}:00+08:00" for m in range(24 * 60)],
                  dtype=object)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> int:
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return len(frame)


def write_csv(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> int:
    frame.loc[:, list(columns)].to_csv(path, index=False, encoding="utf-8", lineterminator="\n",
                                       float_format="%.7f")
    return len(frame)


def dates(calendar: Calendar, day: np.ndarray) -> np.ndarray:
    text: np.ndarray = np.datetime_as_string(calendar.dates[day]).astype(object)
    return text


def times(calendar: Calendar, day: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """ISO time with offset, or the bare date where `minute` is −1."""
    text = dates(calendar, day)
    timed = minute >= 0
    text[timed] = text[timed] + _CLOCK[minute[timed]]
    return text


def booleans(values: np.ndarray) -> np.ndarray:
    return np.where(values, "true", "false").astype(object)


def counts(values: pd.Series | np.ndarray) -> pd.Series:
    """Whole numbers with empty cells for missing ones."""
    return pd.Series(values).astype("Int64")


def case_rows(cases: pd.DataFrame, calendar: Calendar, units_names: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": cases["case_id"],
        "received_on": dates(calendar, cases["day"].to_numpy()),
        "channel": cases["channel"], "category": cases["category"],
        "parties": counts(cases["parties"].to_numpy()),
        "lon": cases["lon"], "lat": cases["lat"], "crs": cases["crs"],
        "cell_code": cases["cell_code"], "region_code": cases["region_code"],
        "complex": booleans(cases["complex"].to_numpy()),
        "responsible_unit": units_names[cases["unit"].to_numpy()],
        "responsible_official": cases["official"], "summary": cases["summary"],
        "due_at": source_deadlines(calendar, cases["due"].to_numpy()),
    })


def source_deadlines(calendar: Calendar, due: np.ndarray) -> np.ndarray:
    """A platform's deadline as its system writes it: the end of the working day, or empty."""
    given = due >= 0
    text = np.full(len(due), None, dtype=object)
    # the deadline may fall after the window's last day
    days = calendar.dates[0] + due[given].astype("timedelta64[D]")
    text[given] = np.datetime_as_string(days).astype(object) + "T18:00:00+08:00"
    return text


def event_rows(events: pd.DataFrame, case_ids: np.ndarray, calendar: Calendar) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": case_ids[events["case"].to_numpy()],
        "at": times(calendar, events["day"].to_numpy(), events["minute"].to_numpy()),
        "type": events["type"].to_numpy(), "level": events["level"].to_numpy(),
        "parties": counts(events["parties"].to_numpy()), "detail": events["detail"].to_numpy(),
    })


def screening_rows(records: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    found = records["found"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "record_id": records["record_id"].to_numpy(),
        "screened_at": times(calendar, records["day"].to_numpy(), records["minute"].to_numpy()),
        "worker": records["worker"].to_numpy(), "cell_code": records["cell_code"].to_numpy(),
        "found": booleans(found), "category": records["category"].to_numpy(),
        "severity": records["severity"].to_numpy(),
        "parties": counts(records["parties"].to_numpy()),
        "lon": records["lon"].to_numpy(), "lat": records["lat"].to_numpy(),
        "crs": only_where(found, np.full(len(found), Crs.wgs84.value, dtype=object)),
        "outcome": records["outcome"].to_numpy(), "case_id": records["case_id"].to_numpy(),
        "summary": records["summary"].to_numpy(),
    })
