"""What an export shows: the scorecard and one block per metric family.

Everything is read once, through one short-lived read-only connection to
the serving file, into plain objects (`ExportData`); the workbook, the PDF
and the flat files are rendered from those objects after the connection is
closed.

Metric codes, names, units, directions, families and the mart each figure
comes from are the dashboard's metric catalogue (`dashboard.metrics_catalog`);
targets and amber bands come from the published `seeds.scorecard_targets`.
A metric whose mart is not published (yet) is carried with
`available = False` and shown as "no data for this source".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl

from dashboard.metrics_catalog import METRICS, Metric, absent_sources, needs, traffic_light
from pipelines.db import read_only
from pipelines.export import queries
from pipelines.export.periods import Period, previous_period, trend_window

Status = Literal["green", "amber", "red", "grey"]

# The executive scorecard: the new evaluation metrics, then the classic ones.
SCORECARD_CODES: tuple[str, ...] = (
    "fcr",
    "ces_mean",
    "effort_index",
    "prediction_accuracy",
    "proactive_share",
    "offer_acceptance_share",
    "answer_rate",
    "service_level",
    "abandonment_rate",
    "aht_seconds",
    "nps",
    "csat",
    "escalation_rate",
)
FAMILIES: tuple[str, ...] = ("evaluation", "classic", "backoffice", "workforce")


class NoDataError(RuntimeError):
    """The period holds no data for the chosen sites; the message is one sentence."""


@dataclass(frozen=True)
class Target:
    value: float
    amber_band: float
    direction: str


@dataclass
class Figure:
    """One metric over the period, its previous period and its target."""

    metric: Metric
    available: bool
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    previous: float | None = None
    target: Target | None = None
    site_filter_applied: bool = True
    censored: int = 0  # episodes too recent to judge, when the value is not final
    absent: tuple[str, ...] = ()  # sources the metric needs that hold no rows (issue 8)

    @property
    def is_censored(self) -> bool:
        """No value because every episode of the period is still censored."""
        return self.available and self.value is None and self.censored > 0

    @property
    def code(self) -> str:
        return self.metric.code

    @property
    def change(self) -> float | None:
        """Value minus previous value, in the metric's own unit (rates: points)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def status(self) -> Status:
        return status_of(self.value, self.target, self.metric.direction)

    @property
    def status_key(self) -> str:
        """The label key of the status cell: the colour, or 'not final' when censored."""
        return "censored_status" if self.is_censored else self.status


@dataclass
class FamilyBlock:
    """A metric family: its figures, a daily series (trend window) and a per-site table."""

    family: str
    figures: list[Figure]
    daily: pl.DataFrame = field(default_factory=pl.DataFrame)
    by_site: pl.DataFrame = field(default_factory=pl.DataFrame)
    missing_sources: list[str] = field(default_factory=list)
    site_filter_ignored: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return any(figure.available for figure in self.figures)


@dataclass
class ExportData:
    period: Period
    previous: Period
    window: Period
    sites: tuple[str, ...]
    contact_count: int
    scorecard: list[Figure]
    families: dict[str, FamilyBlock]
    volume: pl.DataFrame
    site_names: dict[str, dict[str, str]]
    published_at: dt.datetime | None
    read_seconds: float = 0.0
    absent_sources: tuple[str, ...] = ()  # sources with no rows in the build (issue 8)


# --------------------------------------------------------------------------
# status
# --------------------------------------------------------------------------
def status_of(value: float | None, target: Target | None, direction: str) -> Status:
    """The dashboard's traffic light (`metrics_catalog.traffic_light`), grey without one.

    green: target met; amber: missed by at most the amber band; red: worse;
    grey: no value or no target. The seed's direction wins over the catalogue's.
    """
    if value is None or target is None:
        return "grey"
    light = traffic_light(value, target.value, target.direction or direction, target.amber_band)
    return light if light in ("green", "amber", "red") else "grey"  # type: ignore[return-value]


