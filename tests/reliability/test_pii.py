"""No personal data in clear anywhere: DuckDB files, their WALs, quarantine, logs.

Planted: every customer id, phone number, e-mail and ID-card number the
generator wrote into the small pipeline's landing files (fields and free
text), plus a file of our own with numbers written the ways people write
them (spaced, +86, landlines), customer ids inside free text, malformed rows
carrying PII into the quarantine, a PII value in a coded field (quoted by
quarantine reasons), an unknown column and a file without its header row
(whose first record becomes column names in messages).
Searched: the warehouse and serving files (every VARCHAR column, plus the
raw bytes of the files and their .wal), the CLI logs of ingest and publish,
and dbt's log. Positive controls prove the scanner finds what is there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.pii import keyed_hash, mask_free_text, normalise
from pipelines.schema import ENTITIES
from tests.pii_scan import describe, scan
from tests.reliability.landing import (
    MAPPING,
    MUTATIONS,
    customer,
    id_card,
    phone,
    render,
    valid_record,
    write,
    write_records,
)
from tests.support import TEST_PII_KEY, Pipeline, copy_warehouse

KEY = TEST_PII_KEY.encode()
REPO = Path(__file__).resolve().parents[2]
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_CARD = re.compile(r"(?<!\d)[1-9]\d{16}[\dX](?!\d)")
ID_CARD_15 = re.compile(r"(?<!\d)[1-9]\d{7}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}(?!\d)")


# --------------------------------------------------------------------------
# What the generator planted
# --------------------------------------------------------------------------
def generator_pii(landing: Path, per_field: int = 600) -> set[str]:
    """PII values of the generator's landing files: up to `per_field` of every PII field.

    A leak is systematic (a code path that skips hashing leaks every value of
    a field), so a seeded sample per field and per free-text kind finds it as
    surely as all 60,000 values, in a fraction of the scan time.
    """
    by_field: dict[str, set[str]] = {}
    for entity, em in MAPPING.entities.items():
        ent = ENTITIES[entity]
        for path in sorted(landing.glob(em.files)):
            text = path.read_bytes().decode(em.encoding)
            if em.format == "jsonl":
                records = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                records = list(csv.DictReader(io.StringIO(text), delimiter=em.separator))
            for f in ent.pii_fields:
                column = em.source_column(f.name)
                for record in records:
                    value = record.get(column)
                    if not value:
                        continue
                    if f.pii == "free_text":
                        by_field.setdefault(f"{f.name}:phone", set()).update(MOBILE.findall(value))
                        by_field.setdefault(f"{f.name}:id", set()).update(ID_CARD.findall(value))
                    else:
                        by_field.setdefault(f"{entity}.{f.name}", set()).add(str(value))
    pick = random.Random(11)
    found: set[str] = set()
    for values in by_field.values():
        ordered = sorted(values)
        found.update(pick.sample(ordered, min(per_field, len(ordered))))
    return found


# --------------------------------------------------------------------------
# What we plant
# --------------------------------------------------------------------------
PLANTED_FIELDS = {
    "customer": customer(77_001),
    "phone": phone(77_002),
    "id_card": id_card(77_003),
    "email": "zhang.wei.77004@example.cn",
}
SPACED = "139 7700 5555"
PLUS86 = "+86 13977006666"
LANDLINE = "021-77007777"
NOTE_PHONE = "13977008888"
NOTE_ID = "310104198807076543"
NOTE_EMAIL = "li.na.77009@example.cn"
QUARANTINED_PHONE = "13977010101"
QUARANTINED_ID = "440305199001017777"
CODED_FIELD_PHONE = "13977012121"
HEADERLESS_PHONE = "13977013131"
UNKNOWN_COLUMN_PHONE = "13977014141"


def plant(landing: Path) -> set[str]:
    """Files full of PII in every place a value can hide; returns the planted strings."""
    calls = ENTITIES["calls"]
    rec = valid_record("calls", 77_000)
    rec["customer_id"] = PLANTED_FIELDS["customer"]
    rec["caller_number"] = PLANTED_FIELDS["phone"]
    rec["agent_note"] = (
        f"客户{PLANTED_FIELDS['customer']}来电，留手机{NOTE_PHONE}，备用{SPACED}，"
        f"境外{PLUS86}，座机{LANDLINE}，身份证{NOTE_ID}，邮箱{NOTE_EMAIL}。"
    )
    spaced = valid_record("calls", 77_001)
    spaced["caller_number"] = SPACED
    bad = valid_record("calls", 77_002)  # quarantined: PII must not ride along
    MUTATIONS["bad_integer"](calls, bad)
    bad["caller_number"] = QUARANTINED_PHONE
    bad["agent_note"] = f"身份证{QUARANTINED_ID}，手机{QUARANTINED_PHONE}"
    coded = valid_record("calls", 77_003)  # a phone typed into a coded field
    coded["direction"] = CODED_FIELD_PHONE
    write_records(
        landing,
        "calls",
        "2026-07-01",
        [rec, spaced, bad, coded],
        extra={"backup_phone": UNKNOWN_COLUMN_PHONE},
    )
    survey = valid_record("surveys", 77_000)
    survey["verbatim"] = f"我是{PLANTED_FIELDS['customer']}，电话{NOTE_PHONE}，服务很好。"
    write_records(landing, "surveys", "2026-07-01", [survey])
    item = valid_record("backoffice_items", 77_000)
    item["applicant_id_number"] = PLANTED_FIELDS["id_card"]
    write_records(landing, "backoffice_items", "2026-07-01", [item])
    ticket = valid_record("tickets", 77_000)
    ticket["customer_email"] = PLANTED_FIELDS["email"]
    ticket["first_message"] = f"我的邮箱是{NOTE_EMAIL}，电话{SPACED}"
    write_records(landing, "tickets", "2026-07-01", [ticket])
    # an export without its header row: the first record is read as column names
    headerless = render("offers", [valid_record("offers", 77_000)]).split(b"\n", 1)[1]
    headerless = headerless.replace(b"CUST", HEADERLESS_PHONE.encode() + b",CUST", 1)
    write(landing, "offers", "2026-07-01", headerless)
    return set(PLANTED_FIELDS.values()) | {
        SPACED,
        PLUS86,
        LANDLINE,
        NOTE_PHONE,
        NOTE_ID,
        NOTE_EMAIL,
        QUARANTINED_PHONE,
        QUARANTINED_ID,
        CODED_FIELD_PHONE,
        HEADERLESS_PHONE,
        UNKNOWN_COLUMN_PHONE,
    }


def run_cli(home: Path, *args: str) -> str:
    env = {**os.environ, "SERVIQ_HOME": str(home), "SERVIQ_PII_KEY": TEST_PII_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout + done.stderr


def test_no_planted_pii_in_any_duckdb_file_wal_quarantine_or_log(
    small_pipeline: Pipeline, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    copy_warehouse(small_pipeline.warehouse, home / "warehouse.duckdb")
    shutil.copy(small_pipeline.serving, home / "serving.duckdb")
    landing = tmp_path / "planted"
    ours = plant(landing)
    generated = generator_pii(small_pipeline.landing)
    assert len(generated) > 3000  # the generator does plant PII (fields and free text)

    logs = tmp_path / "logs"
    logs.mkdir()
    ingest_log = run_cli(home, "ingest", "--landing", str(landing), "-v")
    (logs / "ingest.log").write_text(ingest_log, encoding="utf-8")
    assert "refused offers/offers_2026-07-01.csv" in ingest_log  # the headerless file
    (logs / "publish.log").write_text(run_cli(home, "publish"), encoding="utf-8")

    targets = [
        home / "warehouse.duckdb",
        home / "warehouse.marts.duckdb",
        home / "serving.duckdb",
        small_pipeline.serving,
        *logs.iterdir(),
        *(small_pipeline.settings.home / "dbt" / "logs").glob("*.log"),
    ]
    findings = scan(targets, ours | generated)
    assert not findings, describe(findings)

    # positive controls: the scanner finds PII where it is, and masking kept the words
    assert {f.planted for f in scan(landing.rglob("*.*"), ours)} == ours
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        reasons = [r[0] for r in con.execute("select reason from audit.quarantine").fetchall()]
    finally:
        con.close()
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        note = con.execute(
            "select agent_note from raw.calls where call_id = 'CA0077000'"
        ).fetchall()[0][0]
        verbatim = con.execute(
            "select verbatim from raw.surveys where survey_id = 'SV0077000'"
        ).fetchall()[0][0]
    finally:
        con.close()
    for token in ("[CUSTOMER:", "[PHONE:", "[IDCARD:", "[EMAIL:"):
        assert token in note, note
    assert note.count("[PHONE:") == 4  # mobile, spaced, +86, landline
    assert "[CUSTOMER:" in verbatim and "服务很好" in verbatim
    assert any("[PHONE:" in r for r in reasons)  # the coded-field value, masked in the reason


# --------------------------------------------------------------------------
# The masking itself, property-based
# --------------------------------------------------------------------------
WORDS = st.sampled_from(["客户", "来电", "咨询", "谢谢", "ok", "卡号", " ", "，", "。", "A"])


def mobile_spellings(number: str) -> list[str]:
    return [
        number,
        f"{number[:3]} {number[3:7]} {number[7:]}",
        f"{number[:3]}-{number[3:7]}-{number[7:]}",
        f"+86{number}",
        f"+86 {number}",
    ]


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(WORDS, max_size=4).map("".join),
    after=st.lists(WORDS, max_size=4).map("".join),
    digits=st.integers(min_value=0, max_value=10**8 - 1),
    prefix=st.sampled_from(["13", "15", "17", "18", "19"]),
    spelling=st.integers(min_value=0, max_value=4),
    card=st.integers(min_value=10**16, max_value=10**17 - 1),
    check=st.sampled_from(list("0123456789X")),
)
def test_every_phone_and_id_card_in_free_text_is_masked_and_the_words_kept(
    before: str, after: str, digits: int, prefix: str, spelling: int, card: int, check: str
) -> None:
    number = f"{prefix}{digits % 10:01d}{digits:08d}"
    shown = mobile_spellings(number)[spelling]
    id_number = f"{card}{check}"
    text = f"{before}{shown}{after}身份证{id_number}{before}"
    frame = mask_free_text(pl.DataFrame({"t": [text]}), "t", KEY)
    masked = frame["t"][0]
    assert number not in masked.replace(" ", "").replace("-", "")
    assert id_number not in masked
    token = keyed_hash(KEY, "phone", normalise("phone", shown))[:8]
    assert f"[PHONE:{token}]" in masked
    assert masked.startswith(before) and "身份证[IDCARD:" in masked


@settings(max_examples=30, deadline=None)
@given(
    number=st.integers(min_value=0, max_value=10**30).map(str),
    words=st.lists(WORDS, max_size=5).map("".join),
)
def test_digit_runs_that_are_not_phone_or_id_numbers_are_left_alone(
    number: str, words: str
) -> None:
    if MOBILE.search(number) or ID_CARD.search(number) or ID_CARD_15.search(number):
        return
    if len(number) in (11, 13, 18):
        return
    text = f"{words}金额{number}{words}"
    masked = mask_free_text(pl.DataFrame({"t": [text]}), "t", KEY)["t"][0]
    assert masked == text


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=40, deadline=None)
@given(
    before=st.lists(WORDS, max_size=4).map("".join),
    digits=st.integers(min_value=0, max_value=10**8 - 1),
    spelling=st.integers(min_value=0, max_value=4),
    area=st.integers(min_value=110000, max_value=659999),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    widths=st.tuples(st.booleans(), st.booleans()),
)
def test_old_id_cards_and_full_width_numbers_are_masked(
    before: str,
    digits: int,
    spelling: int,
    area: int,
    birth: dt.date,
    sequence: int,
    widths: tuple[bool, bool],
) -> None:
    """15-digit (first-generation) ID cards, and numbers typed in full-width
    digits, are PII in free text like any other spelling."""
    number = f"13{digits % 10:01d}{digits:08d}"
    shown = mobile_spellings(number)[spelling]
    old_card = f"{area}{birth:%y%m%d}{sequence:03d}"
    shown_card = full_width(old_card) if widths[1] else old_card
    text = f"{before}电话{full_width(shown) if widths[0] else shown}，旧身份证{shown_card}。"
    masked = mask_free_text(pl.DataFrame({"t": [text]}), "t", KEY)["t"][0]
    flat = masked.replace(" ", "").replace("-", "")
    assert number not in flat and full_width(number) not in flat
    assert old_card not in masked and full_width(old_card) not in masked
    assert f"[PHONE:{keyed_hash(KEY, 'phone', normalise('phone', shown))[:8]}]" in masked
    # the same domain as 18-digit cards: one person's old and new card never collide
    assert f"旧身份证[IDCARD:{keyed_hash(KEY, 'id_card', old_card)[:8]}]。" in masked
    assert masked.startswith(before) and "，" in masked  # Chinese punctuation kept


def test_customer_ids_in_free_text_are_found_by_their_hash_not_their_shape() -> None:
    known = pl.Series([keyed_hash(KEY, "customer_id", "AB-99817")])
    text = "客户AB-99817来电；另一位AB-99818未登记。"
    masked = mask_free_text(pl.DataFrame({"t": [text]}), "t", KEY, known)["t"][0]
    assert "AB-99817" not in masked and "[CUSTOMER:" in masked
    assert "AB-99818" in masked  # not a customer the warehouse knows
