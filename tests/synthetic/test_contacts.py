"""The demo county's contacts.csv: one per case for most cases, every value one the importer
accepts (the same seed giving the same file: tests/synthetic/test_county.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gridrisk.privacy.numbers import parse_id_numbers, parse_phones
from gridrisk.synthetic import generate_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("county") / "seed2"
    generate_bundle(out, seed=2, scale="small")
    return out


def read(bundle: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(bundle / name, dtype=str, keep_default_na=False)


def test_most_cases_have_one_contact(bundle: Path) -> None:
    cases, contacts = read(bundle, "cases.csv"), read(bundle, "contacts.csv")
    assert list(contacts.columns) == ["case_id", "name", "phone", "id_number", "address"]
    assert contacts["case_id"].is_unique
    assert contacts["case_id"].isin(cases["case_id"]).all()
    assert 0.85 < len(contacts) / len(cases) < 0.95


def test_every_value_is_one_the_importer_accepts(bundle: Path) -> None:
    contacts = read(bundle, "contacts.csv")
    phones, phone_refusals = parse_phones(contacts["phone"])
    ids, id_refusals = parse_id_numbers(contacts["id_number"], today=date.today())
    assert (phone_refusals == "").all() and (id_refusals == "").all()
    assert (phones == contacts["phone"]).all() and (ids == contacts["id_number"]).all()
    assert contacts["name"].str.len().between(2, 8).all()
    assert contacts["id_number"].str.endswith("X").any()
    assert contacts["phone"].str.startswith("0374-").any()
    assert contacts["name"].str.contains("·").any()
    assert contacts["address"].str.endswith("组").all()

