"""The masked forms, and free text with its phone and identity numbers masked however they
were typed, while the codes and dates gridrisk itself writes stay as they are."""

from __future__ import annotations

import pandas as pd
import pytest

from gridrisk.privacy.masking import (
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    mask_texts,
    mask_value,
)


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("张建国", "张**"), ("欧阳娜娜", "欧***"), ("John Smith", "J*** S****"),
    ("阿卜杜·热合曼", "阿**·热**"), ("李", "李"),
])
def test_names_keep_the_first_character_of_each_part(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812348000", "138****8000"), ("010-12345678", "010-****5678"),
    ("0371-6123456", "0371-***3456"), ("0371-61234567转8001", "0371-****4567转****"),
])
def test_phones(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_identity_numbers_and_addresses() -> None:
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_address("北京市朝阳区建国路88号") == "北京市朝阳区****"
    assert mask_address("城关镇东湖村3组") == "城关镇****"
    assert mask_address("东湖村3组") == "东湖****"
    assert mask_value("13812348000") == "1*********0"


@pytest.mark.parametrize(("typed", "masked"), [
    ("电话13812348000", "电话138****8000"),
    ("+86 138 1234 8000", "+86 138 **** 8000"),
    ("0086-138-1234-8000", "0086-138-****-8000"),
    ("１３８１２３４８０００", "１３８****８０００"),
    ("3 13812345678人", "3 138****5678人"),
    ("010-12345678", "010-****5678"),
    ("(0371)6123456", "(0371)***3456"),
    ("（0371）6123 4567", "（0371）**** 4567"),
    ("01012345678", "0101***5678"),
    ("身份证11010519491231002X号", "身份证1101**********002X号"),
    ("身份证 110105 19491231 002x", "身份证 1101** ******** 002x"),
    ("卡号6222 0212 3456 7890 123", "卡号6222 **** **** ***0 123"),
    ("老身份证110105491231002", "老身份证1101*******1002"),
    ("电话：87654321", "电话：****4321"),
    ("Tel: 6123 4567", "Tel: **** 4567"),
    ("手机号码是 13912345678", "手机号码是 139****5678"),
])
def test_numbers_in_free_text_are_masked_however_typed(typed: str, masked: str) -> None:
    assert mask_text(typed) == masked


@pytest.mark.parametrize("kept", [
    "网格41100000120101，村411502001201", "XF20250301-0001", "2025-03-14 09:30",
    "20250314093000", "拖欠工资12345678元", "延期15日：需现场测量", "共 13 人，第3次", "",
])
def test_codes_dates_and_amounts_are_left_alone(kept: str) -> None:
    assert mask_text(kept) == kept


def test_a_column_is_masked_where_it_holds_numbers() -> None:
    for dtype in (object, "str"):
        texts = pd.Series(["无", None, "电话13812348000", "15日"], index=[3, 5, 7, 9],
                          dtype=dtype)
        masked = mask_texts(texts)
        assert masked.fillna("").tolist() == ["无", "", "电话138****8000", "15日"]
        assert masked.isna().tolist() == [False, True, False, False]
        assert masked.index.tolist() == [3, 5, 7, 9]
    assert mask_texts(pd.Series([None, None], dtype=object)).isna().all()
