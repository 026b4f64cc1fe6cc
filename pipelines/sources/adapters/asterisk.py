"""Asterisk `queue_log`: queue events folded into one call each.

Asterisk's app_queue writes one line per event (doc/queuelog.txt in the
Asterisk sources, "Queue Logs" on the Asterisk wiki):

    epoch|callid|queuename|agent|event|data1|data2|data3|data4|data5

The call events and their data fields:

    ENTERQUEUE        url | callerid
    CONNECT           holdtime | bridgedchanneluniqueid | ringtime
    COMPLETEAGENT     holdtime | calltime | origposition
    COMPLETECALLER    holdtime | calltime | origposition
    TRANSFER          extension | context | holdtime | calltime | origposition
    BLINDTRANSFER     extension | context | holdtime | calltime | origposition
    ATTENDEDTRANSFER  method | data | holdtime | calltime | origposition
    ABANDON           position | origposition | waittime
    EXITWITHTIMEOUT   position | origposition | waittime
    EXITEMPTY         position | origposition | waittime
    EXITWITHKEY       key | position | origposition | waittime
    RINGNOANSWER      ringtime
    DID               did

Lines whose callid is NONE (QUEUESTART, ADDMEMBER, PAUSE, AGENTLOGIN, ...)
describe agents and queues, not calls, and are skipped.

The fold (vectorised, one Polars group-by) yields one row per callid with
these text columns, which a mapping then maps like any export's columns
(builtin/asterisk_queue_log.yml):

    callid, queue, caller_id, did, entered_epoch, connected_epoch,
    ended_epoch, agent, end_event, wait_seconds, talk_seconds, transfers,
    ring_no_answer_count, outcome

outcome: `answered` when a CONNECT was logged; `callback` when the caller
left with a key (EXITWITHKEY: the queue's exit option, in practice a
voicemail or call-back menu); `abandoned` when the caller hung up (ABANDON)
or the queue gave up on the call (EXITWITHTIMEOUT, EXITEMPTY); null when
the call has no ending event in this file (it is then quarantined with a
reason). Short abandons are not decided here: the warehouse classifies an
abandon as short from its wait and `short_abandon_seconds`.
"""

from __future__ import annotations

import polars as pl

LINE = "_line"
FIELDS = ("epoch", "callid", "queue", "agent", "event", "d1", "d2", "d3", "d4", "d5")

ANSWER_EVENTS = ("CONNECT",)
TRANSFER_EVENTS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
COMPLETE_EVENTS = ("COMPLETEAGENT", "COMPLETECALLER", *TRANSFER_EVENTS)
GIVE_UP_EVENTS = ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY")
CALLBACK_EVENTS = ("EXITWITHKEY",)
END_EVENTS = (*COMPLETE_EVENTS, *GIVE_UP_EVENTS, *CALLBACK_EVENTS)
CALL_EVENTS = ("ENTERQUEUE", "DID", "RINGNOANSWER", *ANSWER_EVENTS, *END_EVENTS)

OUTPUT_COLUMNS = (
    "callid",
    "queue",
    "caller_id",
    "did",
    "entered_epoch",
    "connected_epoch",
    "ended_epoch",
    "agent",
    "end_event",
    "wait_seconds",
    "talk_seconds",
    "transfers",
    "ring_no_answer_count",
    "outcome",
)


def fold_queue_log(text: str) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """One row per call from the queue_log events of one file."""
    events, rejects = _split(text)
    calls = events.filter((pl.col("callid") != "NONE") & pl.col("event").is_in(list(CALL_EVENTS)))
    return _fold(calls), rejects


