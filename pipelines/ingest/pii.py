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
from dataclasses import dataclass, field

import numpy as np
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
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(self, message: bytes) -> str:
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:HASH_HEX]


# Digests already computed in this process, per (key, kind), by message
# (b"<kind>:<value>"): the same customer appears in calls, tickets, surveys
# and offers, day after day.
# Bounded so a very long run cannot grow it without limit: about 160 bytes
# an entry (162 MB after 1M contacts), so at most ~650 MB; past the bound a
# kind's memo starts again and values are hashed once more.
_MEMO: dict[tuple[bytes, str], dict[bytes, str]] = {}
_MEMO_BOUND = 4_000_000  # entries in one process
_MEMO_LIMIT = _MEMO_BOUND


def share_memo(processes: int) -> None:
    """In one of `processes` worker processes: keep this process's share of the bound."""
    global _MEMO_LIMIT
    _MEMO_LIMIT = max(1, _MEMO_BOUND // max(1, processes))


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


def _digests(key: bytes, kind: str, values: pl.Series) -> list[str]:
    """Keyed hash of each (already normalised) value, each hashed once per process.

    The messages ("<kind>:<value>" as UTF-8) are built by Polars, and the
    HMAC is inlined: the Python call, f-string and encode per value cost
    about as much as the two SHA-256 blocks themselves.
    """
    memo = _MEMO.setdefault((key, kind), {})
    if sum(len(m) for m in _MEMO.values()) > _MEMO_LIMIT:
        memo.clear()
    hmac_ = _hmac_for(key)
    inner_pad, outer_pad = hmac_.inner.copy, hmac_.outer.copy
    messages = (
        values.to_frame("v")
        .select((pl.lit(f"{kind}:") + pl.col("v")).cast(pl.Binary))
        .to_series()
        .to_list()
    )
    known = memo.get
    out: list[str] = []
    append = out.append
    for message in messages:
        found = known(message)
        if found is None:
            inner = inner_pad()
            inner.update(message)
            outer = outer_pad()
            outer.update(inner.digest())
            found = memo[message] = outer.hexdigest()[:HASH_HEX]
        append(found)
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
        {"v": distinct, "d": pl.Series(_digests(key, kind, distinct), dtype=pl.String)}
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


def _candidate_words(series: pl.Series, key: bytes) -> dict[str, str]:
    """Words of the text that could be customer ids -> their keyed customer-id hash."""
    words = series.str.extract_all(WORD_RE).explode().drop_nulls().unique()
    words = words.filter(words.str.contains(r"\d"))
    digest = _hmac_for(key).hexdigest
    return {w: digest(f"customer_id:{normalise('customer_id', w)}".encode()) for w in words}


class KnownCustomers:
    """Keyed hashes of customer ids, asked only whether they hold a digest.

    Digests (32 hex characters = 128 bits) are kept as two 64-bit integers
    in sorted runs merged like a binary counter, so adding a batch's ids
    costs about the batch and a lookup is a binary search per run. (A
    Polars series grown with `unique()` per batch cost the whole set every
    batch: 9 of 98 CPU seconds on 3M contacts, growing with the square.) A
    value that is not 32 lower-case hex characters (never written by this
    module) is kept as it is in a set, so membership stays exact.
    """

    def __init__(self, digests: pl.Series | None = None) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._other: set[str] = set()
        if digests is not None:
            self.add(digests)

    def is_empty(self) -> bool:
        return not self._runs and not self._other

    def add(self, digests: pl.Series) -> None:
        values = digests.cast(pl.String).drop_nulls()
        if values.is_empty():
            return
        is_hex = values.str.contains(_DIGEST_RE)
        self._other.update(values.filter(~is_hex).to_list())
        hi, lo = _halves(values.filter(is_hex))
        if not len(hi):
            return
        order = np.argsort(hi, kind="stable")
        hi, lo = hi[order], lo[order]
        while self._runs and len(self._runs[-1][0]) <= 2 * len(hi):
            run_hi, run_lo = self._runs.pop()
            both = np.concatenate([run_hi, hi])
            order = np.argsort(both, kind="stable")  # two sorted runs: a merge
            hi, lo = both[order], np.concatenate([run_lo, lo])[order]
            fresh = np.ones(len(hi), dtype=bool)
            fresh[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
            hi, lo = hi[fresh], lo[fresh]
        self._runs.append((hi, lo))

    def contains(self, digests: pl.Series) -> list[bool]:
        """Whether each digest is held (exact: both halves compared)."""
        values = digests.cast(pl.String)
        hit = [False] * len(values)
        if self._other:
            hit = values.is_in(list(self._other)).fill_null(False).to_list()
        is_hex = values.str.contains(_DIGEST_RE).fill_null(False)
        if not self._runs or not is_hex.any():
            return hit
        hi, lo = _halves(values.set(~is_hex, "0" * HASH_HEX))
        for run_hi, run_lo in self._runs:
            left = np.searchsorted(run_hi, hi, side="left")
            right = np.searchsorted(run_hi, hi, side="right")
            for i in np.flatnonzero(right > left):
                if is_hex[int(i)] and bool((run_lo[left[i] : right[i]] == lo[i]).any()):
                    hit[int(i)] = True
        return hit


_DIGEST_RE = rf"^[0-9a-f]{{{HASH_HEX}}}$"


def _halves(hexes: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The two 64-bit halves of 32-hex-character digests."""
    half = HASH_HEX // 2
    hi = hexes.str.slice(0, half).str.to_integer(base=16, dtype=pl.UInt64)
    lo = hexes.str.slice(half, half).str.to_integer(base=16, dtype=pl.UInt64)
    return hi.to_numpy(), lo.to_numpy()


@dataclass
class TextMasks:
    """What one free-text column needs replaced, before every customer is known.

    `found`: phone, ID-card and e-mail matches -> token; `customers`: words
    already known to be customer ids -> token; `words`: other words that
    could be customer ids -> their keyed hash, looked up in the known set
    by `replacements` (the one serial step of a parallel ingest's masking).
    """

    found: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)

    def replacements(self, known: KnownCustomers | None = None) -> dict[str, str]:
        """Everything to replace: matches, the frame's customers and `known` ones."""
        out = dict(self.found)
        out.update(self.customers)
        out.update(self.known_hits(known))
        return out

    def known_hits(self, known: KnownCustomers | None) -> dict[str, str]:
        """The waiting words that `known` holds as customer ids -> token."""
        if not self.words or known is None or known.is_empty():
            return {}
        hits = known.contains(pl.Series(list(self.words.values()), dtype=pl.String))
        return {
            word: _customer_token(digest)
            for (word, digest), hit in zip(self.words.items(), hits, strict=True)
            if hit
        }


def _customer_token(digest: str) -> str:
    return f"[CUSTOMER:{digest[:TOKEN_HEX]}]"


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
    frame: pl.DataFrame,
    column: str,
    key: bytes,
    known_customers: pl.Series | KnownCustomers | None = None,
) -> pl.DataFrame:
    """Replace every phone, ID-card number, e-mail and known customer id inside free text."""
    known = _known(known_customers)
    words = known is not None and not known.is_empty()
    frame, masks = plan_free_text(frame, column, key, words)
    return apply_masks(frame, column, masks.replacements(known))


def _known(known_customers: pl.Series | KnownCustomers | None) -> KnownCustomers | None:
    if isinstance(known_customers, pl.Series):
        return KnownCustomers(known_customers)
    return known_customers


def plan_free_text(
    frame: pl.DataFrame,
    column: str,
    key: bytes,
    words: bool = True,
    own_customers: pl.Series | None = None,
) -> tuple[pl.DataFrame, TextMasks]:
    """Find what the column's free text needs replaced (full-width forms made ASCII).

    `words`: also collect the words that could be customer ids; those whose
    hash is in `own_customers` are customers at once, the rest wait for
    `TextMasks.replacements` to look them up in the known set.
    """
    series = frame.get_column(column)
    if series.dtype != pl.String or series.null_count() == series.len():
        return frame, TextMasks()
    if series.str.contains(_FULL_WIDTH_CLASS).any():
        frame = _half_width(frame, column)
        series = frame.get_column(column)
    # every pattern and every candidate customer word holds a digit or an '@'
    series = series.filter(series.str.contains(r"[\d@]"))
    masks = TextMasks(found=_pattern_replacements(series, key))
    if words:
        masks.words = _candidate_words(series, key)
    if masks.words and own_customers is not None and not own_customers.is_empty():
        digests = pl.Series(list(masks.words.values()), dtype=pl.String)
        own = digests.is_in(own_customers.implode()).to_list()
        for (word, digest), hit in zip(list(masks.words.items()), own, strict=True):
            if hit:
                masks.customers[word] = _customer_token(digest)
                del masks.words[word]
    return frame, masks


def apply_masks(frame: pl.DataFrame, column: str, found: dict[str, str]) -> pl.DataFrame:
    """Replace what `plan_free_text` found (and the customers then resolved)."""
    if not found or column not in frame.columns:
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
    frame: pl.DataFrame,
    entity: Entity,
    key: bytes,
    known_customers: pl.Series | KnownCustomers | None = None,
) -> pl.DataFrame:
    """Hash identifiers and mask free text for every PII field of the entity.

    `known_customers` holds keyed hashes of customer ids seen before; the
    customer ids of this frame count as known too.
    """
    known = _known(known_customers)
    frame, masks = hash_and_plan(frame, entity, key)
    for column, plan in masks.items():
        frame = apply_masks(frame, column, plan.replacements(known))
    return frame


def hash_and_plan(
    frame: pl.DataFrame, entity: Entity, key: bytes
) -> tuple[pl.DataFrame, dict[str, TextMasks]]:
    """Hash identifier columns; plan each free-text column's masks (not applied yet).

    Needs nothing but the frame and the key, so it can run in a worker: the
    frame's own customer ids are resolved here, the ones loaded before by
    `TextMasks.replacements`.
    """
    fields = entity.pii_fields
    for f in fields:
        if f.name in frame.columns and f.pii not in ("free_text", None):
            assert f.pii is not None
            frame = hash_column(frame, f.name, f.pii, key)
    own = customer_hashes(frame, entity)
    masks: dict[str, TextMasks] = {}
    for f in fields:
        if f.name in frame.columns and f.pii == "free_text":
            frame, masks[f.name] = plan_free_text(frame, f.name, key, True, own)
    return frame, masks


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
