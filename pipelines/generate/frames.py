"""Internal simulation columns -> canonical rows (ids, codes, PII, free text).

Contact ids are unique across channels: calls `C` + 9 digits, tickets `T` +
9 digits, numbered in start order. Personal data is raw here on purpose:
ingestion must hash it (PRODUCT.md section 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generate import calendar as cal
from pipelines.generate import text
from pipelines.generate.contacts import ANSWERED
from pipelines.generate.customers import customer_id_expr, emails, id_card_numbers, mobile_numbers
from pipelines.generate.followups import COMPLAINT_CATEGORIES, COMPLAINT_DETAILS, Handled
from pipelines.generate.params import CHANNELS
from pipelines.generate.writers import ts
from pipelines.schema import CALL_OUTCOMES, TICKET_STATUSES


@dataclass(frozen=True)
class Names:
    """Code lists that turn internal integers into canonical strings."""

    intent_codes: list[str]
    intent_zh: list[str]
    queue_names: list[str]
    site_codes: list[str]
    agent_ids: list[str]
    base_epoch: int  # epoch seconds of the first local midnight, as if UTC

    def code(self, col: str, codes: list[str]) -> pl.Expr:
        """Index column (-1 = null) -> code string."""
        c = pl.col(col)
        return pl.lit(pl.Series(codes, dtype=pl.String)).gather(pl.when(c >= 0).then(c))


def _sorted(rec: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    order = np.argsort(rec["t"], kind="stable")
    return {k: v[order] for k, v in rec.items()}


def _pii_suffix(keys: np.ndarray, kind: np.ndarray, phone_text: str, id_text: str) -> pl.Series:
    """'' or a sentence with the key's mobile or ID-card number, per row."""
    n = keys.size
    out = pl.Series([""] * n, dtype=pl.String) if n else pl.Series([], dtype=pl.String)
    idx = np.flatnonzero(kind > 0)
    if idx.size:
        sub = text.pii_suffix(
            pl.Series(mobile_numbers(keys[idx])).cast(pl.String),
            id_card_numbers(keys[idx]),
            kind[idx],
            phone_text,
            id_text,
        )
        out = out.scatter(idx, sub)
    return out


