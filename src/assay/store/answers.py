"""Writing answers in a transaction: responses write-once by unit key, errors appended, one lock order."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, insert

from assay.store import bulk
from assay.store.records import ErrorRecord, ResponseRecord
from assay.store.schema import ErrorRow, ResponseRow, table_of


def write_answers(
    conn: Connection, responses: Sequence[ResponseRecord], errors: Sequence[ErrorRecord]
) -> int:
    """Insert the responses whose key has no answer yet (a key given twice keeps its first answer) and
    every error; returns how many responses were new."""
    first = {r.key: r for r in reversed(responses)}  # reversed: the earliest answer of a key wins
    rows = [
        dict(unit_key=r.key, response_json=json.dumps(r.response), latency_s=r.latency_s,
             attempts=r.attempts, created_at=r.created_at)
        for r in first.values()
    ]  # fmt: skip
    written = bulk.insert_new(conn, table_of(ResponseRow), rows)  # sorted and chunked
    failures = [
        dict(run_id=e.run_id, unit_key=e.key, reason=e.reason, attempts=e.attempts, created_at=e.created_at)
        for e in sorted(errors, key=lambda e: e.key)  # the same lock order as every other writer
    ]
    for chunk in bulk.chunks(failures):
        conn.execute(insert(ErrorRow), list(chunk))
    return written
