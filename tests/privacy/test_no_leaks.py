"""Seeded complainants never leave the contact view: the whole demo path the CLI runs (import,
train, cycle, map, exports, score files, backup) into a temporary data directory with its own
embedded cluster, then every file gridrisk wrote is scanned, unpacked where it is a zip, XLSX,
gzip or tar, for each value raw, JSON-escaped, URL-encoded, as HTML entities and in GB18030;
and every GET of the API and every page but the contact view is scanned the same way.

Two kinds of planted values:
- SEEDED: 20 complainants in contacts.csv (a Latin name, one with a middle dot, 11-digit
  mobiles, 18-digit identity numbers with valid check digits, one ending in X). They may appear
  only in contacts.csv of an explicit --with-contacts export and in the contact view; not even
  the database's own files hold them in clear.
- TYPED: phone and identity numbers typed into summaries, event details and screening notes.
  They are stored as typed (the database, its backup, the --with-contacts export), and appear
  in no other output.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import math
import re
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.app import create_app
from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch
from gridrisk.privacy.numbers import check_characters
from gridrisk.settings import Settings
from gridrisk.synthetic import generate_bundle

from ..accounts import FormClient, bearer, grant, sign_in
from ..cli.test_commands import gridrisk

SEED = 3
#: three characters at least: a shorter name in GB18030 is 4 bytes, which random binary data
#: (a database page, a model file) holds by chance
NAMES = ["鞠翊骁", "禤皓翎", "亓官琰", "昝玥珈", "訾翀峣", "晏砚璟", "笪昶翃", "郗湉玓",
         "宓璠昳", "冼翕玙", "阚珂琤", "逯翾琤", "濮瑀晞", "厍曦玏", "蒯琮翊",
         "Maximilian Oberhuber", "迪丽娜尔·吐尔逊", "芮翙珺", "靳琇莹", "缑煜玹"]


def id_numbers(n: int, *, start: int) -> list[str]:
    """Identity numbers with valid check digits; the first one found ending in X comes first."""
    firsts = [f"41100219{70 + i % 30:02d}0{1 + i % 9}1{i % 10}{start + i:03d}"
              for i in range(60)]
    checks = check_characters(pd.Series(firsts))
    numbers = [f + c for f, c in zip(firsts, checks, strict=True)]
    with_x = [x for x in numbers if x.endswith("X")]
    return [*with_x[:1], *[x for x in numbers if not x.endswith("X")]][:n]


SEEDED_PHONES = [f"1{3 + i % 7}9{i:02d}07{i:04d}"[:11] for i in range(20)]
SEEDED_IDS = id_numbers(20, start=500)
TYPED_PHONES = [f"1{5 + i % 4}6{i:02d}8{i:05d}"[:11] for i in range(6)]
TYPED_IDS = id_numbers(3, start=700)
TYPED_LANDLINES = ["0374-7318642", "0374-8427531"]


def encodings(value: str) -> set[bytes]:
    forms = {value, json.dumps(value)[1:-1], quote(value), quote_plus(value),
             "".join(f"&#{ord(c)};" for c in value), "".join(f"&#x{ord(c):x};" for c in value),
             html.escape(value)}
    found = {f.encode() for f in forms}
    found.add(value.encode("gb18030"))
    found.add(value.encode("utf-16-le"))
    return found


def needles(values: list[str], *, stored: bool = False) -> dict[bytes, str]:
    """Each value in every encoding; `stored`: only as a database stores text (UTF-8, or
    GB18030 were it a GBK database), for the cluster's own files."""
    if stored:
        return {form: v for v in values for form in (v.encode(), v.encode("gb18030"))}
    return {form: value for value in values for form in encodings(value)}


