"""Near-duplicate clusters: MinHash signatures per record, LSH band keys, union-find on collisions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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


_SPACE = 32
_BMP = 0x10000


@cache
def _bmp_word_chars() -> np.ndarray:
    """Which Basic Multilingual Plane code points `re`'s `\\w` matches (alnum or underscore)."""
    return np.array([chr(c).isalnum() or c == 0x5F for c in range(_BMP)], dtype=bool)


def _is_word(points: np.ndarray) -> np.ndarray:
    table = _bmp_word_chars()
    astral = points >= _BMP
    if not astral.any():
        return table[points]
    word = table[np.where(astral, 0, points)]
    word[astral] = [chr(c).isalnum() for c in points[astral].tolist()]
    return word


_MASK32 = np.uint64(0xFFFFFFFF)


def _words(seed: int, purpose: str, count: int) -> np.ndarray:
    """`count` 64-bit parameters drawn from SHAKE-256 of (seed, purpose): the same on every
    machine and for every numpy version, unlike a seeded generator's stream."""
    digest = hashlib.shake_256(f"builder.cluster:{seed}:{purpose}".encode()).digest(8 * count)
    return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


def _inverse(odd: int) -> int:
    """The inverse of an odd number modulo 2**64 (Newton's iteration)."""
    x = odd
    for _ in range(6):
        x = (x * (2 - odd * x)) % (1 << 64)
    return x


@dataclass(frozen=True)
class _Params:
    base: np.uint64  # odd multiplier of the polynomial shingle hash
    inverse: np.uint64
    mult: np.ndarray  # (num_perm,) odd uint32: permutation p is x -> mult[p] * x + add[p] mod 2**32
    add: np.ndarray
    band_mult: np.ndarray  # (bands, rows) odd uint64, folding a band's rows into one key
    band_salt: np.ndarray  # (bands,) uint64, so one sorted column can hold every band's keys


