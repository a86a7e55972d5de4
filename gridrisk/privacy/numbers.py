"""Phone numbers and resident identity card numbers: what counts as one, in which form it is
stored, and why one is refused. Column-wise (the bundle importer checks a whole file at once);
a single value goes through the same functions as a column of one.

Reasons never repeat the value: they end up in rejects files and error messages, which are
not the place for personal details."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

#: GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))
#: the first two digits of an identity card number: province-level divisions (GB/T 2260),
#: 71 Taiwan, 81 Hong Kong, 82 Macao, 83 the card for Taiwan residents, 91 abroad
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
}
EARLIEST_BIRTH = date(1900, 1, 1)

PHONE_EXPECTED = ("expected an 11-digit mobile (e.g. 13812345678) or a landline with its area "
                  "code (e.g. 010-12345678, 0371-61234567)")
ID_EXPECTED = "an identity card number has 18 characters: 17 digits and a check digit (0–9 or X)"


def _typed(values: pd.Series) -> pd.Series:
    """Full-width characters as ASCII (a Chinese input method types １３８ and ｘ), stripped."""
    return values.fillna("").astype(str).str.normalize("NFKC").str.strip()


def parse_phones(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each phone number in its stored form, and why it is refused ('' when it is not).
    Stored forms: a mobile as its 11 digits (13812345678); a landline as area code, dash,
    number (010-12345678), with an extension after 转 (0371-61234567转8001). Spaces, dashes,
    brackets and a +86 / 0086 prefix are dropped. An empty value stays empty."""
    typed = _typed(values)
    number, extension = _split_extension(typed)
    digits = number.str.replace(r"[\s\-()（）.]", "", regex=True)
    digits = digits.str.replace(r"^(?:\+|00)86(?=1[3-9]\d{9}$)", "", regex=True)
    digits = digits.str.replace(r"^(?:\+|00)86(?=[1-9]\d{8,10}$)", "0", regex=True)
    mobile = digits.str.fullmatch(r"1[3-9]\d{9}")
    landline = digits.str.extract(r"^(0(?:[12]\d|[3-9]\d{2}))(\d{7,8})$")
    is_landline = landline[0].notna()  # area codes 010 and 02x have 3 digits, others 4

    stored = pd.Series("", index=values.index, dtype=object)
    stored[mobile] = digits[mobile]
    stored[is_landline] = landline[0][is_landline] + "-" + landline[1][is_landline]
    has_extension = extension.ne("")
    stored[has_extension & (mobile | is_landline)] += "转" + extension[has_extension]

    reason = pd.Series("", index=values.index, dtype=object)
    given = typed.ne("")
    bad = given & ~mobile & ~is_landline
    reason[bad] = f"not a phone number: {PHONE_EXPECTED}"
    only_digits = digits.str.fullmatch(r"\d+")
    mobile_like = bad & only_digits & digits.str.match(r"1") & digits.str.len().ne(11)
    reason[mobile_like] = ("a mobile number has 11 digits, this one has "
                           + digits[mobile_like].str.len().astype(str))
    local_only = bad & only_digits & digits.str.match(r"[2-9]") & digits.str.len().isin([7, 8])
    reason[local_only] = "a landline needs its area code (e.g. 0371-61234567)"
    return stored.where(~bad, ""), reason


def _split_extension(typed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The number and its extension (after 转, 分机, ext, x or #), digits only."""
    parts = typed.str.extract(r"^(.*?)(?:\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6}))?$",
                              flags=re.IGNORECASE)
    return parts[0].fillna(""), parts[1].fillna("")


def parse_id_numbers(values: pd.Series, *, today: date) -> tuple[pd.Series, pd.Series]:
    """Each resident identity card number (GB 11643) in its stored form (X upper case), and
    why it is refused ('' when it is not): its length and characters, its province, its date
    of birth, and its check digit. An empty value stays empty."""
    typed = _typed(values).str.replace(r"\s", "", regex=True).str.upper()
    given = typed.ne("")
    reason = pd.Series("", index=values.index, dtype=object)

    def refuse(mask: pd.Series, why: str | pd.Series) -> None:
        reason[mask & reason.eq("")] = why

    refuse(given & typed.str.fullmatch(r"\d{15}"),
           "a first-generation 15-digit number: give the 18-character number on the "
           "current card")
    well_formed = typed.str.fullmatch(r"\d{17}[\dX]")
    refuse(given & typed.str.len().ne(18), ID_EXPECTED + ", this one has "
           + typed.str.len().astype(str))
    refuse(given & ~well_formed, ID_EXPECTED)
    candidates = given & well_formed
    refuse(candidates & ~typed.str[:2].isin(PROVINCE_CODES),
           "characters 1–2 are not a province code (GB/T 2260)")
    born = pd.to_datetime(typed.where(candidates).str[6:14], format="%Y%m%d", errors="coerce")
    refuse(candidates & born.isna(), "characters 7–14 are not a date of birth (YYYYMMDD)")
    refuse(candidates & born.notna() & ((born < pd.Timestamp(EARLIEST_BIRTH))
                                        | (born > pd.Timestamp(today))),
           f"the date of birth (characters 7–14) is before {EARLIEST_BIRTH.year} or in the "
           "future")
    checkable = candidates & reason.eq("")
    if checkable.any():
        mismatch = pd.Series(False, index=values.index)
        mismatch[checkable] = typed[checkable].str[17].to_numpy() != check_characters(
            typed[checkable])
        refuse(mismatch, "the check digit (character 18) does not match the first 17 digits "
               "(GB 11643)")
    return typed.where(given & reason.eq(""), ""), reason


def check_characters(numbers: pd.Series) -> np.ndarray:
    """The GB 11643 check character of each number's first 17 digits."""
    first = np.frombuffer("".join(numbers.str[:17]).encode("ascii"), dtype=np.uint8)
    digits = (first - ord("0")).reshape(-1, 17).astype(int)
    check: np.ndarray = ID_CHECK[(digits @ ID_WEIGHTS) % 11]
    return check
