"""The publication plan: which staged rows are published, in which cluster and which split."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from builder.cluster import NearDupConfig, cluster
from builder.dedup import DedupResult
from builder.records import SPLITS
from builder.split import SplitConfig, assign_split
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
    clusters: int  # clusters of two or more articles
    clustered: int  # articles in such clusters


def _apply_takedowns(kept: pa.Table, dedup: DedupResult, takedowns: list[Takedown]) -> tuple[pa.Table, list[dict]]:
    if not takedowns:
        return kept, []
    by_id = {t.id: t.reason for t in takedowns if t.id}
    by_url = {t.canonical_url: t.reason for t in takedowns if t.canonical_url}
    # A takedown naming a merged duplicate removes the article it merged into.
    for dup in dedup.duplicates:
        if dup.id in by_id:
            by_id.setdefault(dup.merged_into, by_id[dup.id])
    ids, urls = kept.column("id").to_pylist(), kept.column("canonical_url").to_pylist()
    mask, removed = [], []
    for ident, url in zip(ids, urls):
        reason = by_id.get(ident) or (by_url.get(url) if url else None)
        mask.append(reason is None)
        if reason is not None:
            removed.append({"id": ident, "reason": reason})
    return kept.filter(pa.array(mask, pa.bool_())), sorted(removed, key=lambda r: r["id"])


def make_plan(dedup: DedupResult, takedowns: list[Takedown], near: NearDupConfig, splits: SplitConfig) -> Plan:
    kept, taken_down = _apply_takedowns(dedup.kept, dedup, takedowns)
    ids = kept.column("id").to_pylist()
    published: list[dt.datetime | None] = kept.column("published_at").to_pylist()
    mapping = cluster(ids, published, kept.column("_bands")) if near.enabled else {}
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
    sizes = Counter(mapping.values())
    return Plan(buckets=buckets, split_counts=counts, taken_down=taken_down,
                clusters=len(sizes), clustered=sum(sizes.values()))
