"""What a masked personal detail looks like, and free text with the phone and identity card
numbers typed into it masked. The one place that decides both: every output that leaves the
case page's contact view (lists, exports, maps, worklists, cycles, score files, the model's
text features) masks through here.

Masked forms (docs/privacy.md):
- a name keeps the first character of each part: 张三 → 张*, 欧阳娜娜 → 欧***,
  John Smith → J*** S****, 阿卜杜·热合曼 → 阿**·热**;
- a mobile keeps its first 3 and last 4 digits: 13812348000 → 138****8000;
- a landline keeps its area code and last 4 digits: 010-12345678 → 010-****5678;
- an identity card number keeps its first 4 and last 4 characters: 1101**********1234;
- an address keeps its leading administrative part (…省/市/区/县/乡/镇): 北京市朝阳区****;
- in free text, the same for mobiles, landlines and identity card numbers, however they are
  typed (spaces or dashes between digit groups, +86, full-width digits), and a long digit run
  (a bank card, a 15-digit first-generation identity number) keeps its first and last 4.
"""

from __future__ import annotations

import re

import pandas as pd

STAR = "*"
#: a digit as typed: ASCII or full-width (a Chinese input method types １３８…)
D = "[0-9０-９]"
_NOT_AFTER_DIGIT = "(?<![0-9０-９])"
_NOT_BEFORE_DIGIT = "(?![0-9０-９])"
_GAP = r"[ \-－]?"  # one space or dash between digit groups
#: the numbers masked in free text, as alternatives of one pattern, most specific first
FREE_TEXT_NUMBERS = re.compile(
    _NOT_AFTER_DIGIT + "(?:"
    # an identity card number: 6 + 8 + 3 digits and a check character, groups maybe apart
    rf"(?P<id>{D}{{6}}{_GAP}{D}{{8}}{_GAP}{D}{{3}}[0-9０-９XxＸｘ])(?![0-9０-９A-Za-z])"
    # a mobile, maybe after +86 / 0086, maybe as 3-4-4
    rf"|(?P<cc>(?:\+|＋|00)?86{_GAP})?(?P<mobile>[1１][3-9３-９]{D}{_GAP}{D}{{4}}{_GAP}{D}{{4}})"
    rf"{_NOT_BEFORE_DIGIT}"
    # a landline with its area code: 010-12345678, (0371)6123456, 0371 6123 4567
    rf"|(?P<area>[(（]?0{D}{{2,3}}[)）]?[ \-－]?)(?P<local>{D}{{3,4}}{_GAP}{D}{{4}})"
    rf"{_NOT_BEFORE_DIGIT}"
    # a long digit run, maybe in groups of 4: a bank card, an old identity number
    rf"|(?P<long>{D}{{4}}(?:[ \-－]{D}{{4}}){{2,3}}(?:[ \-－]{D}{{1,3}})?|{D}{{15,19}})"
    rf"{_NOT_BEFORE_DIGIT}"
    ")"
)
#: a local number without area code, only where the text says it is a phone number
KEYWORD_NUMBER = re.compile(
    rf"(?P<word>电话|手机|座机|联系方式|tel|phone)(?P<sep>[:：\s号码是为]*)"
    rf"(?P<local>{D}{{3,4}}{_GAP}{D}{{4}}){_NOT_BEFORE_DIGIT}", re.IGNORECASE)
#: free text worth scanning holds three digits in a row
_HAS_DIGITS = re.compile(f"{D}{{3}}")
NAME_PARTS = re.compile(r"([\s·•・.\-]+)")
ADDRESS_HEAD = re.compile(r"^.{1,11}(?:自治区|特别行政区|省|市|区|县|旗|盟|州|乡|镇|街道)")
_DIGIT = re.compile(D)


def keep_ends(number: str, first: int, last: int) -> str:
    """Each digit of `number` a star except its first `first` and last `last` digits; other
    characters (spaces, dashes, brackets, X) stay or are starred as digits are."""
    positions = [i for i, c in enumerate(number) if _DIGIT.fullmatch(c) or c in "XxＸｘ"]
    hidden = set(positions[first:len(positions) - last if last else None])
    return "".join(STAR if i in hidden else c for i, c in enumerate(number))


def _masked_number(match: re.Match[str]) -> str:
    if match["id"]:
        return keep_ends(match["id"], 4, 4)
    if match["mobile"]:
        return (match["cc"] or "") + keep_ends(match["mobile"], 3, 4)
    if match["local"]:
        return match["area"] + keep_ends(match["local"], 0, 4)
    return keep_ends(match["long"], 4, 4)


def _masked_keyword_number(match: re.Match[str]) -> str:
    return match["word"] + match["sep"] + keep_ends(match["local"], 0, 4)


def mask_text(text: str | None) -> str | None:
    """Free text with every phone and identity card number in it masked."""
    if not text or not _HAS_DIGITS.search(text):
        return text
    masked = FREE_TEXT_NUMBERS.sub(_masked_number, text)
    return KEYWORD_NUMBER.sub(_masked_keyword_number, masked)


def mask_texts(texts: pd.Series) -> pd.Series:
    """`mask_text` of a column (missing values stay missing); only texts holding digits are
    rewritten."""
    present = texts.notna()
    if not present.any():
        return texts
    values = texts[present].astype(str)
    scan = values.str.contains(_HAS_DIGITS.pattern, regex=True)
    if not scan.any():
        return texts
    masked = texts.copy()
    masked.loc[scan[scan].index] = values[scan].map(mask_text).to_numpy()
    return masked


def mask_name(name: str) -> str:
    """Each part of the name keeps its first character; separators stay."""
    parts = NAME_PARTS.split(name.strip())
    return "".join(part if NAME_PARTS.fullmatch(part) or not part
                   else part[0] + STAR * (len(part) - 1) for part in parts)


def mask_phone(phone: str) -> str:
    """A stored phone number (as privacy.numbers normalises it) masked."""
    number, _, extension = phone.partition("转")
    area, _, local = number.rpartition("-")
    shown = f"{area}-{keep_ends(local, 0, 4)}" if area else keep_ends(local, 3, 4)
    return shown + (f"转{STAR * len(extension)}" if extension else "")


def mask_id_number(id_number: str) -> str:
    return keep_ends(id_number, 4, 4)


def mask_address(address: str) -> str:
    """The leading administrative part (up to the last 省/市/区/县/乡/镇/街道 in its first 12
    characters), the rest four stars whatever its length."""
    head = ADDRESS_HEAD.match(address.strip())
    return (head.group(0) if head else address.strip()[:2]) + STAR * 4


def mask_value(value: str) -> str:
    """Any personal value whose kind is unknown (a rejected phone or number in an import's
    rejects): its first and last character, the rest starred."""
    value = str(value)
    if len(value) <= 2:
        return STAR * len(value)
    return value[0] + STAR * (len(value) - 2) + value[-1]
