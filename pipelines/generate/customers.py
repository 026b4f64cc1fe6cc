"""The customer base and its personal data (raw PII that ingestion must hash).

Customers fall into activity tiers (a tenth of them contact the centre
far more often than the rest). Each (customer, intent) pair is used
by at most one topic in the whole run (an issue or a proactive contact), so a
customer's independent new issue never lands inside the 7-day repeat window
of an earlier one on the same intent: episodes in the warehouse equal the
issues planted here, exactly (weighted sampling without replacement, by the
Gumbel top-k trick, per intent).

Personal data is derived from the customer number by a fixed hash, so every
contact of a customer shows the same mobile number, e-mail and ID card:
11-digit mainland mobile numbers, e-mail addresses, and 18-digit resident
ID-card numbers with a valid GB 11643 check digit (sometimes `X`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

MOBILE_PREFIXES = np.array(
    [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158, 159,
     166, 176, 177, 180, 181, 183, 185, 186, 187, 188, 189, 191, 198, 199],
    dtype=np.int64,
)  # fmt: skip
REGION_CODES = np.array(
    [310104, 310115, 110101, 110105, 440305, 440106, 510107, 420106, 610113, 340104,
     210202, 330106, 320102, 370102, 500103, 120101],
    dtype=np.int64,
)  # fmt: skip
SURNAMES = ["zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou",
            "xu", "sun", "ma", "zhu", "hu", "guo", "he", "lin", "luo", "gao"]  # fmt: skip
GIVEN = ["wei", "fang", "na", "min", "jing", "lei", "qiang", "jun", "yan", "tao",
         "ming", "chao", "xiu", "hua", "ping", "hong", "yu", "bo", "lan", "hao"]  # fmt: skip
DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "139.com", "outlook.com", "gmail.com"]
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.array(list("10X98765432"))


def mix64(x: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix64 finaliser: a fixed, well-spread hash of non-negative integers."""
    z = x.astype(np.uint64) + np.uint64((0x9E3779B97F4A7C15 * (salt + 1)) % 2**64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


# Activity tiers: (share of customers, relative contact propensity).
ACTIVITY_TIERS = ((0.55, 0.3), (0.35, 1.0), (0.10, 4.0))
SCATTER_PRIME = 1_000_000_007  # prime > any customer base: i -> i*p mod n is a bijection


class CustomerBase:
    """Customers in activity tiers; weighted draws without a per-customer table."""

    def __init__(self, n: int) -> None:
        self.n = n
        shares = np.array([t[0] for t in ACTIVITY_TIERS])
        sizes = np.maximum(np.floor(shares * n).astype(np.int64), 1)
        sizes[-1] = n - sizes[:-1].sum()
        self.sizes = sizes
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        mass = sizes * np.array([t[1] for t in ACTIVITY_TIERS])
        self.tier_cum = np.cumsum(mass / mass.sum())

    def draw(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """k customer numbers drawn with replacement, by activity."""
        tier = np.minimum(np.searchsorted(self.tier_cum, rng.random(k)), len(self.sizes) - 1)
        local = (rng.random(k) * self.sizes[tier]).astype(np.int64)
        slot = self.starts[tier] + np.minimum(local, self.sizes[tier] - 1)
        return (slot * SCATTER_PRIME) % self.n


def assign_unique_customers(
    counts: np.ndarray, base: CustomerBase, rng: np.random.Generator
) -> list[np.ndarray]:
    """Per intent, `counts[i]` distinct customers drawn by activity, without replacement.

    Draw, drop customers already taken for that intent, keep one of each,
    redraw the shortfall; a few rounds suffice because each intent needs far
    fewer customers than the base holds.
    """
    out: list[np.ndarray] = []
    taken = np.zeros(base.n, dtype=bool)
    owner = np.zeros(base.n, dtype=np.int64)
    for k in counts:
        k = int(k)
        if k > base.n:
            raise ValueError("--customers is too small for unique (customer, intent) pairs.")
        parts: list[np.ndarray] = []
        need = k
        while need > 0:
            d = base.draw(need, rng)
            d = d[~taken[d]]
            pos = np.arange(d.size)
            owner[d] = pos
            d = d[owner[d] == pos]  # one draw per customer (the last), in draw order
            taken[d] = True
            parts.append(d)
            need -= d.size
        got = np.concatenate(parts) if parts else np.empty(0, np.int64)
        taken[got] = False  # reset for the next intent
        out.append(got)
    return out


def customer_id_expr(col: str) -> pl.Expr:
    """`CUST` + 8 digits, null when the customer is unknown (-1)."""
    c = pl.col(col)
    return (
        pl.when(c >= 0)
        .then(pl.lit("CUST") + c.cast(pl.String).str.zfill(8))
        .otherwise(None)
        .alias(col)
    )


def mobile_numbers(key: np.ndarray, salt: int = 1) -> np.ndarray:
    """11-digit mobile numbers (int64) derived from a key (customer or random)."""
    h = mix64(key, salt)
    prefix = MOBILE_PREFIXES[(h % np.uint64(MOBILE_PREFIXES.size)).astype(np.int64)]
    rest = ((h >> np.uint64(16)) % np.uint64(100_000_000)).astype(np.int64)
    return prefix * 100_000_000 + rest


def id_card_numbers(key: np.ndarray, salt: int = 2) -> pl.Series:
    """18-digit resident ID-card numbers with a valid check digit."""
    h = mix64(key, salt)
    region = REGION_CODES[(h % np.uint64(REGION_CODES.size)).astype(np.int64)]
    days = ((h >> np.uint64(8)) % np.uint64(20_000)).astype("timedelta64[D]")
    birth = np.datetime64("1952-01-01") + days
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    seq = ((h >> np.uint64(40)) % np.uint64(1000)).astype(np.int64)
    body = region * 10**11 + (years * 10_000 + months * 100 + mdays) * 1000 + seq
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return pl.Series(body.astype(np.int64)).cast(pl.String) + pl.Series(check)


def emails(key: np.ndarray, salt: int = 3) -> pl.Series:
    """Plausible personal e-mail addresses derived from a key."""
    h = mix64(key, salt)
    sur = pl.Series(SURNAMES).gather((h % np.uint64(len(SURNAMES))).astype(np.int64))
    giv = pl.Series(GIVEN).gather(((h >> np.uint64(8)) % np.uint64(len(GIVEN))).astype(np.int64))
    num = pl.Series(((h >> np.uint64(16)) % np.uint64(10_000)).astype(np.int64)).cast(pl.String)
    dom = pl.Series(DOMAINS).gather(
        ((h >> np.uint64(32)) % np.uint64(len(DOMAINS))).astype(np.int64)
    )
    return sur + giv + num + "@" + dom