def _split(text: str) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """Event lines into fields; a line without a numeric epoch and an event is rejected."""
    lines = text.split("\n")
    numbered = [(i + 1, line.rstrip("\r")) for i, line in enumerate(lines) if line.strip()]
    raw = pl.DataFrame(
        {
            LINE: pl.Series(LINE, [n for n, _ in numbered], dtype=pl.Int64),
            "raw": pl.Series("raw", [s for _, s in numbered], dtype=pl.String),
        }
    )
    parts = pl.col("raw").str.split_exact("|", len(FIELDS) - 1)
    split = raw.select(
        pl.col(LINE),
        *[
            parts.struct.field(f"field_{i}").str.strip_chars().alias(name)
            for i, name in enumerate(FIELDS)
        ],
    ).with_columns(pl.col("epoch").str.split(".").list.first())
    is_valid = pl.col("epoch").str.contains(r"^\d+$") & pl.col("event").is_not_null()
    bad = split.filter(~is_valid.fill_null(False))
    rejects = [
        (int(n), "not a queue_log line (epoch|callid|queue|agent|event|data...)")
        for n in bad[LINE].to_list()
    ]
    return split.filter(is_valid.fill_null(False)), rejects


def _first(value: str, events: tuple[str, ...]) -> pl.Expr:
    """The value of the first (in time) of these events of the call."""
    return pl.col(value).filter(pl.col("event").is_in(list(events))).first()


def _last(value: str, events: tuple[str, ...]) -> pl.Expr:
    return pl.col(value).filter(pl.col("event").is_in(list(events))).last()


def _fold(events: pl.DataFrame) -> pl.DataFrame:
    ordered = events.with_columns(pl.col("epoch").cast(pl.Int64)).sort(["epoch", LINE])
    is_complete = pl.col("event").is_in(list(COMPLETE_EVENTS))
    # the wait: CONNECT's holdtime, or the waittime of the event that ended an unanswered call
    give_up_wait = (
        pl.when(pl.col("event") == "EXITWITHKEY").then(pl.col("d4")).otherwise(pl.col("d3"))
    )
    # talk: calltime is data2 of COMPLETE* and data4 of the transfer events
    is_transfer = pl.col("event").is_in(list(TRANSFER_EVENTS))
    call_time = pl.when(is_transfer).then(pl.col("d4")).otherwise(pl.col("d2"))
    folded = (
        ordered.with_columns(
            _give_up_wait=give_up_wait,
            _call_time=pl.when(is_complete).then(call_time),
        )
        .group_by("callid", maintain_order=True)
        .agg(
            pl.col(LINE).min(),
            _first("queue", ("ENTERQUEUE",)).alias("queue"),
            pl.col("queue").first().alias("_any_queue"),
            _first("d2", ("ENTERQUEUE",)).alias("caller_id"),
            _first("d1", ("DID",)).alias("did"),
            _first("epoch", ("ENTERQUEUE",)).alias("entered_epoch"),
            _first("epoch", ANSWER_EVENTS).alias("connected_epoch"),
            _last("epoch", END_EVENTS).alias("ended_epoch"),
            _first("agent", ANSWER_EVENTS).alias("agent"),
            _last("event", END_EVENTS).alias("end_event"),
            _first("d1", ANSWER_EVENTS).alias("_connect_wait"),
            _last("_give_up_wait", END_EVENTS).alias("_give_up_wait"),
            pl.col("_call_time").drop_nulls().last().alias("talk_seconds"),
            pl.col("event").is_in(list(TRANSFER_EVENTS)).sum().alias("transfers"),
            (pl.col("event") == "RINGNOANSWER").sum().alias("ring_no_answer_count"),
        )
    )
    outcome = (
        pl.when(pl.col("connected_epoch").is_not_null())
        .then(pl.lit("answered"))
        .when(pl.col("end_event").is_in(list(CALLBACK_EVENTS)))
        .then(pl.lit("callback"))
        .when(pl.col("end_event").is_in(list(GIVE_UP_EVENTS)))
        .then(pl.lit("abandoned"))
    )
    return folded.select(
        pl.col(LINE),
        pl.col("callid"),
        pl.coalesce("queue", "_any_queue").alias("queue"),
        pl.col("caller_id"),
        pl.col("did"),
        pl.col("entered_epoch").cast(pl.String),
        pl.col("connected_epoch").cast(pl.String),
        pl.col("ended_epoch").cast(pl.String),
        pl.col("agent"),
        pl.col("end_event"),
        pl.coalesce("_connect_wait", "_give_up_wait").alias("wait_seconds"),
        pl.col("talk_seconds"),
        pl.col("transfers").cast(pl.String),
        pl.col("ring_no_answer_count").cast(pl.String),
        outcome.alias("outcome"),
    )