def calls_frame(
    rec: dict[str, np.ndarray], seq0: int, names: Names, rng: np.random.Generator
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """Canonical calls (plus `day`) and the sorted internal columns."""
    r = _sorted(rec)
    n = r["t"].size
    answered = r["outcome"] == ANSWERED
    resolved = np.maximum(r["resolved"], 0)
    senti = np.tanh(
        0.2
        + 0.5 * resolved
        - r["wait"] / 300.0
        - 0.25 * r["transfers"]
        - 0.4 * r["escalated"]
        + rng.normal(0, 0.35, n)
    )
    senti_ok = answered & (rng.random(n) < 0.92)
    note_ok = answered & (rng.random(n) < 0.75)
    kind = np.where(note_ok, text.pii_kind(n, 0.06, 0.03, rng), 0)
    outcome_kind = np.where(r["escalated"] == 1, 2, np.where(resolved == 1, 0, 1))
    intent_zh = pl.Series(names.intent_zh).gather(np.maximum(r["intent"], 0))
    notes = text.agent_notes(
        intent_zh,
        outcome_kind,
        _pii_suffix(r["number_key"], kind, "客户留的联系电话是", "已核实客户身份证号"),
    )
    df = pl.DataFrame(
        {
            "seq": seq0 + np.arange(n),
            "customer_id": r["customer"],
            "caller_number": mobile_numbers(r["number_key"]),
            "direction": r["direction"],
            "initiated": r["initiated"],
            "site": r["site"],
            "queue": r["queue"],
            "agent": r["agent"],
            "mode": r["mode"].astype(np.int64),
            "t": r["t"],
            "queued": r["queued"],
            "answered": r["answered"],
            "ended": r["ended"],
            "hold": r["hold"],
            "wrap": r["wrap"],
            "transfers": r["transfers"],
            "outcome": r["outcome"],
            "pred": r["pred"],
            "conf": r["conf"],
            "intent": r["intent"],
            "resolved": r["resolved"],
            "escalated": r["escalated"],
            "sentiment": np.where(senti_ok, np.round(senti, 3), np.nan),
            "note": notes,
            "note_ok": note_ok,
        }
    )
    b = names.base_epoch
    out = df.select(
        call_id=pl.lit("C") + pl.col("seq").cast(pl.String).str.zfill(9),
        customer_id=customer_id_expr("customer_id"),
        caller_number=pl.col("caller_number").cast(pl.String),
        direction=pl.when(pl.col("direction") == 1)
        .then(pl.lit("outbound"))
        .otherwise(pl.lit("inbound")),
        initiated_by=pl.when(pl.col("initiated") == 1)
        .then(pl.lit("company"))
        .otherwise(pl.lit("customer")),
        site=names.code("site", names.site_codes),
        queue=names.code("queue", names.queue_names),
        agent_id=names.code("agent", names.agent_ids),
        work_mode=pl.col("mode").replace_strict(
            {0: "office", 1: "home"}, default=None, return_dtype=pl.String
        ),
        ivr_started_at=ts("t", b),
        queued_at=ts("queued", b),
        answered_at=ts("answered", b),
        ended_at=ts("ended", b),
        hold_seconds=pl.when(pl.col("outcome") == ANSWERED).then(pl.col("hold")),
        wrap_seconds=pl.when(pl.col("outcome") == ANSWERED).then(pl.col("wrap")),
        transfers=pl.when(pl.col("outcome") == ANSWERED).then(pl.col("transfers")),
        outcome=names.code("outcome", list(CALL_OUTCOMES)),
        predicted_intent=names.code("pred", names.intent_codes),
        prediction_confidence=pl.col("conf").fill_nan(None),
        intent=names.code("intent", names.intent_codes),
        resolved_flag=pl.when(pl.col("resolved") >= 0).then(pl.col("resolved") == 1),
        escalated_to_backoffice=pl.col("escalated") == 1,
        sentiment=pl.col("sentiment").fill_nan(None),
        agent_note=pl.when(pl.col("note_ok")).then(pl.col("note")),
        day=pl.col("t") // cal.DAY,
    )
    return out, r


def tickets_frame(
    rec: dict[str, np.ndarray], seq0: int, names: Names, rng: np.random.Generator
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    r = _sorted(rec)
    n = r["t"].size
    key = np.where(r["customer"] >= 0, r["customer"], 10**12 + seq0 + np.arange(n))
    customer_msg = r["initiated"] == 0
    kind = np.where(customer_msg, text.pii_kind(n, 0.05, 0.02, rng), 0)
    intent_zh = pl.Series(names.intent_zh).gather(np.maximum(r["intent"], 0))
    pred_zh = pl.Series(names.intent_zh).gather(np.maximum(r["pred"], 0))
    topic = (
        pl.DataFrame({"i": intent_zh, "p": pred_zh, "k": r["intent"] >= 0})
        .select(pl.when(pl.col("k")).then(pl.col("i")).otherwise(pl.col("p")))
        .to_series()
    )
    message = text.first_messages(
        topic, rng.integers(0, 16, n), _pii_suffix(key, kind, "我的手机号是", "我的身份证号是")
    )
    has_email = r["email"].astype(bool)
    mail = emails(key)
    df = pl.DataFrame(
        {
            "seq": seq0 + np.arange(n),
            "customer_id": r["customer"],
            "email": mail,
            "has_email": has_email,
            "channel": r["channel"],
            "initiated": r["initiated"],
            "t": r["t"],
            "first": r["first"],
            "solved": r["solved"],
            "reopened": r["reopened"],
            "by": r["by"],
            "agent": r["agent"],
            "intent": r["intent"],
            "pred": r["pred"],
            "conf": r["conf"],
            "status": r["status"],
            "escalated": r["escalated"],
            "message": message,
            "customer_msg": customer_msg,
        }
    )
    b = names.base_epoch
    out = df.select(
        ticket_id=pl.lit("T") + pl.col("seq").cast(pl.String).str.zfill(9),
        customer_id=customer_id_expr("customer_id"),
        customer_email=pl.when(pl.col("has_email")).then(pl.col("email")),
        channel=names.code("channel", list(CHANNELS)),
        initiated_by=pl.when(pl.col("initiated") == 1)
        .then(pl.lit("company"))
        .otherwise(pl.lit("customer")),
        created_at=ts("t", b),
        first_response_at=ts("first", b),
        solved_at=ts("solved", b),
        reopened_count=pl.col("reopened"),
        handled_by=pl.col("by").replace_strict(
            {0: "agent", 1: "bot"}, default=None, return_dtype=pl.String
        ),
        agent_id=names.code("agent", names.agent_ids),
        intent=names.code("intent", names.intent_codes),
        predicted_intent=names.code("pred", names.intent_codes),
        prediction_confidence=pl.col("conf").fill_nan(None),
        status=names.code("status", list(TICKET_STATUSES)),
        escalated_to_backoffice=pl.col("escalated") == 1,
        first_message=pl.when(pl.col("customer_msg")).then(pl.col("message")),
        day=pl.col("t") // cal.DAY,
    )
    return out, r


def handled_contacts(
    ids: pl.Series,
    r: dict[str, np.ndarray],
    end_col: str,
    issue_channel: np.ndarray,
    slot_h: np.ndarray,
    slot_issue: np.ndarray,
) -> Handled:
    """Handled contacts with the effort features follow-ups need."""
    m = np.flatnonzero(r["handled"].astype(bool))
    slot = r["slot"][m]
    has_slot = slot >= 0
    safe = np.maximum(slot, 0)
    end = r[end_col][m]
    end = np.where(end >= 0, end, r["t"][m])
    first_ch = np.where(has_slot, issue_channel[slot_issue[safe]], r["channel"][m])
    return Handled(
        contact_id=ids.gather(m),
        customer=r["customer"][m],
        intent=r["intent"][m],
        t=r["t"][m],
        end=end,
        bot=r["bot"][m].astype(bool),
        channel=r["channel"][m],
        company=r["initiated"][m] == 1,
        resolved=np.maximum(r["resolved"][m], 0),
        escalated=r["escalated"][m],
        h=np.where(has_slot, slot_h[safe], 0).astype(np.int64),
        attempt=np.where(has_slot, r["attempt"][m], 0),
        switch=(r["channel"][m] != first_ch).astype(np.int64),
        transfers=r["transfers"][m],
        wait=r["wait"][m],
        hold=r["hold"][m],
    )


def surveys_frame(s: pl.DataFrame, seq0: int, names: Names) -> pl.DataFrame:
    n = s.height
    kind = s["pii"].to_numpy()
    suffix = _pii_suffix(s["customer"].to_numpy(), kind, "有问题请打我电话", "我的身份证号是")
    verb = text.verbatims(s["good"].to_numpy(), s["style"].to_numpy(), suffix)
    b = names.base_epoch
    return s.with_columns(seq=pl.Series(seq0 + np.arange(n)), verb=verb).select(
        survey_id=pl.lit("S") + pl.col("seq").cast(pl.String).str.zfill(9),
        contact_id=pl.col("contact_id"),
        answered_at=ts("answered", b),
        nps=pl.when(~pl.col("nps_null")).then(pl.col("nps")),
        csat=pl.when(~pl.col("csat_null")).then(pl.col("csat")),
        ces=pl.when(~pl.col("ces_null")).then(pl.col("ces")),
        verbatim=pl.when(pl.col("has_verbatim")).then(pl.col("verb")),
        day=pl.col("answered") // cal.DAY,
    )


def offers_frame(o: pl.DataFrame, names: Names) -> pl.DataFrame:
    b = names.base_epoch
    return o.with_columns(seq=pl.int_range(pl.len())).select(
        offer_id=pl.lit("O") + pl.col("seq").cast(pl.String).str.zfill(9),
        contact_id=pl.col("contact_id"),
        customer_id=customer_id_expr("customer"),
        product=pl.col("product"),
        recommended_at=ts("recommended", b),
        accepted_at=ts("accepted", b),
        value_amount=pl.col("value"),
        day=pl.col("recommended") // cal.DAY,
    )


def complaints_frame(
    c: pl.DataFrame, end: int, names: Names, rng: np.random.Generator
) -> pl.DataFrame:
    n = c.height
    closed = c["received"].to_numpy() + np.round(rng.lognormal(np.log(3 * cal.DAY), 0.8, n)).astype(
        np.int64
    )
    kind = text.pii_kind(n, 0.3, 0.05, rng)
    suffix = _pii_suffix(c["customer"].to_numpy(), kind, "联系电话", "身份证号")
    cat_zh = c["category"].replace_strict(COMPLAINT_CATEGORIES, return_dtype=pl.String)
    detail_map = {f"{k}|{i}": v for k, vs in COMPLAINT_DETAILS.items() for i, v in enumerate(vs)}
    which = pl.Series(rng.integers(0, 2, n)).cast(pl.String)
    detail = (c["category"] + "|" + which).replace_strict(detail_map, return_dtype=pl.String)
    desc = "客户投诉" + cat_zh + "：" + detail + suffix
    b = names.base_epoch
    return c.with_columns(
        seq=pl.int_range(pl.len()),
        closed=pl.Series(np.where(closed < end, closed, -1)),
        desc=desc,
    ).select(
        complaint_id=pl.lit("CP") + pl.col("seq").cast(pl.String).str.zfill(8),
        customer_id=customer_id_expr("customer"),
        contact_id=pl.col("contact_id"),
        received_at=ts("received", b),
        category=pl.col("category"),
        severity=pl.col("severity"),
        closed_at=ts("closed", b),
        description=pl.col("desc"),
        day=pl.col("received") // cal.DAY,
    )
