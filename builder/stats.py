"""Counts computed from the published rows while they are written, for the datasheet and card."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

# Text-length histogram edges, in characters.
LENGTH_EDGES = (0, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)


@dataclass
class Stats:
    rows: int = 0
    per_split: Counter = field(default_factory=Counter)
    per_outlet: Counter = field(default_factory=Counter)
    per_outlet_split: Counter = field(default_factory=Counter)
    per_language: Counter = field(default_factory=Counter)
    per_month: Counter = field(default_factory=Counter)
    per_outlet_month: Counter = field(default_factory=Counter)
    outlet_names: dict[str, str] = field(default_factory=dict)
    removed_kinds: Counter = field(default_factory=Counter)
    removed_records: Counter = field(default_factory=Counter)
    length_hist: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)
    chars_total: int = 0
    lengths_min: int | None = None
    lengths_max: int | None = None
    date_min: str | None = None
    date_max: str | None = None
    retrieved_min: str | None = None
    retrieved_max: str | None = None
    per_agency: Counter = field(default_factory=Counter)
    # cluster_id of every published row, kept as Arrow strings (a few dozen bytes a row) so that
    # cluster sizes can be counted once all splits are written.
    cluster_ids: list[pa.Array] = field(default_factory=list, repr=False)

    def observe(self, split: str, table: pa.Table) -> None:
        n = table.num_rows
        self.rows += n
        self.per_split[split] += n
        outlets = table.column("outlet").to_pylist()
        self.per_outlet.update(outlets)
        self.per_outlet_split.update((o, split) for o in outlets)
        for slug, name in zip(outlets, table.column("outlet_name").to_pylist()):
            self.outlet_names.setdefault(slug, name)
        self.per_language.update(lang or "unknown" for lang in table.column("language").to_pylist())
        months = [t.strftime("%Y-%m") if t else "unknown" for t in table.column("published_at").to_pylist()]
        self.per_month.update(months)
        self.per_outlet_month.update(zip(outlets, months))
        dated = [m for m in months if m != "unknown"]
        if dated:
            self.date_min = min([self.date_min or dated[0], *dated])
            self.date_max = max([self.date_max or dated[0], *dated])
        retrieved = table.column("retrieved_at")
        if retrieved.null_count < n:
            low, high = (t.as_py().strftime("%Y-%m-%d") for t in pc.min_max(retrieved).values())
            self.retrieved_min = min(self.retrieved_min or low, low)
            self.retrieved_max = max(self.retrieved_max or high, high)
        self.missing["retrieved_at"] += retrieved.null_count
        agencies = pc.struct_field(table.column("dateline"), "agency")
        self.per_agency.update(a for a in agencies.to_pylist() if a)
        self.cluster_ids.append(table.column("cluster_id").combine_chunks())
        lengths = pc.utf8_length(table.column("text")).to_pylist()
        self.chars_total += sum(lengths)
        self.lengths_min = min([self.lengths_min if self.lengths_min is not None else lengths[0], *lengths])
        self.lengths_max = max([self.lengths_max or 0, *lengths])
        for length in lengths:
            self.length_hist[_bin(length)] += 1
        self.missing["url"] += table.column("url").null_count
        self.missing["published_at"] += table.column("published_at").null_count
        self.missing["headline"] += table.column("headline").null_count
        self.missing["language"] += table.column("language").null_count
        self.missing["authors"] += sum(1 for a in table.column("authors").to_pylist() if not a)
        for removed in table.column("removed").to_pylist():
            kinds = [r["kind"] for r in removed]
            self.removed_kinds.update(kinds)
            self.removed_records.update(set(kinds))


    def near_duplicate_clusters(self) -> tuple[int, int]:
        """(clusters with more than one article, articles in those clusters), from `cluster_id`."""
        if not self.cluster_ids:
            return 0, 0
        counts = pc.value_counts(pa.chunked_array(self.cluster_ids, pa.string())).field("counts")
        multi = pc.filter(counts, pc.greater(counts, 1))
        return len(multi), pc.sum(multi).as_py() or 0


def _bin(length: int) -> str:
    for low, high in zip(LENGTH_EDGES, LENGTH_EDGES[1:]):
        if length < high:
            return f"{low:,}–{high - 1:,}"
    return f"≥{LENGTH_EDGES[-1]:,}"


def length_bins() -> list[str]:
    return [_bin(e) for e in LENGTH_EDGES]
