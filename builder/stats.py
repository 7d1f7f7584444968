"""Counts computed from the published rows while they are written, for the datasheet and card."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
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

    def observe(self, split: str | pa.Array, table: pa.Table, split_order: tuple[str, ...] = ()) -> None:
        """Count one written table, with Arrow kernels: no Python code runs per row.

        `split` names the split of every row, or gives each row's. An outlet's display name is
        taken from the first row seen with its slug, rows counted split by split in
        `split_order` (as if each split's rows had been observed on their own, in that order)."""
        n = table.num_rows
        if n == 0:
            return
        splits = pa.repeat(pa.scalar(split), n) if isinstance(split, str) else split
        self.rows += n
        self.per_split.update(_counts(splits))
        outlets = table.column("outlet")
        self.per_outlet.update(_counts(outlets))
        self.per_outlet_split.update(_pair_counts(outlets, splits))
        if any(slug not in self.outlet_names for slug in pc.unique(outlets).to_pylist()):
            for name in (split,) if isinstance(split, str) else split_order:
                in_split = pc.equal(splits, name)
                slugs, names = outlets.filter(in_split), table.column("outlet_name").filter(in_split)
                for slug in pc.unique(slugs).to_pylist():
                    if slug not in self.outlet_names:
                        self.outlet_names[slug] = names[pc.index(slugs, slug).as_py()].as_py()
        self.per_language.update(_counts(pc.fill_null(table.column("language"), "unknown")))

        # Months as Python prints them ("%Y-%m"), formatted once per distinct month.
        published = table.column("published_at")
        year_month = pc.add(pc.multiply(pc.year(published), 100), pc.month(published))
        label = {ym: dt.datetime(ym // 100, ym % 100, 1).strftime("%Y-%m")
                 for ym in pc.unique(year_month).to_pylist() if ym is not None}
        label[None] = "unknown"
        for ym, count in _counts(year_month).items():
            self.per_month[label[ym]] += count
        for (o, ym), count in _pair_counts(outlets, year_month).items():
            self.per_outlet_month[(o, label[ym])] += count
        dated = [m for ym, m in label.items() if ym is not None]
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
        self.per_agency.update({a: c for a, c in _counts(agencies).items() if a})
        self.cluster_ids.append(table.column("cluster_id").combine_chunks())

        lengths = pc.utf8_length(table.column("text")).to_numpy()
        self.chars_total += int(lengths.sum())
        low, high = int(lengths.min()), int(lengths.max())
        self.lengths_min = low if self.lengths_min is None else min(self.lengths_min, low)
        self.lengths_max = max(self.lengths_max or 0, high)
        bins = np.searchsorted(np.array(LENGTH_EDGES[1:]), lengths, side="right")
        for index, count in zip(*np.unique(bins, return_counts=True)):
            self.length_hist[_BIN_LABELS[int(index)]] += int(count)

        self.missing["url"] += table.column("url").null_count
        self.missing["published_at"] += published.null_count
        self.missing["headline"] += table.column("headline").null_count
        self.missing["language"] += table.column("language").null_count
        author_counts = pc.fill_null(pc.list_value_length(table.column("authors")), 0)
        self.missing["authors"] += pc.sum(pc.equal(author_counts, 0)).as_py() or 0
        removed = table.column("removed").combine_chunks()
        kinds = pc.struct_field(pc.list_flatten(removed), "kind")
        self.removed_kinds.update(_counts(kinds))
        # Records with at least one removal of each kind: distinct (row, kind) pairs, by kind.
        found, _, _, kind_names, width = _distinct_pairs(pc.list_parent_indices(removed), kinds)
        for kind, count in zip(kind_names, np.bincount(found % width, minlength=width)):
            if count:
                self.removed_records[kind] += int(count)

    def near_duplicate_clusters(self) -> tuple[int, int]:
        """(clusters with more than one article, articles in those clusters), from `cluster_id`."""
        if not self.cluster_ids:
            return 0, 0
        counts = pc.value_counts(pa.chunked_array(self.cluster_ids, pa.string())).field("counts")
        multi = pc.filter(counts, pc.greater(counts, 1))
        return len(multi), pc.sum(multi).as_py() or 0


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 article', '0 articles', '2 raw records': a count with its noun in the right number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def agree(n: int, singular: str = "is", plural: str = "are") -> str:
    """The verb that agrees with a count of n."""
    return singular if n == 1 else plural


def _counts(values: pa.Array | pa.ChunkedArray) -> dict:
    """{value: count}, nulls under None."""
    counted = pc.value_counts(values)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()))


def _pair_counts(first: pa.Array | pa.ChunkedArray, second: pa.Array | pa.ChunkedArray) -> dict[tuple, int]:
    """{(a, b): rows} over the rows of two equal-length columns, nulls as None."""
    found, counts, firsts, seconds, width = _distinct_pairs(first, second)
    return {(firsts[int(c) // width], seconds[int(c) % width]): int(n) for c, n in zip(found, counts)}


def _distinct_pairs(first: pa.Array | pa.ChunkedArray,
                    second: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, list, list, int]:
    """The distinct (a, b) pairs of two equal-length columns as codes a_index * width + b_index,
    how many rows hold each, the values of a and of b by index, and width. Both columns are
    dictionary-encoded and the codes counted in numpy (a group-by costs milliseconds of fixed
    overhead on every call)."""
    codes, values = [], []
    for column in (first, second):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        codes.append(encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64))
        values.append(encoded.dictionary.to_pylist())
    width = max(len(values[1]), 1)
    found, counts = np.unique(codes[0] * width + codes[1], return_counts=True)
    return found, counts, values[0], values[1], width


def _bin(length: int) -> str:
    for low, high in itertools.pairwise(LENGTH_EDGES):
        if length < high:
            return f"{low:,}–{high - 1:,}"
    return f"≥{LENGTH_EDGES[-1]:,}"


def length_bins() -> list[str]:
    return [_bin(e) for e in LENGTH_EDGES]


# Bin labels by index: searchsorted(LENGTH_EDGES[1:], length, "right") is the index of _bin(length).
_BIN_LABELS = length_bins()
