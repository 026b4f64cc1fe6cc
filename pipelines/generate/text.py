"""Free text in Chinese: agent notes, first messages, complaints, survey comments.

Some texts carry personal data the way real ones do (a mobile number or an
ID-card number typed into a note), so ingestion has to find and hash it.
Texts never contain ASCII commas, quotes or line breaks (full-width
punctuation is used), which keeps the CSV files unquoted.
"""

from __future__ import annotations

import numpy as np
import polars as pl

NOTE_OUTCOME = [
    "已当场解决。",
    "需进一步核实，已告知客户等待回复。",
    "已提交后台处理，告知客户处理时限。",
]
MESSAGE_OPENERS = ["您好，我想咨询一下", "你好，请问", "客服你好，关于", "您好！我遇到"]
MESSAGE_CLOSERS = ["的问题。", "这个事情怎么处理？", "麻烦尽快处理。", "的情况，谢谢。"]
VERBATIM_GOOD = [
    "服务很好，问题解决了。",
    "客服很耐心，谢谢。",
    "处理很快，满意。",
    "解释得很清楚。",
]
VERBATIM_BAD = [
    "等了很久才接通。",
    "问题反复联系了几次都没解决。",
    "转了好几次人工。",
    "流程太复杂了。",
]


def pick(options: list[str], idx: np.ndarray) -> pl.Series:
    return pl.Series(options).gather(idx % len(options))


def pii_suffix(
    phone: pl.Series, id_card: pl.Series, kind: np.ndarray, phone_text: str, id_text: str
) -> pl.Series:
    """'' / phone sentence / ID sentence per row; kind 0 none, 1 phone, 2 ID card."""
    df = pl.DataFrame({"phone": phone, "idc": id_card, "kind": kind})
    return df.select(
        pl.when(pl.col("kind") == 1)
        .then(pl.lit(phone_text) + pl.col("phone") + pl.lit("。"))
        .when(pl.col("kind") == 2)
        .then(pl.lit(id_text) + pl.col("idc") + pl.lit("。"))
        .otherwise(pl.lit(""))
    ).to_series()


def pii_kind(n: int, p_phone: float, p_id: float, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(n)
    return np.where(u < p_phone, 1, np.where(u < p_phone + p_id, 2, 0)).astype(np.int8)


def agent_notes(intent_zh: pl.Series, outcome: np.ndarray, suffix: pl.Series) -> pl.Series:
    """'客户来电咨询<intent>，<outcome><pii>'."""
    return "客户来电咨询" + intent_zh + "，" + pick(NOTE_OUTCOME, outcome) + suffix


def first_messages(intent_zh: pl.Series, style: np.ndarray, suffix: pl.Series) -> pl.Series:
    return pick(MESSAGE_OPENERS, style) + intent_zh + pick(MESSAGE_CLOSERS, style // 4) + suffix


def verbatims(good: np.ndarray, style: np.ndarray, suffix: pl.Series) -> pl.Series:
    good_s = pick(VERBATIM_GOOD, style)
    bad_s = pick(VERBATIM_BAD, style)
    df = pl.DataFrame({"g": good, "a": good_s, "b": bad_s})
    base = df.select(pl.when(pl.col("g")).then(pl.col("a")).otherwise(pl.col("b"))).to_series()
    return base + suffix
