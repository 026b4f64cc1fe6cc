"""Built-in adapters: reshape an export whose rows are not one record each.

An adapter turns the decoded text of one file into a frame of text columns
with one row per record (plus the `_line` of the record's first line) and a
list of (line, reason) rejects. Its output then goes through the same
mapping (columns, expressions, value maps, constants) and the same
validation as any other export; the adapter's columns are documented in its
module and in docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipelines.sources.adapters.asterisk import fold_queue_log

Adapter = Callable[[str], tuple[pl.DataFrame, list[tuple[int, str]]]]

ADAPTERS: dict[str, Adapter] = {
    "asterisk_queue_log": fold_queue_log,
}
