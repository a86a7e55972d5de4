"""Free text (a case's summary) as it may leave the case page: phone and identity card numbers
masked. The one door for GIS layers and GeoPackages; the privacy module's `mask_text`
(gridrisk.privacy.masking) replaces the body of `mask_free_text` when it lands."""

from __future__ import annotations

import re

#: an 18-character identity card number, an 11-digit mobile (maybe +86, maybe 3-4-4), or a
#: landline with its area code, each standing apart from other digits
_NUMBER = re.compile(
    r"(?<![0-9])(?:(?P<id>[0-9]{17}[0-9Xx])(?![0-9A-Za-z])"
    r"|(?P<mobile>1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})"
    r"|(?P<landline>0[0-9]{2,3}-?[0-9]{7,8}))(?![0-9])")


def _masked(match: re.Match[str]) -> str:
    number = match.group(0)
    digits = [i for i, c in enumerate(number) if c.isdigit() or c in "Xx"]
    area = number.find("-") if "-" in number else 3
    head = 4 if match["id"] else 3 if match["mobile"] else area
    keep = set(digits[:head] + digits[-4:])
    return "".join(c if i in keep or i not in digits else "*" for i, c in enumerate(number))


def mask_free_text(text: str | None) -> str | None:
    """`text` with every phone and identity card number in it masked (138****8000)."""
    return _NUMBER.sub(_masked, text) if text else text