def parse_targets(seed: pl.DataFrame) -> dict[str, Target]:
    """metric_code -> Target from the published seed (tolerant of column names)."""
    if seed.is_empty() or "metric_code" not in seed.columns or "target" not in seed.columns:
        return {}
    band_col = next((col for col in seed.columns if "amber" in col), None)
    direction_col = "direction" if "direction" in seed.columns else None
    result: dict[str, Target] = {}
    for row in seed.iter_rows(named=True):
        if row["target"] is None:
            continue
        band = row.get(band_col) if band_col else None
        result[str(row["metric_code"])] = Target(
            value=float(row["target"]),
            amber_band=float(band) if band is not None else 0.0,
            direction=str(row.get(direction_col) or "") if direction_col else "",
        )
    return result


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------
def _measure(metric: Metric) -> queries.Measure:
    source = metric.reading
    assert source is not None
    return queries.Measure(
        metric.code, source.aggregate("numerator"), source.aggregate("denominator"), source.scale
    )


def _value(row: dict[str, Any], code: str) -> float | None:
    value = row.get(code)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _group_by_source(
    metrics: Iterable[Metric], tables: dict[str, list[str]], present: set[str] | None = None
) -> dict[tuple[str, str], list[Metric]]:
    """(table, date column) -> the published metrics read from it (and whose sources hold rows)."""
    groups: dict[tuple[str, str], list[Metric]] = {}
    for metric in metrics:
        source = metric.reading
        if source is None or source.table not in tables:
            continue
        if absent_sources(needs(metric.code), present):
            continue
        columns = tables[source.table]
        # a plain source names columns (check them); a derived one is SQL, used as written
        named = [part for part in (source.numerator, source.denominator) if "(" not in part]
        if any(part not in columns for part in named):
            continue
        groups.setdefault((source.table, source.date_col), []).append(metric)
    return groups


def _totals(
    con: duckdb.DuckDBPyConnection,
    groups: dict[tuple[str, str], list[Metric]],
    tables: dict[str, list[str]],
    scope: queries.Scope,
) -> dict[str, dict[str, Any]]:
    """code -> {value, numerator, denominator} over the whole scope."""
    result: dict[str, dict[str, Any]] = {}
    for (table, date_col), metrics in groups.items():
        measures = [_measure(metric) for metric in metrics]
        row = queries.measures_by(con, table, tables[table], date_col, measures, scope).row(
            0, named=True
        )
        censored = queries.censored_counts(con, table, tables[table], date_col, scope)
        for metric in metrics:
            result[metric.code] = {
                "value": _value(row, metric.code),
                "numerator": _value(row, f"{metric.code}__numerator"),
                "denominator": _value(row, f"{metric.code}__denominator"),
                "censored": censored,
            }
    return result


def _figures(
    metrics: Sequence[Metric],
    current: dict[str, dict[str, Any]],
    previous: dict[str, dict[str, Any]],
    targets: dict[str, Target],
    tables: dict[str, list[str]],
    sites: tuple[str, ...],
    present: set[str] | None = None,
) -> list[Figure]:
    figures = []
    for metric in metrics:
        now = current.get(metric.code)
        source_cols = tables.get(metric.reading.table, []) if metric.reading else []
        figures.append(
            Figure(
                metric=metric,
                available=now is not None,
                value=now["value"] if now else None,
                numerator=now["numerator"] if now else None,
                denominator=now["denominator"] if now else None,
                previous=(previous.get(metric.code) or {}).get("value"),
                target=targets.get(metric.code),
                site_filter_applied=not sites or "site_code" in source_cols,
                censored=now["censored"] if now else 0,
                absent=absent_sources(needs(metric.code), present),
            )
        )
    return figures


def _series(
    con: duckdb.DuckDBPyConnection,
    groups: dict[tuple[str, str], list[Metric]],
    tables: dict[str, list[str]],
    scope: queries.Scope,
    by: Literal["date", "site"],
) -> pl.DataFrame:
    """One row per day (or site), one column per metric value, across the family's marts."""
    merged: pl.DataFrame | None = None
    for (table, date_col), metrics in groups.items():
        if by == "site" and "site_code" not in tables[table]:
            continue
        group_col = date_col if by == "date" else "site_code"
        part = queries.measures_by(
            con, table, tables[table], date_col, [_measure(m) for m in metrics], scope, group_col
        )
        key = "period_date" if by == "date" else "site_code"
        part = part.select(key, *[metric.code for metric in metrics])
        merged = part if merged is None else merged.join(part, on=key, how="full", coalesce=True)
    if merged is None:
        return pl.DataFrame()
    return merged.sort(merged.columns[0])


