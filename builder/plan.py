"""The publication plan: which staged rows are published, in which cluster and which split."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.cluster import NearDupConfig, cluster
from builder.dedup import DedupResult
from builder.records import SPLITS
from builder.split import SplitConfig, assign_split
from builder.stage import StagingArea
from builder.takedown import Takedown


@dataclass
class BucketPlan:
    positions: list[int] = field(default_factory=list)
    cluster_ids: list[str] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)


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


def _kept_bands(staging: StagingArea, kept: pa.Table) -> np.ndarray:
    """LSH band keys of the kept rows, in the kept table's (id) order, as an (n, bands) matrix.

    Read bucket by bucket: ids sort by bucket first, so each bucket's rows are contiguous."""
    parts = []
    buckets = kept.column("_bucket").to_numpy()
    positions = kept.column("_pos").to_numpy()
    for bucket in np.unique(buckets):
        rows = positions[buckets == bucket]
        bands = staging.read(int(bucket), ["_bands"]).column("_bands").take(pa.array(rows))
        parts.append(bands.combine_chunks() if isinstance(bands, pa.ChunkedArray) else bands)
    if not parts:
        return np.zeros((0, 0), dtype=np.uint64)
    flat = np.concatenate([p.flatten().to_numpy(zero_copy_only=False) for p in parts]).astype(np.uint64)
    return flat.reshape(kept.num_rows, -1) if kept.num_rows else flat.reshape(0, 0)


def make_plan(dedup: DedupResult, staging: StagingArea, takedowns: list[Takedown], near: NearDupConfig,
              splits: SplitConfig) -> Plan:
    kept, taken_down = _apply_takedowns(dedup.kept, dedup, takedowns)
    ids = kept.column("id").to_pylist()
    published: list[dt.datetime | None] = kept.column("published_at").to_pylist()
    mapping = cluster(ids, published, _kept_bands(staging, kept)) if near.enabled else {}
    when_of = dict(zip(ids, published)) if splits.mode == "time" else {}
    buckets: dict[int, BucketPlan] = {}
    counts = dict.fromkeys(SPLITS, 0)
    for ident, bucket, pos in zip(ids, kept.column("_bucket").to_pylist(), kept.column("_pos").to_pylist()):
        cluster_id = mapping.get(ident, ident)
        split = assign_split(cluster_id, splits, when_of.get(cluster_id))
        plan = buckets.setdefault(bucket, BucketPlan())
        plan.positions.append(pos)
        plan.cluster_ids.append(cluster_id)
        plan.splits.append(split)
        counts[split] += 1
    return Plan(buckets=buckets, split_counts=counts, taken_down=taken_down)
