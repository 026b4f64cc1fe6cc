"""Keyed hashing of personal data, in bulk.

Every customer identifier, phone number, e-mail and ID-card number is
replaced by HMAC-SHA256(key, "<kind>:<normalised value>") truncated to 128
bits (32 hex characters) before anything is written. Free text keeps its
words but every mobile number (also written `138 1234 5678` or with +86),
landline number written with its area code and a separator (`021-12345678`),
ID-card number and e-mail inside it is replaced by a token `[PHONE:xxxxxxxx]`
carrying the first 8 hex characters of the same keyed hash, so an analyst
can still see that two notes name the same number without ever seeing it.

Customer identifiers have no universal shape, so inside free text they are
recognised by what they are: any word whose keyed hash is a customer id the
warehouse already holds (or that the same file carries in a customer-id
field) becomes `[CUSTOMER:xxxxxxxx]`.

Hashing is done once per distinct value (Python's hmac over the distinct
set, then a vectorised replace), never row by row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

import polars as pl

from pipelines.schema import Entity, PiiKind

HASH_HEX = 32
TOKEN_HEX = 8

# Mainland mobile numbers (optionally +86 / 86 prefixed, optionally grouped
# 3-4-4 with spaces or hyphens), landlines with an area code and a separator,
# 18-digit resident ID-card numbers (last character may be X), and e-mails.
MOBILE_RE = r"(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}"
LANDLINE_RE = r"0\d{2,3}-\d{7,8}"
ID_CARD_RE = r"[1-9]\d{16}[0-9Xx]"
# First-generation (pre-1999) 15-digit ID cards, still in old records and
# customers' notes: area code, YYMMDD birth date, 3-digit sequence.
ID_CARD_15_RE = r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
EMAIL_RE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# A word that could be an identifier: letters, digits, '_' or '-', with a digit.
WORD_RE = r"[A-Za-z0-9][A-Za-z0-9_\-]{3,63}"
# Polars' regex engine has no look-around: digits around a match are
# consumed as context groups and checked in Python.
_FREE_TEXT_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("IDCARD", "id_card", rf"\d*{ID_CARD_RE}\d*"),
    ("IDCARD", "id_card_15", rf"\d*{ID_CARD_15_RE}\d*"),
    ("PHONE", "phone", rf"\d*{MOBILE_RE}\d*"),
    ("PHONE", "landline", rf"\d*{LANDLINE_RE}\d*"),
    ("EMAIL", "email", EMAIL_RE),
)
_EXACT = {
    "id_card": re.compile(rf"^{ID_CARD_RE}$"),
    "id_card_15": re.compile(rf"^{ID_CARD_15_RE}$"),
    "phone": re.compile(rf"^{MOBILE_RE}$"),
    "landline": re.compile(rf"^{LANDLINE_RE}$"),
    "email": re.compile(rf"^{EMAIL_RE}$"),
}


def normalise(kind: str, value: str) -> str:
    value = value.strip()
    if kind in ("phone", "landline"):
        digits = re.sub(r"\D", "", value)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits
    if kind == "email":
        return value.lower()
    if kind in ("id_card", "id_card_15"):
        return value.upper()
    return value


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    msg = f"{kind}:{value}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:HASH_HEX]


class _Hmac:
    """HMAC-SHA256 with the key's inner and outer pads hashed once.

    Equal to `keyed_hash` (a test checks it), about three times faster per
    value than `hmac.new`, which re-derives the pads on every call.
    """

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        if len(key) > block:
            key = hashlib.sha256(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:HASH_HEX]


# Digests already computed in this process, per (key, kind): the same
# customer appears in calls, tickets, surveys and offers, day after day.
# Bounded so a very long run cannot grow it without limit: about 160 bytes
# an entry (162 MB after 1M contacts), so at most ~650 MB; past the bound a
# kind's memo starts again and values are hashed once more.
_MEMO: dict[tuple[bytes, str], dict[str, str]] = {}
_MEMO_LIMIT = 4_000_000
_HMACS: dict[bytes, _Hmac] = {}


def _hmac_for(key: bytes) -> _Hmac:
    found = _HMACS.get(key)
    if found is None:
        found = _HMACS[key] = _Hmac(key)
    return found


def _hash_kind(kind: str) -> str:
    """Landlines and mobiles are both phone numbers, old and new ID cards both
    ID cards: one hash domain each."""
    return {"landline": "phone", "id_card_15": "id_card"}.get(kind, kind)


def normalised(column: pl.Expr, kind: str) -> pl.Expr:
    """`normalise`, vectorised: the form of a value that is hashed."""
    text = column.str.strip_chars()
    if kind in ("phone", "landline"):
        digits = text.str.replace_all(r"\D", "")
        return (
            pl.when((digits.str.len_chars() == 13) & digits.str.starts_with("86"))
            .then(digits.str.slice(2))
            .otherwise(digits)
        )
    if kind == "email":
        return text.str.to_lowercase()
    if kind == "id_card":
        return text.str.to_uppercase()
    return text


def _digests(key: bytes, kind: str, values: list[str]) -> list[str]:
    """Keyed hash of each (already normalised) value, each hashed once per process."""
    memo = _MEMO.setdefault((key, kind), {})
    if sum(len(m) for m in _MEMO.values()) > _MEMO_LIMIT:
        memo.clear()
    digest = _hmac_for(key).hexdigest
    out: list[str] = []
    for value in values:
        found = memo.get(value)
        if found is None:
            found = memo[value] = digest(f"{kind}:{value}".encode())
        out.append(found)
    return out


def hash_column(frame: pl.DataFrame, column: str, kind: PiiKind, key: bytes) -> pl.DataFrame:
    """Replace a whole identifier column by its keyed hash (nulls stay null).

    Values are normalised in Polars, each distinct normal form is hashed once
    (and remembered for the rest of the process), and the digests are joined
    back by a vectorised replace.
    """
    norm = frame.select(normalised(pl.col(column), kind).alias("v")).to_series()
    distinct = norm.drop_nulls().unique()
    if distinct.is_empty():
        return frame
    digests = pl.DataFrame(
        {"v": distinct, "d": pl.Series(_digests(key, kind, distinct.to_list()), dtype=pl.String)}
    )
    hashed = norm.to_frame("v").join(digests, on="v", how="left", maintain_order="left")
    return frame.with_columns(hashed.get_column("d").alias(column))


def _pattern_replacements(series: pl.Series, key: bytes) -> dict[str, str]:
    """Every phone number, ID-card number and e-mail in the text -> its token."""
    found: dict[str, str] = {}
    digest = _hmac_for(key).hexdigest
    for label, kind, pattern in _FREE_TEXT_PATTERNS:
        matches = series.str.extract_all(pattern).explode().drop_nulls().unique().to_list()
        for match in matches:
            core = _exact_core(kind, match)
            if core is None or core in found:
                continue
            message = f"{_hash_kind(kind)}:{normalise(kind, core)}".encode()
            found[core] = f"[{label}:{digest(message)[:TOKEN_HEX]}]"
    return found


def _customer_replacements(
    series: pl.Series, key: bytes, known_customers: pl.Series | None
) -> dict[str, str]:
    """Words of the text that are known customer ids (by their keyed hash) -> token."""
    if known_customers is None or known_customers.is_empty():
        return {}
    words = series.str.extract_all(WORD_RE).explode().drop_nulls().unique()
    words = words.filter(words.str.contains(r"\d"))
    if words.is_empty():
        return {}
    digest = _hmac_for(key).hexdigest
    hashed = {w: digest(f"customer_id:{normalise('customer_id', w)}".encode()) for w in words}
    table = pl.DataFrame(
        {"word": list(hashed), "digest": list(hashed.values())},
        schema={"word": pl.String, "digest": pl.String},
    )
    # the few words' digests are the set probed, not the (large) known set
    present = known_customers.filter(known_customers.is_in(table["digest"].implode()))
    hits = table.filter(pl.col("digest").is_in(present.implode()))
    return {
        word: f"[CUSTOMER:{digest[:TOKEN_HEX]}]"
        for word, digest in zip(hits["word"].to_list(), hits["digest"].to_list(), strict=True)
    }


# Full-width digits, Latin letters and the signs numbers and e-mails are
# written with (Chinese input methods type them: １３８１２３４５６７８),
# turned into their ASCII forms before the search so the patterns see
# them. Only these: full-width punctuation (，。：) is ordinary Chinese text.
_FULL_WIDTH = [chr(0xFF10 + n) for n in range(10)] + [
    chr(code)
    for code in [
        *range(0xFF21, 0xFF3B),
        *range(0xFF41, 0xFF5B),
        0xFF0B,
        0xFF0D,
        0xFF0E,
        0xFF20,
        0xFF3F,
    ]
]
_HALF_WIDTH = [chr(ord(char) - 0xFEE0) for char in _FULL_WIDTH]
_FULL_WIDTH_CLASS = "[０-９Ａ-Ｚａ-ｚ＋－．＠＿]"


def _half_width(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """ASCII forms of full-width digits, letters and number signs (rows holding any)."""
    text = pl.col(column)
    return frame.with_columns(
        pl.when(text.str.contains(_FULL_WIDTH_CLASS))
        .then(text.str.replace_many(_FULL_WIDTH, _HALF_WIDTH))
        .otherwise(text)
        .alias(column)
    )


def mask_free_text(
    frame: pl.DataFrame, column: str, key: bytes, known_customers: pl.Series | None = None
) -> pl.DataFrame:
    """Replace every phone, ID-card number, e-mail and known customer id inside free text."""
    series = frame.get_column(column)
    if series.dtype != pl.String or series.null_count() == series.len():
        return frame
    if series.str.contains(_FULL_WIDTH_CLASS).any():
        frame = _half_width(frame, column)
        series = frame.get_column(column)
    # every pattern and every candidate customer word holds a digit or an '@'
    series = series.filter(series.str.contains(r"[\d@]"))
    found = _pattern_replacements(series, key)
    found.update(_customer_replacements(series, key, known_customers))
    if not found:
        return frame
    # longest first so an ID-card number is not half-replaced as a phone
    patterns = sorted(found, key=len, reverse=True)
    return frame.with_columns(
        pl.col(column).str.replace_many(patterns, [found[p] for p in patterns])
    )


def _exact_core(kind: str, match: str) -> str | None:
    """The match itself if it is exactly one number of its kind, else None."""
    if kind == "email":
        return match
    return match if _EXACT[kind].match(match) else None


def protect(
    frame: pl.DataFrame, entity: Entity, key: bytes, known_customers: pl.Series | None = None
) -> pl.DataFrame:
    """Hash identifiers and mask free text for every PII field of the entity.

    `known_customers` holds keyed hashes of customer ids seen before; the
    customer ids of this frame are added to it before free text is masked.
    """
    fields = entity.pii_fields
    for f in fields:
        if f.name in frame.columns and f.pii not in ("free_text", None):
            assert f.pii is not None
            frame = hash_column(frame, f.name, f.pii, key)
    known = _with_frame_customers(frame, entity, known_customers)
    for f in fields:
        if f.name in frame.columns and f.pii == "free_text":
            frame = mask_free_text(frame, f.name, key, known)
    return frame


def customer_hashes(frame: pl.DataFrame, entity: Entity) -> pl.Series:
    """The distinct (already hashed) customer ids a frame of the entity carries."""
    parts = [
        frame.get_column(f.name).drop_nulls().rename("digest").cast(pl.String)
        for f in entity.pii_fields
        if f.pii == "customer_id" and f.name in frame.columns
    ]
    if not parts:
        return pl.Series("digest", [], dtype=pl.String)
    return pl.concat(parts).unique()


def _with_frame_customers(
    frame: pl.DataFrame, entity: Entity, known_customers: pl.Series | None
) -> pl.Series:
    own = customer_hashes(frame, entity)
    if known_customers is None or known_customers.is_empty():
        return own
    # only membership is asked of it: duplicates do no harm, a unique() costs
    return pl.concat([known_customers.rename("digest"), own])


def mask_text(text: str, key: bytes, known_customers: pl.Series | None = None) -> str:
    """Mask one string (for messages and logs that might quote a value)."""
    frame = pl.DataFrame({"t": [text]}, schema={"t": pl.String})
    return str(mask_free_text(frame, "t", key, known_customers)["t"][0])


def mask_columns(
    frame: pl.DataFrame,
    columns: Iterable[str],
    key: bytes,
    known_customers: pl.Series | None = None,
) -> pl.DataFrame:
    """Mask the named text columns of a (small) frame: quarantine rows, reasons."""
    for column in columns:
        if column in frame.columns:
            frame = mask_free_text(frame, column, key, known_customers)
    return frame
