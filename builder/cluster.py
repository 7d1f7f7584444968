"""Near-duplicate clusters: MinHash signatures per record, LSH band keys, union-find on collisions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import xxhash

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class NearDupConfig:
    """MinHash/LSH parameters. With b bands of r rows, pairs of Jaccard similarity s collide
    with probability 1 - (1 - s^r)^b; the default 16 x 8 puts the threshold near 0.7."""

    enabled: bool = True
    num_perm: int = 128
    bands: int = 16
    shingle_words: int = 5
    seed: int = 1

    def __post_init__(self) -> None:
        if self.num_perm <= 0 or self.bands <= 0 or self.num_perm % self.bands:
            raise ValueError(f"num_perm ({self.num_perm}) must be a positive multiple of bands ({self.bands})")
        if self.shingle_words < 1:
            raise ValueError("shingle_words must be at least 1")


@cache
def _permutations(num_perm: int, seed: int):
    """MinHash permutations depend only on (num_perm, seed); drawing them per record is costly."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed).permutations


def band_keys(text: str, config: NearDupConfig) -> list[int]:
    """LSH band keys of a body: equal keys in one band mark a near-duplicate candidate."""
    if not config.enabled:
        return []
    from datasketch import MinHash

    words = _WORD.findall(text.casefold())
    k = config.shingle_words
    shingles = {" ".join(words[i : i + k]).encode() for i in range(max(1, len(words) - k + 1))}
    minhash = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=xxhash.xxh32_intdigest,
                      permutations=_permutations(config.num_perm, config.seed), scheme="affine32")
    minhash.update_batch(sorted(shingles))
    values = minhash.hashvalues.astype("<u8")
    rows = config.num_perm // config.bands
    # The band's index is hashed in, so one sorted column holds every band's keys.
    return [
        xxhash.xxh64_intdigest(band.to_bytes(2, "little") + values[band * rows : (band + 1) * rows].tobytes())
        for band in range(config.bands)
    ]


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def cluster(ids: list[str], published: list[dt.datetime | None], bands: np.ndarray) -> dict[str, str]:
    """{id: cluster id} for articles in a cluster of two or more; the others are their own.

    `bands` is the (articles x bands) matrix of LSH keys. Each band is sorted on its own, so
    memory is one column of keys at a time. The cluster id is its representative's id: the
    earliest published member (undated ones after dated), then the smallest id, so a later
    re-publication rarely changes it.
    """
    n = len(ids)
    if n < 2 or bands.size == 0:
        return {}
    parent = np.arange(n, dtype=np.int64)
    for band in range(bands.shape[1]):
        column = bands[:, band]
        order = np.argsort(column, kind="stable")
        sorted_keys = column[order]
        for k in np.nonzero(sorted_keys[1:] == sorted_keys[:-1])[0]:
            a, b = _find(parent, int(order[k])), _find(parent, int(order[k + 1]))
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = np.array([_find(parent, i) for i in range(n)])
    members: dict[int, list[int]] = {}
    for i in np.nonzero(roots != np.arange(n))[0]:
        members.setdefault(int(roots[i]), [int(roots[i])]).append(int(i))
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    mapping: dict[str, str] = {}
    for group in members.values():
        rep = min(group, key=lambda i: (published[i] or far_future, ids[i]))
        for i in group:
            mapping[ids[i]] = ids[rep]
    return mapping
