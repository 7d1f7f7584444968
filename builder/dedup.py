"""Exact deduplication over small key columns: one article per id and per normalized body."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.stage import StagingArea

KEY_COLUMNS = ["id", "published_at", "_body_sha256", "retrieved_at", "raw_sha256", "_source", "_line"]
# Which of several copies is kept: the earliest capture (records with no capture time after
# dated ones), then the smallest raw_sha256, then the first by file and line. Keeping the
# earliest means a later re-capture never edits an article already released.
_KEEP_ORDER = [("retrieved_at", "ascending"), ("raw_sha256", "ascending"), ("_source", "ascending"), ("_line", "ascending")]


@dataclass(frozen=True)
class Duplicate:
    file: str
    line: int
    id: str
    merged_into: str
    rule: str  # "same_id" or "same_body"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "id": self.id, "merged_into": self.merged_into, "rule": self.rule}


@dataclass
class DedupResult:
    kept: pa.Table | None  # key columns (+ _bucket, _pos) of the kept rows, sorted by id
    duplicates: list[Duplicate]


def _keys(staging: StagingArea) -> pa.Table:
    tables = []
    for bucket in staging.buckets:
        table = staging.read(bucket, KEY_COLUMNS)
        n = table.num_rows
        table = table.append_column("_bucket", pa.array(np.full(n, bucket, dtype=np.int32)))
        tables.append(table.append_column("_pos", pa.array(np.arange(n, dtype=np.int64))))
    if not tables:
        fields = [staging.schema.field(c) for c in KEY_COLUMNS]
        return pa.schema(fields + [pa.field("_bucket", pa.int32()), pa.field("_pos", pa.int64())]).empty_table()
    return pa.concat_tables(tables)


def _first_of_groups(table: pa.Table, alive: np.ndarray, key: str, rule: str) -> tuple[np.ndarray, list[Duplicate]]:
    """Among the rows flagged `alive`, the first of each group of equal `key` (by the keep
    order), as row indices, and the others as duplicates. Works on indices and single
    columns, so no copy of the key table is made."""
    order = pc.sort_indices(table, [(key, "ascending"), *_KEEP_ORDER]).to_numpy()
    order = order[alive[order]]
    n = len(order)
    if n < 2:
        return order, []
    keys = table.column(key).take(pa.array(order)).combine_chunks()
    starts = np.concatenate([[True], pc.not_equal(keys.slice(1), keys.slice(0, n - 1)).to_numpy(zero_copy_only=False)])
    del keys
    dups = []
    dup_rows = np.flatnonzero(~starts)
    if dup_rows.size:
        group_first = np.flatnonzero(starts)[np.cumsum(starts) - 1]
        picked = table.take(pa.array(order[dup_rows]))
        winners = table.column("id").take(pa.array(order[group_first[dup_rows]])).to_pylist()
        for source, line, ident, winner in zip(picked.column("_source").to_pylist(), picked.column("_line").to_pylist(),
                                               picked.column("id").to_pylist(), winners):
            dups.append(Duplicate(source, line, ident, winner, rule))
    return order[starts], dups


def deduplicate(staging: StagingArea) -> DedupResult:
    keys = _keys(staging)
    alive = np.ones(keys.num_rows, dtype=bool)
    by_id, dups_id = _first_of_groups(keys, alive, "id", "same_id")
    alive[:] = False
    alive[by_id] = True
    kept, dups_body = _first_of_groups(keys, alive, "_body_sha256", "same_body")
    by_id_order = pc.sort_indices(keys.column("id").take(pa.array(kept))).to_numpy()
    duplicates = sorted(dups_id + dups_body, key=lambda d: (d.file, d.line, d.id))
    return DedupResult(kept=keys.take(pa.array(kept[by_id_order])), duplicates=duplicates)