def unpacked(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The bytes, and every member of a zip (XLSX, skops), gzip or tar inside, recursively."""
    yield "", data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                for inner, part in unpacked(archive.read(name)):
                    yield f"!{name}{inner}", part
    elif data[:2] == b"\x1f\x8b":
        for inner, part in unpacked(gzip.decompress(data)):
            yield f"!gunzip{inner}", part
    elif data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                handle = archive.extractfile(member)
                if handle is not None:
                    for inner, part in unpacked(handle.read()):
                        yield f"!{member.name}{inner}", part


def hits(data: bytes, where: str, wanted: dict[bytes, str]) -> list[str]:
    return [f"{where}{inner}: {value!r} as {needle!r}" for inner, part in unpacked(data)
            for needle, value in wanted.items() if needle in part]


def scan(files: list[Path], wanted: dict[bytes, str]) -> list[str]:
    return [hit for path in files for hit in hits(contents(path), str(path), wanted)]


def contents(path: Path) -> bytes:
    """A file's bytes; nothing for one the running database removed after it was listed
    (its relation caches, temporary files)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    root = reachable_scratch("gridrisk-leaks-")
    yield root / "data"
    if (root / "data" / "pg.json").exists():
        EmbeddedCluster(root / "data").destroy()
    shutil.rmtree(root, ignore_errors=True)


def plant(bundle: Path) -> dict[str, list[str]]:
    """The seeded complainants into contacts.csv, the typed numbers into free text; the ids
    of the cases and records that got them."""
    read = {name: pd.read_csv(bundle / name, dtype=str, keep_default_na=False)
            for name in ("cases.csv", "case_events.csv", "screenings.csv", "contacts.csv")}
    everything_else = "".join((bundle / n).read_text(encoding="utf-8") for n in (
        "regions.geojson", "cells.geojson", "cases.csv", "case_events.csv", "screenings.csv"))
    for value in [*NAMES, *SEEDED_PHONES, *SEEDED_IDS, *TYPED_PHONES, *TYPED_IDS]:
        assert value not in everything_else  # the test's own values are nobody else's

    contacts = read["contacts.csv"]
    contacts.loc[:19, ["name", "phone", "id_number"]] = pd.DataFrame(
        {"name": NAMES, "phone": SEEDED_PHONES, "id_number": SEEDED_IDS}).to_numpy()
    cases, events, screenings = read["cases.csv"], read["case_events.csv"], read[
        "screenings.csv"]
    typed_cases = cases.index[::600][:3]
    for n, row in enumerate(typed_cases):
        cases.loc[row, "summary"] += (f"，联系电话{TYPED_PHONES[n]}，身份证{TYPED_IDS[n]}")
    visits = events.index[events["type"].eq("met_complainant") & events["detail"].eq("")][:3]
    for n, row in enumerate(visits):
        events.loc[row, "detail"] = f"约见，手机{TYPED_PHONES[3 + n]}"
    found = screenings.index[screenings["found"].eq("true")][:2]
    for n, row in enumerate(found):
        screenings.loc[row, "summary"] += f"，座机{TYPED_LANDLINES[n]}"
    for name, frame in read.items():
        frame.to_csv(bundle / name, index=False, encoding="utf-8", lineterminator="\n")
    return {"seeded_cases": contacts["case_id"][:20].tolist(),
            "typed_cases": [*cases.loc[typed_cases, "case_id"],
                            *events.loc[visits, "case_id"]],
            "records": screenings.loc[found, "record_id"].tolist()}


@pytest.mark.slow
def test_seeded_contacts_never_leave_the_contact_view(data_dir: Path, tmp_path: Path) -> None:
    bundle = data_dir / "demo" / f"county-small-seed{SEED}"
    generate_bundle(bundle, seed=SEED, scale="small")
    planted = plant(bundle)
    env = {"GRIDRISK_DATA_DIR": str(data_dir), "GRIDRISK_MODEL_THREADS": "1"}
    out, logs = tmp_path / "out", tmp_path / "logs"
    out.mkdir()
    logs.mkdir()

    def run(name: str, *args: str, password: str | None = None) -> str:
        given = {"GRIDRISK_PASSWORD": password} if password else {}
        result = gridrisk(*args, env={**env, **given}, cwd=tmp_path)
        (logs / f"{name}.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    shown = run("demo", "demo", "--scale", "small", "--seed", str(SEED), "--no-serve")
    county = pd.read_csv(bundle / "cases.csv", dtype=str).iloc[0]  # any case: its county
    regions = json.loads((bundle / "regions.geojson").read_text(encoding="utf-8"))
    county_code = next(f["properties"]["code"] for f in regions["features"]
                       if f["properties"]["level"] == "county")
    cell = re.search(r"(\d{12,14})", shown.split("重点网格")[1]).group(1)
    model_id = next(p.name for p in (data_dir / "models").iterdir() if p.is_dir())
    run("export-zip", "export", "--region", county_code, str(out / "plain.zip"))
    run("export-folder", "export", "--region", county_code, str(out / "plain"))
    admin, password = re.search(r"首个管理员账号：(\S+)\s+密码：(\S+?)（", shown).groups()
    run("export-full", "export", "--region", county_code, "--with-contacts", "--admin", admin,
        str(out / "full"), password=password)
    run("score-xlsx", "model", "score", "--as-of", "2026-10-31", "--model", model_id,
        "--out", str(out / "scores.xlsx"))
    run("score-csv", "model", "score", "--as-of", "2026-10-31", "--model", model_id,
        "--out", str(out / "scores.csv"))
    run("map-en", "map", "--lang", "en", str(out / "map.html"))
    run("worklist", "cycle", "worklist", cell)
    run("assignments", "cycle", "assignments")
    run("purge", "privacy", "purge", "--dry-run")
    run("backup", "backup", str(out / "backup.tar"))

    values = [*NAMES, *SEEDED_PHONES, *SEEDED_IDS]
    seeded = needles(values)
    typed = needles([*TYPED_PHONES, *TYPED_IDS, *TYPED_LANDLINES])
    cluster_files = [p for p in (data_dir / "pg").rglob("*") if p.is_file()]
    written = [p for p in [*data_dir.rglob("*"), *out.rglob("*"), *logs.rglob("*")]
               if p.is_file() and bundle not in p.parents and p not in cluster_files]
    full_contacts = out / "full" / "contacts.csv"
    stored_as_typed = [out / "full", out / "backup.tar"]
    outputs = [p for p in written if not any(p == s or s in p.parents for s in stored_as_typed)]
    assert len(written) > 30 and (data_dir / "maps").exists() and len(cluster_files) > 500
    assert scan([p for p in written if p != full_contacts], seeded) == []
    assert scan(cluster_files, needles(values, stored=True)) == []
    assert scan(outputs, typed) == []
    assert scan([data_dir / "pg" / "server.log"], typed) == []
    # the controls: the clear export and the database hold what they should
    assert hits(full_contacts.read_bytes(), "contacts.csv", needles([NAMES[15]]))
    assert hits((out / "backup.tar").read_bytes(), "backup", needles([TYPED_PHONES[0]]))

    settings = Settings(data_dir=data_dir, model_threads=1)
    engine = create_engine(EmbeddedCluster(data_dir).url)
    try:
        token = grant(engine, "supervisor", [county_code], name="leak-supervisor")
        with FormClient(create_app(settings, bind=engine), headers=bearer(token)) as client:
            sign_in(client, "leak-supervisor")
            answers = api_answers(client, planted, county_code, cell, county)
            leaks = [f"{url}: {hit}" for url, body in answers
                     for hit in hits(body, "", {**seeded, **typed})]
            assert len(answers) > 60 and leaks == []
            contact = client.get(f"/cases/{planted['seeded_cases'][15]}/contact")
            assert "Maximilian Oberhuber" in contact.json()["contact"]["name"]
            page = client.post(f"/pages/cases/{planted['seeded_cases'][16]}/contact", data={})
            assert NAMES[16] in page.text
    finally:
        engine.dispose()


def api_answers(client: TestClient, planted: dict[str, list[str]], county_code: str,
                cell: str, a_case: pd.Series) -> list[tuple[str, bytes]]:
    """Every GET of the OpenAPI document with the planted records' ids, every page of the
    case list, and every page but the contact view."""
    cycle = client.get("/cycles").json()[0]
    assignments = client.get("/assignments").json()
    case_ids = [*planted["seeded_cases"], *planted["typed_cases"]]
    lon = float(a_case["lon"]) if a_case["lon"] else 113.8
    lat = float(a_case["lat"]) if a_case["lat"] else 34.0
    x, y = tile_of(lon, lat, 10)
    values = {"code": [county_code, cell], "case_id": case_ids,
              "record_id": planted["records"], "cycle_id": [str(cycle["id"])],
              "before_id": [str(cycle["id"])], "cell_code": [cell],
              "assignment_id": [str(a["id"]) for a in assignments[:3]],
              "layer": ["cells", "regions"], "z": ["10"], "x": [str(x)], "y": [str(y)],
              "kind": ["weekly", "monthly", "quarterly"], "campaign_id": ["1"],
              "collection_id": [c["id"] for c in client.get("/ogc/collections").json()[
                  "collections"]],
              "feature_id": [cell, county_code, *case_ids], "fmt": ["json", "xml"],
              "service_request_id": case_ids[:3]}
    query = {"/cells/at": f"?lon={lon}&lat={lat}",
             "/regions/{code}/coverage": "?start=2026-10-01&end=2026-10-31",
             "/tiles/{layer}/{z}/{x}/{y}.mvt": f"?cycle={cycle['id']}",
             "/indicators": f"?region={county_code}&by=township",
             "/reports/{kind}": f"?region={county_code}",
             "/zero-reports": f"?region={county_code}",
             "/ogc/collections/{collection_id}/items": "?limit=10000",
             "/open311/v2/requests/{service_request_id}.{fmt}": "?token=not-a-token"}
    answers = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if "get" not in operations or path.endswith("/contact"):
            continue
        for url in expand(path, values):
            response = client.get(url + query.get(path, ""))
            assert response.status_code < 500, (url, response.text)
            answers.append((url, response.content))
    total = client.get("/cases?limit=1").json()["total"]
    for offset in range(0, total, 500):
        url = f"/cases?limit=500&offset={offset}"
        answers.append((url, client.get(url).content))
    pages = ["/", f"/pages/regions/{county_code}?cycle={cycle['id']}",
             f"/pages/cycles/{cycle['id']}/map", f"/pages/cycles/{cycle['id']}/cells/{cell}",
             *(f"/pages/cases/{c}" for c in case_ids)]
    workers = {a["proposed_to"] for a in assignments if a.get("proposed_to")}
    pages += [f"/pages/worker?worker={w}" for w in sorted(workers)[:3]]
    for url in pages:
        response = client.get(url)
        assert response.status_code < 500, (url, response.text)
        answers.append((url, response.content))
    return answers


def expand(path: str, values: dict[str, list[str]]) -> Iterator[str]:
    names = re.findall(r"{(\w+)}", path)
    if not names:
        yield path
        return
    first = names[0]
    for value in values[first]:
        yield from expand(path.replace(f"{{{first}}}", value, 1), values)
