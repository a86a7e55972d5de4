"""Phone and identity card numbers: stored forms, and the reasons for refusing one."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from gridrisk.privacy.numbers import check_characters, parse_id_numbers, parse_phones

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(("typed", "stored"), [
    ("13812348000", "13812348000"), ("138 1234 8000", "13812348000"),
    ("+86 138-1234-8000", "13812348000"), ("0086 13812348000", "13812348000"),
    ("１３８１２３４８０００", "13812348000"), ("010-12345678", "010-12345678"),
    ("01012345678", "010-12345678"), ("(0371) 6123 4567", "0371-61234567"),
    ("0371-6123456", "0371-6123456"), ("0371-61234567转8001", "0371-61234567转8001"),
    ("0371-61234567 ext 8001", "0371-61234567转8001"), ("+86 10 12345678", "010-12345678"),
])
def test_phones_are_stored_in_one_form(typed: str, stored: str) -> None:
    values, reasons = parse_phones(pd.Series([typed]))
    assert (values.iloc[0], reasons.iloc[0]) == (stored, "")


@pytest.mark.parametrize(("typed", "reason"), [
    ("1381234800", "a mobile number has 11 digits, this one has 10"),
    ("138123480001", "a mobile number has 11 digits, this one has 12"),
    ("87654321", "a landline needs its area code"),
    ("12345", "a mobile number has 11 digits, this one has 5"),
    ("电话", "not a phone number"),
    ("0371-123", "not a phone number"),
])
def test_bad_phones_say_why(typed: str, reason: str) -> None:
    values, reasons = parse_phones(pd.Series([typed]))
    assert values.iloc[0] == "" and reasons.iloc[0].startswith(reason)
    assert typed not in reasons.iloc[0]


def test_empty_phones_stay_empty() -> None:
    values, reasons = parse_phones(pd.Series(["", "  "]))
    assert values.tolist() == ["", ""] and reasons.tolist() == ["", ""]


def test_the_check_digit_is_gb_11643() -> None:
    """The standard's own example (check X) and two worked by hand."""
    numbers = pd.Series(["11010519491231002", "44052418800101001", "11010119900307123"])
    assert check_characters(numbers).tolist() == ["X", "4", "3"]


@pytest.mark.parametrize(("typed", "stored"), [
    ("11010519491231002X", "11010519491231002X"), ("11010519491231002x", "11010519491231002X"),
    ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
    ("110105 19491231 002X", "11010519491231002X"), ("110101199003071233", "110101199003071233"),
])
def test_identity_numbers_are_stored_upper_case_without_spaces(typed: str, stored: str
                                                               ) -> None:
    values, reasons = parse_id_numbers(pd.Series([typed]), today=TODAY)
    assert (values.iloc[0], reasons.iloc[0]) == (stored, "")


@pytest.mark.parametrize(("typed", "reason"), [
    ("110105194912310021", "the check digit (character 18) does not match"),
    ("110105491231002", "a first-generation 15-digit number"),
    ("1101051949123100", "this one has 16"),
    ("11010519491231002Y", "an identity card number has 18 characters"),
    ("990105194912310028", "characters 1–2 are not a province code"),
    ("110105194902300020", "characters 7–14 are not a date of birth"),
    ("110105202701010026", "in the future"),
    ("110105189912310020", "before 1900"),
])
def test_bad_identity_numbers_say_why_without_repeating_them(typed: str, reason: str) -> None:
    values, reasons = parse_id_numbers(pd.Series([typed]), today=TODAY)
    assert values.iloc[0] == ""
    assert reason in reasons.iloc[0]
    assert typed not in reasons.iloc[0]


def test_a_column_is_checked_at_once() -> None:
    column = pd.Series(["11010519491231002X", "", "110105194912310021"] * 1000)
    values, reasons = parse_id_numbers(column, today=TODAY)
    assert (reasons != "").sum() == 1000
    assert (values == "11010519491231002X").sum() == 1000
