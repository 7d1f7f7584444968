"""The publication plan: which staged rows are published, in which cluster and which split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.cluster import NearDupConfig, representatives
from builder.dedup import DedupResult
from builder.records import SPLITS
from builder.split import SplitConfig, split_codes
from builder.stage import StagingArea, runs
from builder.takedown import Takedown


@dataclass
class BucketPlan:
    """The published rows of one staging bucket, in id order: their positions in the bucket,
    their cluster ids and their splits."""

    positions: pa.Array
    cluster_ids: pa.Array
    splits: pa.Array


@dataclass
class Plan:
    buckets: dict[int, BucketPlan]
    split_counts: dict[str, int]
    taken_down: list[dict]  # {id, reason}, sorted by id


def _apply_takedowns(kept: pa.Table, dedup: DedupResult, takedowns: list[Takedown]) -> tuple[pa.Table, list[dict]]:
    if not takedowns:
        return kept, []
    by_id: dict[str, str] = {}
    for t in takedowns:
        by_id.setdefault(t.id, t.reason)
    # A takedown naming a merged duplicate removes the article it merged into.
    for dup in dedup.duplicates:
        if dup.id in by_id:
            by_id.setdefault(dup.merged_into, by_id[dup.id])
    hit = pc.is_in(kept.column("id"), value_set=pa.array(sorted(by_id), pa.string()))
    removed = [{"id": i, "reason": by_id[i]} for i in kept.filter(hit).column("id").to_pylist()]
    return kept.filter(pc.invert(hit)), sorted(removed, key=lambda r: r["id"])


def _bucket_runs(kept: pa.Table) -> list[tuple[int, int, int]]:
    """(bucket, first row, end row) of each bucket in the kept table: rows are in id order and
    buckets are id ranges, so each bucket is one contiguous run of rows."""
    return runs(kept.column("_bucket").to_numpy())


def _kept_bands(staging: StagingArea, positions: pa.Array, bucket_runs: list[tuple[int, int, int]]) -> np.ndarray:
    """LSH band keys of the kept rows (their `positions` in their buckets, in id order) as an
    (n, bands) matrix, read bucket by bucket into one preallocated matrix: only one bucket's
    keys are held twice."""
    matrix: np.ndarray | None = None
    for bucket, start, end in bucket_runs:
        bands = staging.read(bucket, ["_bands"]).column("_bands").take(positions.slice(start, end - start))
        bands = bands.combine_chunks() if isinstance(bands, pa.ChunkedArray) else bands
        flat = bands.flatten().to_numpy(zero_copy_only=False)
        if matrix is None:
            matrix = np.empty((len(positions), flat.size // (end - start)), dtype=np.uint64)
        matrix[start:end] = flat.reshape(end - start, -1)
    return matrix if matrix is not None else np.zeros((0, 0), dtype=np.uint64)


def make_plan(dedup: DedupResult, staging: StagingArea, takedowns: list[Takedown], near: NearDupConfig,
              splits: SplitConfig) -> Plan:
    """Clusters and splits of the kept rows, as Arrow and numpy columns: no Python object per
    article, so the plan of a million articles takes tens of megabytes."""
    kept, taken_down = _apply_takedowns(dedup.kept, dedup, takedowns)
    ids = kept.column("id").combine_chunks()
    published = kept.column("published_at").combine_chunks()
    positions = kept.column("_pos").combine_chunks()
    bucket_runs = _bucket_runs(kept)
    if near.enabled:
        reps = pa.array(representatives(published, _kept_bands(staging, positions, bucket_runs)))
    else:
        reps = pa.array(np.arange(kept.num_rows, dtype=np.int64))
    cluster_ids = ids.take(reps)
    when = published.take(reps) if splits.mode == "time" else None
    codes = split_codes(cluster_ids, splits, when)
    names = pa.array(SPLITS, pa.string())
    counts = dict(zip(SPLITS, (int(c) for c in np.bincount(codes, minlength=len(SPLITS)))))
    buckets: dict[int, BucketPlan] = {}
    for bucket, start, end in bucket_runs:
        buckets[bucket] = BucketPlan(
            positions=positions.slice(start, end - start),
            cluster_ids=cluster_ids.slice(start, end - start),
            splits=names.take(pa.array(codes[start:end])),
        )
    return Plan(buckets=buckets, split_counts=counts, taken_down=taken_down)