def _family_block(
    con: duckdb.DuckDBPyConnection,
    family: str,
    figures: list[Figure],
    tables: dict[str, list[str]],
    scope: queries.Scope,
    window: queries.Scope,
    present: set[str] | None = None,
) -> FamilyBlock:
    metrics = [figure.metric for figure in figures]
    groups = _group_by_source(metrics, tables, present)
    # what is missing: the sources not landed, else the tables not published
    missing = sorted(
        {
            name
            for metric, figure in zip(metrics, figures, strict=True)
            if not figure.available
            for name in (
                figure.absent or (metric.reading.table if metric.reading else metric.code,)
            )
        }
    )
    ignored = sorted(
        {
            table
            for (table, _), _ in groups.items()
            if scope.sites and "site_code" not in tables[table]
        }
    )
    return FamilyBlock(
        family=family,
        figures=figures,
        daily=_series(con, groups, tables, window, "date"),
        by_site=_series(con, groups, tables, scope, "site"),
        missing_sources=missing,
        site_filter_ignored=ignored,
    )


def _no_data_message(con: duckdb.DuckDBPyConnection, period: Period, sites: tuple[str, ...]) -> str:
    where = (
        "all sites" if not sites else ("site " if len(sites) == 1 else "sites ") + ", ".join(sites)
    )
    lo, hi = queries.data_bounds(con)
    held = (
        f"the published data covers {lo.isoformat()} to {hi.isoformat()}"
        if lo is not None and hi is not None
        else "nothing has been published yet"
    )
    return (
        f"no data for {period.kind} {period.start.isoformat()} to {period.end.isoformat()} "
        f"at {where}: {held}."
    )


def load(serving: Path, period: Period, sites: Sequence[str] = ()) -> ExportData:
    """Read everything the export shows; raises NoDataError for an empty period."""
    if not serving.exists():
        raise NoDataError(f"nothing published yet at {serving}: run `serviq publish` first.")
    chosen = tuple(sorted(set(sites)))
    before = previous_period(period)
    scope = queries.Scope(period.start, period.end, chosen)
    previous_scope = queries.Scope(before.start, before.end, chosen)
    window = trend_window(period)
    window_scope = queries.Scope(window.start, window.end, chosen)
    started = dt.datetime.now()
    with read_only(serving) as con:
        contacts, _days = queries.volume_totals(con, scope)
        if contacts == 0:
            raise NoDataError(_no_data_message(con, period, chosen))
        tables = queries.published_columns(con)
        present = queries.present_entities(con)
        targets = parse_targets(queries.targets(con))
        catalog = list(METRICS.values())
        groups = _group_by_source(catalog, tables, present)
        current = _totals(con, groups, tables, scope)
        previous = _totals(con, groups, tables, previous_scope)
        figures = {
            figure.code: figure
            for figure in _figures(catalog, current, previous, targets, tables, chosen, present)
        }
        families = {
            family: _family_block(
                con,
                family,
                [figures[m.code] for m in catalog if m.family == family],
                tables,
                scope,
                window_scope,
                present,
            )
            for family in FAMILIES
        }
        volume = queries.daily_volume(con, window_scope)
        names = queries.site_names(con)
        published = queries.published_at(con)
    took = (dt.datetime.now() - started).total_seconds()
    return ExportData(
        period=period,
        previous=before,
        window=window,
        sites=chosen,
        contact_count=contacts,
        scorecard=[figures[code] for code in SCORECARD_CODES if code in figures],
        families=families,
        volume=volume,
        site_names=names,
        published_at=published,
        read_seconds=took,
        absent_sources=tuple(
            sorted({name for figure in figures.values() for name in figure.absent})
        ),
    )
