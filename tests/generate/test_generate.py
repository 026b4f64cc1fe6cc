"""`serviq generate`: determinism, landing formats, domains, episodes, truth, PII.

One small scenario is generated once per module (a few thousand contacts,
with the surge, the disruption and the intervention moved inside it) and
every test reads it; the determinism test generates it twice more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.generate import GeneratorParams, generate
from pipelines.generate.cli import add_parser
from pipelines.generate.params import load_reference
from pipelines.schema import ENTITIES, Kind
from pipelines.sources.mapping import builtin_mapping, load_mapping

MAPPING = load_mapping(builtin_mapping("serviq_generator"))
START = dt.date(2026, 6, 1)


def small_params(seed: int = 7) -> GeneratorParams:
    return GeneratorParams(
        seed=seed,
        start_date=START,
        days=10,
        contacts_per_day=500,
        backoffice_items_per_day=200,
        branches=300,
        surge_start=dt.date(2026, 6, 3),
        surge_days=2,
        disruption_start=dt.date(2026, 6, 6),
        disruption_end=dt.date(2026, 6, 8),
        intervention_date=dt.date(2026, 6, 7),
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(small_params(), out)
    return out


@pytest.fixture(scope="module")
def truth(landing: Path) -> dict:
    return json.loads((landing / "truth.json").read_text(encoding="utf-8"))


@functools.cache
def read_entity(landing: Path, entity: str) -> pl.DataFrame:
    """All files of an entity as text columns with canonical names (+ `_file`)."""
    em = MAPPING.entities[entity]
    frames = []
    for path in sorted(landing.glob(em.files)):
        if em.format == "jsonl":
            df = pl.read_ndjson(path, infer_schema_length=None)
            df = df.with_columns(pl.all().cast(pl.String))
        else:
            text = path.read_bytes().decode(em.encoding)
            df = pl.read_csv(text.encode("utf-8"), infer_schema=False)
            df = df.rename({em.source_column(f): f for f in ENTITIES[entity].field_names})
            for field, values in em.values.items():
                df = df.with_columns(pl.col(field).replace(values))
        frames.append(df.with_columns(_file=pl.lit(path.name)))
    return pl.concat(frames, how="diagonal_relaxed")


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes_and_another_seed_does_not(
    tmp_path: Path, landing: Path
) -> None:
    again = tmp_path / "again"
    generate(small_params(), again)
    assert digest(again) == digest(landing)
    tiny = {"days": 2, "contacts_per_day": 200, "backoffice_items_per_day": 50}
    generate(GeneratorParams(seed=1, **tiny), tmp_path / "one")  # type: ignore[arg-type]
    generate(GeneratorParams(seed=2, **tiny), tmp_path / "two")  # type: ignore[arg-type]
    one, two = digest(tmp_path / "one"), digest(tmp_path / "two")
    assert one.keys() == two.keys()
    assert one["calls/calls_2026-06-01.csv"] != two["calls/calls_2026-06-01.csv"]


def test_one_file_per_day_for_every_event_entity(landing: Path) -> None:
    days = [(START + dt.timedelta(days=i)).isoformat() for i in range(10)]
    for entity in (
        "calls",
        "tickets",
        "backoffice_items",
        "surveys",
        "offers",
        "complaints",
        "agent_shifts",
    ):
        em = MAPPING.entities[entity]
        names = sorted(p.name for p in landing.glob(em.files))
        expected = sorted(Path(em.files.replace("*", d)).name for d in days)
        if em.format == "jsonl":
            assert set(names) <= set(expected) and len(names) >= 9, entity
        else:
            assert names == expected, entity
    assert (landing / "reference" / "agents.csv").is_file()
    assert not list(landing.rglob(".*.tmp")), "temporary files left behind"


def test_headers_match_schema_and_mapping(landing: Path) -> None:
    for entity, em in MAPPING.entities.items():
        fields = ENTITIES[entity].field_names
        for path in sorted(landing.glob(em.files))[:3]:
            raw = path.read_bytes()
            if em.format == "jsonl":
                first = json.loads(raw.decode("utf-8").splitlines()[0])
                assert list(first) == fields, path.name
            else:
                header = raw.decode(em.encoding).split("\n", 1)[0].split(em.separator)
                assert header == [em.source_column(f) for f in fields], path.name


def test_backoffice_is_gb18030_with_chinese_codes(landing: Path) -> None:
    em = MAPPING.entities["backoffice_items"]
    path = sorted(landing.glob(em.files))[2]
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8", errors="strict")
    text = raw.decode("gb18030")
    assert text.startswith("工单编号,来源联络编号,")
    assert "开户建档" in text and ("通过" in text) and ("夜班" in text or "白班" in text)
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}", text)


def test_timestamps_booleans_and_nulls_are_written_as_the_mapping_says(landing: Path) -> None:
    calls = (sorted(landing.glob("calls/*.csv"))[1]).read_text(encoding="utf-8").splitlines()
    assert re.search(r",2026-06-02 \d{2}:\d{2}:\d{2},", calls[1])
    assert "T" not in calls[1].split(",")[9] and "+08" not in calls[1]
    ticket = json.loads(
        (sorted(landing.glob("tickets/*.jsonl"))[1]).read_text(encoding="utf-8").splitlines()[0]
    )
    assert re.fullmatch(r"2026-06-02T\d{2}:\d{2}:\d{2}\+08:00", ticket["created_at"])
    assert isinstance(ticket["escalated_to_backoffice"], bool)
    df = read_entity(landing, "calls")
    assert set(df["resolved_flag"].drop_nulls().unique()) <= {"0", "1"}
    assert df.filter(pl.col("outcome") == "abandoned")["agent_id"].null_count() > 0


def test_schema_domains_required_fields_and_ranges(landing: Path) -> None:
    for entity in MAPPING.entities:
        df = read_entity(landing, entity)
        assert df.height > 0, entity
        for f in ENTITIES[entity].fields:
            col = df[f.name]
            if f.required:
                assert col.null_count() == 0, f"{entity}.{f.name} has nulls"
            if f.domain:
                assert set(col.drop_nulls().unique()) <= set(f.domain), f"{entity}.{f.name}"
            if f.kind in (Kind.INTEGER, Kind.DOUBLE) and (
                f.minimum is not None or f.maximum is not None
            ):
                num = col.drop_nulls().cast(pl.Float64)
                if f.minimum is not None:
                    assert num.min() >= f.minimum, f"{entity}.{f.name}"  # type: ignore[operator]
                if f.maximum is not None:
                    assert num.max() <= f.maximum, f"{entity}.{f.name}"  # type: ignore[operator]


def test_timestamps_are_ordered_and_rows_sit_in_their_days_file(landing: Path) -> None:
    for entity in ("calls", "tickets", "backoffice_items", "surveys", "offers", "complaints"):
        em = MAPPING.entities[entity]
        ent = ENTITIES[entity]
        df = read_entity(landing, entity)
        fmt = em.timestamp_format.replace("%:z", "%z")
        ts = {
            f.name: pl.col(f.name).str.strptime(pl.Datetime, fmt, strict=True)
            for f in ent.fields
            if f.kind is Kind.TIMESTAMP
        }
        parsed = df.with_columns(**ts)
        if em.format == "jsonl":
            parsed = parsed.with_columns(
                [
                    pl.col(c).dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
                    for c in ts
                ]
            )
        for f in ent.fields:
            if f.not_before:
                bad = parsed.filter(pl.col(f.name) < pl.col(f.not_before))
                assert bad.height == 0, f"{entity}.{f.name} before {f.not_before}"
        day = parsed[ent.event_time].dt.date().cast(pl.String)
        file_day = parsed["_file"].str.extract(r"(\d{4}-\d{2}-\d{2})")
        assert (day == file_day).all(), entity


def test_contact_ids_unique_across_channels_and_references_resolve(landing: Path) -> None:
    calls = read_entity(landing, "calls")
    tickets = read_entity(landing, "tickets")
    ids = pl.concat([calls["call_id"], tickets["ticket_id"]])
    assert ids.n_unique() == ids.len()
    assert calls["call_id"].str.contains(r"^C\d{9}$").all()
    assert tickets["ticket_id"].str.contains(r"^T\d{9}$").all()
    known = set(ids.to_list())
    for entity, col in (
        ("surveys", "contact_id"),
        ("offers", "contact_id"),
        ("complaints", "contact_id"),
        ("backoffice_items", "source_contact_id"),
    ):
        refs = set(read_entity(landing, entity)[col].drop_nulls().to_list())
        assert refs and refs <= known, entity


def test_repeat_contacts_exist_across_channels(landing: Path) -> None:
    calls = read_entity(landing, "calls").filter(
        pl.col("outcome").is_in(["answered", "bot_contained"])
    )
    tickets = read_entity(landing, "tickets").filter(pl.col("first_response_at").is_not_null())
    handled = pl.concat(
        [
            calls.select("customer_id", "intent", "initiated_by", channel=pl.lit("phone")),
            tickets.select("customer_id", "intent", "initiated_by", "channel"),
        ]
    ).filter((pl.col("initiated_by") == "customer") & pl.col("customer_id").is_not_null())
    per = handled.group_by("customer_id", "intent").agg(
        pl.len().alias("n"), pl.col("channel").n_unique().alias("channels")
    )
    assert per.filter(pl.col("n") > 1).height > 50
    assert per.filter(pl.col("channels") > 1).height > 10


def test_company_initiated_contacts_and_bot_handling_exist(landing: Path) -> None:
    calls = read_entity(landing, "calls")
    tickets = read_entity(landing, "tickets")
    out = calls.filter(pl.col("initiated_by") == "company")
    assert out.height > 0 and set(out["direction"].unique()) == {"outbound"}
    assert (
        tickets.filter((pl.col("initiated_by") == "company") & (pl.col("channel") == "app")).height
        > 0
    )
    assert calls.filter(pl.col("outcome") == "bot_contained").height > 0
    assert tickets.filter(pl.col("handled_by") == "bot").height > 0
    share = calls.height / (calls.height + tickets.height)
    assert 0.40 < share < 0.55
    unknown = (calls["customer_id"].null_count() + tickets["customer_id"].null_count()) / (
        calls.height + tickets.height
    )
    assert 0.01 < unknown < 0.06


def test_planted_pii_is_present(landing: Path) -> None:
    calls = read_entity(landing, "calls")
    tickets = read_entity(landing, "tickets")
    bo = read_entity(landing, "backoffice_items")
    assert calls["caller_number"].str.contains(r"^1[3-9]\d{9}$").all()
    assert calls["customer_id"].drop_nulls().str.contains(r"^CUST\d{8}$").all()
    assert tickets["customer_email"].drop_nulls().str.contains(r"^[a-z]+\d+@[a-z0-9.]+$").all()
    ids = bo["applicant_id_number"]
    assert ids.str.contains(r"^\d{17}[\dX]$").all()
    assert ids.str.ends_with("X").any()
    assert all(valid_id_card(v) for v in ids.head(200).to_list())
    mobile, idcard = r"1[3-9]\d{9}", r"\d{17}[\dX]"
    for entity, col in (
        ("calls", "agent_note"),
        ("tickets", "first_message"),
        ("complaints", "description"),
        ("surveys", "verbatim"),
    ):
        text = read_entity(landing, entity)[col].drop_nulls()
        assert text.str.contains(mobile).any(), f"{entity}.{col} has no mobile number"
        assert text.str.contains("[\u4e00-\u9fff]").all()
    notes = pl.concat([calls["agent_note"], tickets["first_message"]]).drop_nulls()
    assert notes.str.contains(idcard).any()


def valid_id_card(number: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def test_queue_outcomes_emerge_with_plausible_rates(truth: dict) -> None:
    q = truth["realised"]["queues"]["all"]
    assert q["offered"] > 1000
    assert 0.85 < q["answer_rate"] < 1.0
    assert 0.6 < q["service_level"] <= 1.0
    assert truth["realised"]["calls_short_abandon"] > 0


def test_truth_has_documented_keys_and_its_own_simulation_agrees(truth: dict) -> None:
    for key in ("seed", "params", "planted", "expected", "tolerance", "realised", "doc"):
        assert key in truth
    for key in (
        "fcr",
        "prediction_accuracy",
        "bot_containment",
        "proactive_share",
        "escalation_rate",
        "offer_acceptance_rate",
        "backoffice_rejection_rate",
        "intervention_effect_seconds",
    ):
        assert key in truth["expected"], key
        assert any(doc.startswith(f"expected.{key}") for doc in truth["doc"]), key
    # 10 days: no contact is 30 days before the end, so only the censored variant exists
    assert truth["expected"]["offer_acceptance_rate"] is None
    assert truth["expected"]["offer_acceptance_rate_all_contacts"] > 0
    intents = truth["planted"]["intents"]
    assert len(intents) >= 15 and all(
        0 < v["p_first_contact_resolution"] < 1 for v in intents.values()
    )
    assert {o["kind"] for o in truth["planted"]["outlier_reviewers"]} == {
        "slow",
        "harsh",
        "slow_and_harsh",
    }
    assert truth["planted"]["intervention"]["effect_seconds"] < 0
    assert truth["params"]["seed"] == truth["seed"] == 7
    ep = truth["realised"]["episodes"]
    assert abs(ep["fcr"] - truth["expected"]["fcr"]) <= truth["tolerance"]["fcr"]
    r = truth["realised"]
    for key in ("prediction_accuracy", "bot_containment", "escalation_rate"):
        assert abs(r[key] - truth["expected"][key]) <= truth["tolerance"][key], key


def test_workforce_files(landing: Path, truth: dict) -> None:
    agents = read_entity(landing, "agents")
    shifts = read_entity(landing, "agent_shifts")
    roles = agents.filter(pl.col("role") == "agent")
    hq = roles.filter(pl.col("valid_to").is_null())["site"].value_counts(normalize=True)
    assert hq.filter(pl.col("site") == "SHA")["proportion"][0] == pytest.approx(0.25, abs=0.05)
    assert agents.filter(pl.col("role") == "reviewer").height >= 20
    assert agents["site"].n_unique() == 9
    attend = shifts.filter(pl.col("scheduled") == "1")
    present = attend.filter(pl.col("logged_in_seconds").cast(pl.Int64) > 0).height / attend.height
    assert 0.93 < present <= 1.0
    assert set(shifts["work_mode"].drop_nulls().unique()) == {"home", "office"}
    assert (
        truth["realised"]["workforce"]["home_share_of_shifts_during_disruption"]
        > truth["realised"]["workforce"]["home_share_of_shifts"]
    )


def test_seeds_agree_with_mapping_and_default_scenario() -> None:
    ref = load_reference()
    assert len(ref.intent_codes) >= 15 and ref.is_sales.sum() >= 2
    assert len(ref.sites) == 9 and ref.headquarters == "SHA"
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    defaults = GeneratorParams()
    interventions = pl.read_csv(seeds / "interventions.csv")
    assert interventions["effective_date"][0] == defaults.intervention_date.isoformat()
    assert interventions["business_type"][0] == defaults.intervention_business_type
    disruptions = pl.read_csv(seeds / "disruptions.csv")
    assert disruptions["site_code"][0] == defaults.disruption_site
    assert disruptions["starts_on"][0] == defaults.disruption_start.isoformat()
    assert disruptions["ends_on"][0] == defaults.disruption_end.isoformat()
    end = defaults.start_date + dt.timedelta(days=defaults.days - 1)
    assert defaults.start_date <= defaults.intervention_date <= end
    assert defaults.start_date <= defaults.disruption_start <= defaults.disruption_end <= end


def test_ingestion_accepts_every_generated_row(landing: Path) -> None:
    from pipelines.ingest.read import read_file
    from pipelines.ingest.validate import to_canonical_text, validate

    for entity, em in MAPPING.entities.items():
        for path in sorted(landing.glob(em.files))[:4]:
            result = read_file(path, em)
            assert not result.rejects, (path.name, result.rejects[:3])
            text, _unknown = to_canonical_text(result.frame, result.columns, ENTITIES[entity], em)
            checked = validate(text, ENTITIES[entity], em, MAPPING.timezone_for(entity))
            assert checked.bad.height == 0, (path.name, checked.bad.head(3).to_dicts())


def test_cli_registers_generate_with_its_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="serviq")
    add_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["generate", "--help"])
    help_text = capsys.readouterr().out
    for flag in (
        "--out",
        "--seed",
        "--days",
        "--contacts-per-day",
        "--start-date",
        "--fcr-mean",
        "--prediction-accuracy",
        "--proactive-share",
        "--bot-containment",
        "--offer-acceptance",
    ):
        assert flag in help_text, flag
    args = parser.parse_args(
        [
            "generate",
            "--out",
            str(tmp_path / "x"),
            "--days",
            "2",
            "--contacts-per-day",
            "300",
            "--quiet",
        ]
    )
    assert args.func(args) == 0
    assert (tmp_path / "x" / "truth.json").is_file()
    bad = parser.parse_args(["generate", "--out", str(tmp_path / "y"), "--days", "0", "--quiet"])
    assert bad.func(bad) == 2


def test_a_failed_run_leaves_the_landing_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "landing"
    tiny = GeneratorParams(days=2, contacts_per_day=200, backoffice_items_per_day=50)
    generate(tiny, out)
    before = digest(out)

    def boom(*_args: object, **_kwargs: object) -> dict:
        raise RuntimeError("simulated crash")

    monkeypatch.setattr("pipelines.generate.core.build_truth", boom)
    with pytest.raises(RuntimeError):
        generate(GeneratorParams(days=3, contacts_per_day=200, seed=99), out)
    assert digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["landing"]
