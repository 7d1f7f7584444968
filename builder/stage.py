"""The staging area: per-record output in bounded Arrow batches, bucketed by article id on disk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.records import Article, Quarantined
from builder.schema import article_fields_schema

BUCKETS = 64
# A bucket's rows are written once this many are waiting (or this many bytes): 64 buckets
# hold at most about 64 x 512 rows in memory.
FLUSH_ROWS = 512
FLUSH_BYTES = 4 << 20
# Columns the global stages need beside the article itself; never published.
STAGING_EXTRA = [
    pa.field("_body_sha256", pa.string(), nullable=False),
    pa.field("_source", pa.string(), nullable=False),
    pa.field("_line", pa.int64(), nullable=False),
    pa.field("_bands", pa.list_(pa.uint64()), nullable=False),
]


@cache
def staging_schema() -> pa.Schema:
    base = article_fields_schema()
    return pa.schema(list(base) + STAGING_EXTRA)


_HEX_PAIRS = pa.array([f"{i:02x}" for i in range(256)])


def buckets_of(ids: pa.Array) -> pa.Array:
    """The staging bucket of each id: its leading two hex digits scaled to BUCKETS, so bucket
    order is id order. Arrow kernels, no Python code per id."""
    pairs = pc.index_in(pc.utf8_slice_codeunits(ids, 0, 2), value_set=_HEX_PAIRS)
    return pc.cast(pc.divide(pc.multiply(pairs, BUCKETS), 256), pa.int32())


def runs(values: np.ndarray) -> list[tuple[int, int, int]]:
    """(value, first index, end index) of each run of equal values, in order."""
    if not len(values):
        return []
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = [*starts[1:], len(values)]
    return [(int(values[s]), int(s), int(e)) for s, e in zip(starts, ends)]


def split_by_bucket(rows: pa.RecordBatch | pa.Table) -> Iterator[tuple[int, pa.RecordBatch | pa.Table]]:
    """(bucket, its rows) for each bucket the rows fall in, buckets ascending; a bucket's rows
    keep their order (the sort is stable)."""
    buckets = buckets_of(rows.column("id"))
    order = pc.sort_indices(buckets)
    rows = rows.take(order)
    for bucket, start, end in runs(buckets.take(order).to_numpy()):
        yield bucket, rows.slice(start, end - start)


def to_batch(articles: Sequence[tuple[Article | dict, str, int, list[int]]]) -> pa.RecordBatch:
    """Articles (or their model_dump() rows) with their (source, line, LSH band keys) as one
    staging batch with the explicit schema."""
    rows = []
    for article, source, line, bands in articles:
        row = article.model_dump() if isinstance(article, Article) else article
        row["_body_sha256"] = hashlib.sha256(row["text"].encode("utf-8")).hexdigest()[:32]
        row["_source"] = source
        row["_line"] = line
        row["_bands"] = bands
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=staging_schema())


class StagingArea:
    """Per-bucket Arrow IPC files under a directory, appended batch by batch."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.schema = staging_schema()
        self._writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        # Rows waiting to be written, per bucket: an IPC write has a fixed cost (about 0.15 ms),
        # and a chunk spreads over all buckets, a few rows each.
        self._pending: dict[int, list[pa.RecordBatch]] = {}
        self._pending_size: dict[int, tuple[int, int]] = {}
        # Batches kept elsewhere (the incremental cache) that belong to a bucket: (file, index).
        self._attached: dict[int, list[tuple[Path, int]]] = {}
        self.quarantined: list[Quarantined] = []

    def path(self, bucket: int) -> Path:
        return self.directory / f"bucket-{bucket:03d}.arrow"

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        row_bytes = batch.nbytes // batch.num_rows + 1  # an average: asking each slice costs more
        for bucket, rows in split_by_bucket(batch):
            self._hold(bucket, rows, rows.num_rows * row_bytes)

    def _hold(self, bucket: int, batch: pa.RecordBatch, nbytes: int) -> None:
        self._pending.setdefault(bucket, []).append(batch)
        rows, size = self._pending_size.get(bucket, (0, 0))
        rows, size = rows + batch.num_rows, size + nbytes
        self._pending_size[bucket] = (rows, size)
        if rows >= FLUSH_ROWS or size >= FLUSH_BYTES:
            self._flush(bucket)

    def _flush(self, bucket: int) -> None:
        batches = self._pending.pop(bucket, [])
        self._pending_size.pop(bucket, None)
        if batches:
            self._writer(bucket).write_batch(pa.concat_batches(batches))

    def attach(self, bucket: int, path: Path, index: int) -> None:
        """Count batch `index` of the Arrow file at `path` as rows of `bucket`, without copying it."""
        self._attached.setdefault(bucket, []).append((path, index))

    def _writer(self, bucket: int) -> pa.ipc.RecordBatchFileWriter:
        writer = self._writers.get(bucket)
        if writer is None:
            writer = pa.ipc.new_file(str(self.path(bucket)), self.schema)
            self._writers[bucket] = writer
        return writer

    def close(self) -> None:
        for bucket in sorted(self._pending):
            self._flush(bucket)
        for writer in self._writers.values():
            writer.close()

    @property
    def buckets(self) -> list[int]:
        return sorted(set(self._writers) | set(self._pending) | set(self._attached))

    def read(self, bucket: int, columns: list[str] | None = None) -> pa.Table:
        """One bucket, read into memory: its own file, then its attached batches, always in the
        same order.

        Full rows are read, not memory-mapped: mapped pages of every bucket would count against
        the process's resident memory for as long as any slice of them lives. Some `columns`
        are read through a mapping, so the pages of the other columns are never touched (the
        mapping lives on with the returned buffers, which only hold those columns' pages)."""
        opener = pa.memory_map if columns else pa.OSFile
        tables = []
        if bucket in self._writers:
            with opener(str(self.path(bucket))) as source:
                tables.append(pa.ipc.open_file(source).read_all())
        attached: dict[Path, list[int]] = {}
        for path, index in self._attached.get(bucket, []):
            attached.setdefault(path, []).append(index)
        for path, indices in attached.items():
            with opener(str(path)) as source:
                reader = pa.ipc.open_file(source)
                tables.append(pa.Table.from_batches([reader.get_batch(i) for i in indices], schema=self.schema))
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        if columns:
            table = table.select(columns).combine_chunks()
        return table
