"""Named pause points, so crash tests can `kill -9` a real run at a known place.

Off unless `SERVIQ_FAULT_PAUSE` is set, e.g. `SERVIQ_FAULT_PAUSE=before_commit:3`
pauses the third time the run reaches `before_commit`: it writes one line
`serviq-fault: paused at before_commit #3 (<detail>)` to stderr and sleeps
`SERVIQ_FAULT_PAUSE_SECONDS` (default 60) so the test can kill the process
there. Production never sets the variable; the cost is one dict lookup.

Points:
    file_start            ingest: a file is about to be read (nothing of it written)
    before_commit         ingest: its rows, quarantine and audit written, not committed
    after_commit          ingest: it is committed, the next file not started
    publish_before_swap   publish: the new serving file is complete, not yet renamed
"""

from __future__ import annotations

import os
import sys
import time

_ENV = "SERVIQ_FAULT_PAUSE"
_counts: dict[str, int] = {}


def pause(point: str, detail: str = "") -> None:
    spec = os.environ.get(_ENV)
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    _counts[point] = _counts.get(point, 0) + 1
    if _counts[point] != int(nth or 1):
        return
    print(
        f"serviq-fault: paused at {point} #{_counts[point]} ({detail})", file=sys.stderr, flush=True
    )
    time.sleep(float(os.environ.get("SERVIQ_FAULT_PAUSE_SECONDS", "60")))
