"""One export: read the serving file once, then write each requested format.

    export(ExportRequest(...)) -> ExportResult

Reading happens through one short-lived read-only connection (closed before
anything is drawn); each output file is written to a temporary name beside
its target and swapped in with `os.replace`, so re-running the same export
replaces its files atomically and a failure leaves the previous files as
they were.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.export import flat
from pipelines.export.charts import ChartImage, family_charts, onepager_charts
from pipelines.export.files import FORMATS, atomic_path, export_name
from pipelines.export.labels import LANGS
from pipelines.export.onepager import write_onepager
from pipelines.export.periods import PERIOD_KINDS, PeriodKind, period_as_of
from pipelines.export.scorecard import ExportData, load
from pipelines.export.workbook import write_workbook


class ExportError(ValueError):
    """A request that cannot be served; the message is one sentence."""


@dataclass(frozen=True)
class ExportRequest:
    period: PeriodKind
    as_of: dt.date
    out_dir: Path
    formats: tuple[str, ...] = ("xlsx", "pdf")
    sites: tuple[str, ...] = ()
    lang: str = "zh"

    def validate(self) -> None:
        if self.period not in PERIOD_KINDS:
            raise ExportError(f"unknown period {self.period!r}: use day, week or month.")
        unknown = [fmt for fmt in self.formats if fmt not in FORMATS]
        if unknown or not self.formats:
            raise ExportError(
                f"unknown format {', '.join(unknown) or '(none)'}: use {', '.join(FORMATS)}."
            )
        if self.lang not in LANGS:
            raise ExportError(f"unknown language {self.lang!r}: use zh or en.")


@dataclass
class ExportResult:
    files: list[Path]
    data: ExportData
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def missing_families(self) -> list[str]:
        return [name for name, block in self.data.families.items() if not block.available]


def parse_formats(text: str) -> tuple[str, ...]:
    parts = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    return parts


def _timed(timings: dict[str, float], key: str, action: Callable[[], None]) -> None:
    started = time.perf_counter()
    action()
    timings[key] = round(time.perf_counter() - started, 3)


def _write(target: Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return target


def export(
    request: ExportRequest,
    serving: Path,
    generated_at: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Run one export; raises NoDataError (empty period) or ExportError (bad request)."""
    request.validate()
    say = progress or (lambda _message: None)
    stamp = generated_at or dt.datetime.now(dt.UTC)
    timings: dict[str, float] = {}
    period = period_as_of(request.period, request.as_of)
    started = time.perf_counter()
    data = load(serving, period, request.sites)
    timings["read"] = round(time.perf_counter() - started, 3)
    say(f"export: read {period.kind} {period.start} – {period.end} in {timings['read']:.1f} s")
    lang = request.lang
    files: list[Path] = []

    def name(extension: str) -> Path:
        return request.out_dir / export_name(period, request.sites, lang, extension)

    by_family: dict[str, ChartImage] = {}
    page_charts: Sequence[ChartImage] = ()
    if "xlsx" in request.formats or "pdf" in request.formats:
        started = time.perf_counter()
        if "xlsx" in request.formats:
            by_family = family_charts(data, lang)
        if "pdf" in request.formats:
            page_charts = onepager_charts(data, lang, by_family)
        timings["charts"] = round(time.perf_counter() - started, 3)
    if "xlsx" in request.formats:
        target = name("xlsx")
        _timed(
            timings,
            "xlsx",
            lambda: files.append(
                _write(target, lambda tmp: write_workbook(tmp, data, by_family, lang, stamp))
            ),
        )
    if "pdf" in request.formats:
        target = name("pdf")
        _timed(
            timings,
            "pdf",
            lambda: files.append(
                _write(target, lambda tmp: write_onepager(tmp, data, page_charts, lang, stamp))
            ),
        )
    if "csv" in request.formats or "parquet" in request.formats:
        table = flat.scorecard_frame(data, lang)
        if "csv" in request.formats:
            files.append(_write(name("csv"), lambda tmp: flat.write_csv(tmp, table)))
        if "parquet" in request.formats:
            files.append(_write(name("parquet"), lambda tmp: flat.write_parquet(tmp, table)))
    for path in files:
        say(f"export: wrote {path}")
    return ExportResult(files=files, data=data, timings=timings)
