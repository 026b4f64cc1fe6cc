"""Keyed hashing of personal data, in bulk.

Every customer identifier, phone number, e-mail and ID-card number is
replaced by HMAC-SHA256(key, "<kind>:<normalised value>") truncated to 128
bits (32 hex characters) before anything is written. Free text keeps its
words but every mobile number, ID-card number and e-mail inside it is
replaced by a token `[PHONE:xxxxxxxx]` carrying the first 8 hex characters
of the same keyed hash, so an analyst can still see that two notes name
the same number without ever seeing it.

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

# Mainland mobile numbers (optionally +86 / 86 prefixed), 18-digit resident
# ID-card numbers (last character may be X), and e-mail addresses.
MOBILE_RE = r"(?:\+?86[- ]?)?1[3-9]\d{9}"
ID_CARD_RE = r"[1-9]\d{16}[0-9Xx]"
EMAIL_RE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# Polars' regex engine has no look-around: digits around a match are
# consumed as context groups and checked in Python.
_FREE_TEXT_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("IDCARD", "id_card", rf"\d*{ID_CARD_RE}\d*"),
    ("PHONE", "phone", rf"\d*{MOBILE_RE}\d*"),
    ("EMAIL", "email", EMAIL_RE),
)
_EXACT = {
    "id_card": re.compile(rf"^{ID_CARD_RE}$"),
    "phone": re.compile(rf"^{MOBILE_RE}$"),
    "email": re.compile(rf"^{EMAIL_RE}$"),
}


def normalise(kind: PiiKind, value: str) -> str:
    value = value.strip()
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits
    if kind in ("email",):
        return value.lower()
    if kind == "id_card":
        return value.upper()
    return value


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    msg = f"{kind}:{value}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:HASH_HEX]


def _hash_map(key: bytes, kind: PiiKind, values: Iterable[str]) -> dict[str, str]:
    return {v: keyed_hash(key, kind, normalise(kind, v)) for v in values}


def hash_column(frame: pl.DataFrame, column: str, kind: PiiKind, key: bytes) -> pl.DataFrame:
    """Replace a whole identifier column by its keyed hash (nulls stay null)."""
    distinct = frame.get_column(column).drop_nulls().unique().to_list()
    if not distinct:
        return frame
    mapping = _hash_map(key, kind, distinct)
    return frame.with_columns(
        pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
    )


def mask_free_text(frame: pl.DataFrame, column: str, key: bytes) -> pl.DataFrame:
    """Replace every phone number, ID-card number and e-mail inside free text."""
    series = frame.get_column(column)
    patterns: list[str] = []
    replacements: list[str] = []
    for label, kind, pattern in _FREE_TEXT_PATTERNS:
        found = series.str.extract_all(pattern).explode().drop_nulls().unique().to_list()
        for match in found:
            if match in patterns:
                continue
            core = _exact_core(kind, match)
            if core is None:
                continue
            token = keyed_hash(key, kind, normalise(kind, core))[:TOKEN_HEX]
            patterns.append(core)
            replacements.append(f"[{label}:{token}]")
    if not patterns:
        return frame
    # longest first so an ID-card number is not half-replaced as a phone
    order = sorted(range(len(patterns)), key=lambda i: -len(patterns[i]))
    return frame.with_columns(
        pl.col(column).str.replace_many(
            [patterns[i] for i in order], [replacements[i] for i in order]
        )
    )


def _exact_core(kind: str, match: str) -> str | None:
    """The match itself if it is exactly one number of its kind, else None."""
    if kind == "email":
        return match
    return match if _EXACT[kind].match(match) else None


def protect(frame: pl.DataFrame, entity: Entity, key: bytes) -> pl.DataFrame:
    """Hash identifiers and mask free text for every PII field of the entity."""
    for f in entity.pii_fields:
        if f.name not in frame.columns:
            continue
        if f.pii == "free_text":
            frame = mask_free_text(frame, f.name, key)
        else:
            assert f.pii is not None
            frame = hash_column(frame, f.name, f.pii, key)
    return frame


def mask_text(text: str, key: bytes) -> str:
    """Mask one string (for messages and logs that might quote a value)."""
    frame = pl.DataFrame({"t": [text]})
    return str(mask_free_text(frame, "t", key)["t"][0])