@cache
def _params(num_perm: int, bands: int, seed: int) -> _Params:
    base = int(_words(seed, "base", 1)[0]) | 1
    perms = _words(seed, "permutations", 2 * num_perm)
    return _Params(
        base=np.uint64(base),
        inverse=np.uint64(_inverse(base)),
        mult=((perms[:num_perm] & _MASK32) | np.uint64(1)).astype(np.uint32),
        add=(perms[num_perm:] & _MASK32).astype(np.uint32),
        band_mult=(_words(seed, "bands", num_perm) | np.uint64(1)).reshape(bands, num_perm // bands),
        band_salt=_words(seed, "salt", bands),
    )


_powers: dict[np.uint64, tuple[np.ndarray, np.ndarray]] = {}


def _power_tables(params: _Params, n: int) -> tuple[np.ndarray, np.ndarray]:
    """base**i and inverse**i (mod 2**64) for i < n, grown by doubling and kept."""
    have = _powers.get(params.base)
    if have is None or have[0].size < n:
        size = max(n, 1024, 2 * (have[0].size if have else 0))
        with np.errstate(over="ignore"):
            up = np.cumprod(np.full(size, params.base, dtype=np.uint64))
            down = np.cumprod(np.full(size, params.inverse, dtype=np.uint64))
        one = np.ones(1, dtype=np.uint64)
        have = _powers[params.base] = (np.concatenate((one, up[:-1])), np.concatenate((one, down[:-1])))
    return have[0][:n], have[1][:n]


def _mix(h: np.ndarray) -> np.ndarray:
    """A 64-bit finalizer (the murmur3 one), in place, so nearby values spread over all bits."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def shingle_hashes(texts: list[str], shingle_words: int, params: _Params) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of each body's word `shingle_words`-grams, all bodies at once: the hashes,
    and where each body's run of them starts.

    A body's words are its casefolded text's `\\w+` runs. Joined by single spaces they make
    one string; each shingle is a span of its code points, hashed with a polynomial hash from
    prefix sums, so no string is built per shingle and no Python code runs per word. A body
    with fewer words than a shingle is one shingle; a body with none hashes the empty string.
    """
    # NUL (not a word character) between bodies, so no word runs from one body into the next.
    folded = [t.casefold() for t in texts]  # casefolding can change a text's length
    points = np.frombuffer("\0".join(folded).encode("utf-32-le"), dtype=np.uint32)
    body_starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum([len(t) + 1 for t in folded[:-1]], out=body_starts[1:])
    word = _is_word(points)
    after_word = np.zeros_like(word)
    after_word[1:] = word[:-1]
    word_starts = np.flatnonzero(word & ~after_word)
    # Keep every word character and the first character after each word, as a space.
    joined = np.where(word, points, np.uint32(_SPACE))[word | (after_word & ~word)]
    n = joined.size
    up, down = _power_tables(params, n + 1)
    gaps = np.flatnonzero(joined == _SPACE)
    starts = np.concatenate(([0], gaps[:-1] + 1)) if gaps.size == word_starts.size else np.concatenate(([0], gaps + 1))
    ends = gaps if gaps.size == word_starts.size else np.concatenate((gaps, [n]))
    # Words per body, and each body's shingles as (first word, last word) pairs.
    counts = np.bincount(np.searchsorted(body_starts, word_starts, side="right") - 1, minlength=len(texts))
    first_word = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(counts[:-1], out=first_word[1:])
    k = shingle_words
    per_body = np.maximum(counts - k + 1, 1)
    offsets = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(per_body[:-1], out=offsets[1:])
    body = np.repeat(np.arange(len(texts)), per_body)
    local = np.arange(body.size) - offsets[body]
    lo = first_word[body] + local
    hi = first_word[body] + np.minimum(local + k - 1, counts[body] - 1)
    empty = counts[body] == 0
    lo, hi = np.where(empty, 0, lo), np.where(empty, 0, hi)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum((joined.astype(np.uint64) + np.uint64(1)) * up[:n], out=prefix[1:])
        if word_starts.size:
            spans = (prefix[ends[hi]] - prefix[starts[lo]]) * down[starts[lo]]
            spans[empty] = 0
        else:
            spans = np.zeros(body.size, dtype=np.uint64)
        return (_mix(spans) >> np.uint64(32)).astype(np.uint32), offsets


def minhash(hashes: np.ndarray, params: _Params, offsets: np.ndarray | None = None) -> np.ndarray:
    """MinHash signatures: per permutation x -> a*x + b (mod 2**32), the least image over each
    body's run of `hashes` (runs start at `offsets`; one run when None). Rows are bodies."""
    with np.errstate(over="ignore"):
        # Permutations x hashes, so each body's run is contiguous in memory for the reduction;
        # one matrix, added to in place.
        images = np.multiply(params.mult[:, None], hashes[None, :])
        images += params.add[:, None]
    if offsets is None:
        return images.min(axis=1)
    return np.minimum.reduceat(images, offsets, axis=1).T


# Bodies hashed together: bounds the (permutations x shingles) matrix to a few MB, which
# stays in the CPU's cache (at 256k characters it took 1.7x as long).
_BATCH_CHARS = 1 << 16


def band_keys_many(texts: list[str], config: NearDupConfig) -> list[list[int]]:
    """LSH band keys of each body: equal keys in one band mark a near-duplicate candidate.

    MinHash with `num_perm` permutations of the shingle hashes; each band's rows of the
    signature are folded into one 64-bit key, with the band's index mixed in."""
    if not config.enabled:
        return [[] for _ in texts]
    params = _params(config.num_perm, config.bands, config.seed)
    keys: list[list[int]] = []
    i = 0
    while i < len(texts):
        j, size = i, 0
        while j < len(texts) and (j == i or size + len(texts[j]) <= _BATCH_CHARS):
            size += len(texts[j])
            j += 1
        hashes, offsets = shingle_hashes(texts[i:j], config.shingle_words, params)
        signatures = minhash(hashes, params, offsets).astype(np.uint64).reshape(j - i, config.bands, -1)
        with np.errstate(over="ignore"):
            folded = (signatures * params.band_mult[None, :, :]).sum(axis=2) ^ params.band_salt[None, :]
        keys.extend(_mix(folded).tolist())
        i = j
    return keys


def band_keys(text: str, config: NearDupConfig) -> list[int]:
    """The LSH band keys of one body (see `band_keys_many`)."""
    return band_keys_many([text], config)[0]


def _union(parent: np.ndarray, a: int, b: int) -> None:
    """Join the sets of a and b; a set's root is its smallest index."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    while parent[b] != b:
        parent[b] = parent[parent[b]]
        b = parent[b]
    if a != b:
        parent[max(a, b)] = min(a, b)


def representatives(published: pa.Array | pa.ChunkedArray, bands: np.ndarray) -> np.ndarray:
    """For each article (rows in id order), the row of its cluster's representative.

    `bands` is the (articles x bands) matrix of LSH keys; rows colliding in any band are joined.
    Each band is sorted on its own, so memory is one column of keys at a time. The
    representative is the earliest published member (undated ones after dated), then the
    smallest id (the first row), so a later re-publication rarely changes it. An article with
    no near-duplicate is its own representative. No Python code runs per article, only per
    collision.
    """
    n = bands.shape[0]
    parent = np.arange(n, dtype=np.int64)
    if n < 2 or bands.size == 0:
        return parent
    for band in range(bands.shape[1]):
        column = bands[:, band]
        order = np.argsort(column, kind="stable")
        sorted_keys = column[order]
        for k in np.nonzero(sorted_keys[1:] == sorted_keys[:-1])[0]:
            _union(parent, int(order[k]), int(order[k + 1]))
    # Every parent index is smaller than its child's: pointer jumping reaches the roots.
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            break
        parent = jumped
    roots = parent
    sizes = np.bincount(roots, minlength=n)
    members = np.flatnonzero(sizes[roots] > 1)
    reps = np.arange(n, dtype=np.int64)
    if members.size == 0:
        return reps
    when = pa.chunked_array([published]) if isinstance(published, pa.Array) else published
    when = when.take(pa.array(members))
    undated = pc.is_null(when).to_numpy(zero_copy_only=False)
    micros = pc.fill_null(pc.cast(when, pa.int64()), 0).to_numpy(zero_copy_only=False)
    # Sorted by cluster, then dated before undated, then time, then row (= id order).
    order = np.lexsort((members, micros, undated, roots[members]))
    ranked = members[order]
    first = np.ones(ranked.size, dtype=bool)
    first[1:] = roots[ranked[1:]] != roots[ranked[:-1]]
    rep_of_root = np.zeros(n, dtype=np.int64)
    rep_of_root[roots[ranked[first]]] = ranked[first]
    reps[members] = rep_of_root[roots[members]]
    return reps
