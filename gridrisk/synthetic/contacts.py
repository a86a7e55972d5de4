"""The demo county's contacts.csv: invented complainants for most cases, so that the demo
exercises sealing, masking and the contact view. Names are drawn from common surnames and
given-name characters (a few written with the middle dot, as Uyghur names are); mobiles from
the real prefixes; landlines with Xuchang's area code; identity card numbers with real
district codes, plausible birth dates and a valid GB 11643 check digit. None is a real
person's: the sequence digits and the combination are random."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridrisk.privacy.numbers import check_characters
from gridrisk.synthetic.geography import Geography
from gridrisk.synthetic.names import GIVEN_CHARS, SURNAMES

#: a stream of its own (SeedSequence([seed, CONTACT_STREAM])): the other files' draws are
#: untouched by this one
CONTACT_STREAM = 14
COLUMNS = ("case_id", "name", "phone", "id_number", "address")
SHARE_WITH_CONTACT = 0.9
SHARE_WITH_ID_NUMBER = 0.7
SHARE_LANDLINE = 0.1
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "155", "156", "157", "158", "159", "166", "177", "180",
                   "181", "182", "183", "185", "186", "187", "188", "189", "191", "199")
#: Xuchang's districts and counties (GB/T 2260), the county the demo imitates
DISTRICTS = ("411002", "411003", "411023", "411024", "411025", "411081", "411082")
LANDLINE_AREA = "0374"
DOTTED_NAMES = ("买买提·艾力", "阿依古丽·吐尔逊", "热依拉·阿不都")


def write_contacts(path: Path, cases: pd.DataFrame, geography: Geography, *, seed: int) -> int:
    """One row for most cases (`cases`: case_id, and village and township as positions in
    `geography`'s frames); the number written."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, CONTACT_STREAM]))
    chosen = cases.loc[rng.random(len(cases)) < SHARE_WITH_CONTACT]
    n = len(chosen)
    contacts = pd.DataFrame({
        "case_id": chosen["case_id"].to_numpy(),
        "name": _names(rng, n),
        "phone": _phones(rng, n),
        "id_number": np.where(rng.random(n) < SHARE_WITH_ID_NUMBER, _id_numbers(rng, n), ""),
        "address": _addresses(rng, chosen, geography),
    })
    contacts.loc[:, list(COLUMNS)].to_csv(path, index=False, encoding="utf-8",
                                          lineterminator="\n")
    return n


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = np.array(SURNAMES)[rng.integers(len(SURNAMES), size=n)]
    given = np.array(GIVEN_CHARS)
    first = given[rng.integers(len(given), size=n)]
    second = np.where(rng.random(n) < 0.6, given[rng.integers(len(given), size=n)], "")
    names = np.char.add(np.char.add(surnames, first), second).astype(object)
    dotted = rng.random(n) < 0.01
    names[dotted] = np.array(DOTTED_NAMES)[rng.integers(len(DOTTED_NAMES), size=dotted.sum())]
    return names


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(MOBILE_PREFIXES)[rng.integers(len(MOBILE_PREFIXES), size=n)]
    mobiles = np.char.add(prefixes, _digits(rng, n, 8))
    landlines = np.char.add(f"{LANDLINE_AREA}-", np.char.add(
        rng.integers(2, 9, size=n).astype(str), _digits(rng, n, 6)))
    return np.where(rng.random(n) < SHARE_LANDLINE, landlines, mobiles).astype(object)


def _id_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    districts = np.array(DISTRICTS)[rng.integers(len(DISTRICTS), size=n)]
    born = (np.datetime64("1940-01-01") + rng.integers(0, 65 * 365, size=n)
            ).astype("datetime64[D]")
    birth = pd.to_datetime(born).strftime("%Y%m%d").to_numpy(dtype=str)
    first = np.char.add(np.char.add(districts, birth), _digits(rng, n, 3))
    return np.char.add(first, check_characters(pd.Series(first))).astype(object)


def _addresses(rng: np.random.Generator, cases: pd.DataFrame, geography: Geography
               ) -> np.ndarray:
    """Township, village or community, and a group (组) in it."""
    township = geography.townships["name"].to_numpy(dtype=str)[cases["township"].to_numpy()]
    village = geography.villages["name"].to_numpy(dtype=str)[cases["village"].to_numpy()]
    group = rng.integers(1, 13, size=len(cases)).astype(str)
    return np.char.add(np.char.add(np.char.add(township, village), group), "组").astype(object)


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return np.char.zfill(rng.integers(0, 10**width, size=n).astype(str), width)
