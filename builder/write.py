"""Write the published splits as sharded Parquet with pinned, reproducible writer settings."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.config import OutputConfig
from builder.plan import Plan
from builder.schema import article_arrow_schema
from builder.stage import StagingArea


def shard_name(split: str, index: int, total: int) -> str:
    return f"data/{split}-{index:05d}-of-{total:05d}.parquet"


class ShardWriter:
    """Streams one split's rows into fixed-size row groups and fixed-size shards."""

    def __init__(self, out: Path, split: str, total_rows: int, options: OutputConfig) -> None:
        self.out, self.split, self.options = out, split, options
        self.shards = max(1, math.ceil(total_rows / options.rows_per_shard))
        self.schema = article_arrow_schema()
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._shard = -1
        self._in_shard = 0
        self._writer: pq.ParquetWriter | None = None
        self.files: dict[str, int] = {}

    def _open_next(self) -> None:
        self.close_shard()
        self._shard += 1
        name = shard_name(self.split, self._shard, self.shards)
        (self.out / name).parent.mkdir(parents=True, exist_ok=True)
        o = self.options
        self._writer = pq.ParquetWriter(
            self.out / name,
            self.schema,
            compression=o.compression,
            compression_level=o.compression_level,
            use_dictionary=True,
            write_statistics=True,
            data_page_size=1 << 20,
            version="2.6",
            data_page_version="1.0",
            write_page_index=False,
            store_schema=True,
        )
        self.files[name] = 0
        self._in_shard = 0

    def write(self, table: pa.Table) -> None:
        self._buffer.append(table)
        self._buffered += table.num_rows
        while self._buffered >= self._next_group_size():
            self._flush(self._next_group_size())

    def _next_group_size(self) -> int:
        room = self.options.rows_per_shard - self._in_shard if self._writer else self.options.rows_per_shard
        return min(self.options.row_group_rows, room if room > 0 else self.options.rows_per_shard)

    def _flush(self, rows: int) -> None:
        table = pa.concat_tables(self._buffer)
        group, rest = table.slice(0, rows), table.slice(rows)
        self._buffer, self._buffered = ([rest] if rest.num_rows else []), rest.num_rows
        if self._writer is None or self._in_shard >= self.options.rows_per_shard:
            self._open_next()
        assert self._writer is not None
        self._writer.write_table(group.combine_chunks(), row_group_size=rows)
        self._in_shard += rows
        self.files[shard_name(self.split, self._shard, self.shards)] += rows

    def close(self) -> dict[str, int]:
        if self._buffered:
            self._flush(self._buffered)
        self.close_shard()
        return self.files

    def close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def write_splits(
    staging: StagingArea,
    plan: Plan,
    out: Path,
    options: OutputConfig,
    observe: Callable[[pa.ChunkedArray, pa.Table, tuple[str, ...]], None],
) -> dict[str, int]:
    """Write every non-empty split in id order; returns {relative path: rows}.

    Encoding and compression run on one writer thread (pyarrow releases the GIL there) while
    this thread reads, sorts and splits the next buckets. One thread writes, in submission
    order, so the bytes do not depend on timing. Rows handed over but not yet written are
    bounded by two row groups' worth (or one bucket, if larger), so memory stays flat."""
    writers = {s: ShardWriter(out, s, n, options) for s, n in plan.split_counts.items() if n}
    budget = 2 * options.row_group_rows
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer") as pool:
        pending: deque[tuple[Future[None], int]] = deque()
        in_flight = 0
        for parts in _bucket_parts(staging, plan, writers):
            if parts:  # counted once per bucket: the parts side by side (no copy), with their splits
                splits = pa.chunked_array([pa.repeat(pa.scalar(split), part.num_rows) for split, part in parts])
                observe(splits, pa.concat_tables([part for _, part in parts]), tuple(writers))
            for split, part in parts:
                pending.append((pool.submit(writers[split].write, part), part.num_rows))
                in_flight += part.num_rows
            while in_flight > budget and len(pending) > 1:
                future, rows = pending.popleft()
                future.result()
                in_flight -= rows
        for future, _ in pending:
            future.result()
        closed = [pool.submit(writer.close) for writer in writers.values()]
        files: dict[str, int] = {}
        for future in closed:
            files.update(future.result())
    return files


def _bucket_parts(staging: StagingArea, plan: Plan, writers: dict[str, ShardWriter]):
    """Per staging bucket, the (split, rows) parts to publish: chosen rows, sorted by id.

    Only index arrays are sorted and split; the bucket's full rows are copied once, by one
    take per split."""
    schema = article_arrow_schema()
    names = schema.names
    cluster_column = names.index("cluster_id")
    for bucket in staging.buckets:
        chosen = plan.buckets.get(bucket)
        if chosen is None or not len(chosen.positions):
            continue
        table = staging.read(bucket).select(names)
        order = pc.sort_indices(table.column("id").take(chosen.positions))
        positions, splits = chosen.positions.take(order), chosen.splits.take(order)
        cluster_ids = chosen.cluster_ids.take(order)
        parts = []
        for split in writers:
            mask = pc.equal(splits, split)
            rows = positions.filter(mask)
            if len(rows):
                part = table.take(rows).set_column(cluster_column, "cluster_id", cluster_ids.filter(mask))
                parts.append((split, part.cast(schema)))
        del table
        yield parts
