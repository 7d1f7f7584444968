"""Who runs the per-record stage: this process, or a pool of worker processes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

import pyarrow as pa

from builder.cache import CacheEntries, RecordCache, make_entries, unit_key
from builder.cluster import NearDupConfig, band_keys, band_keys_many
from builder.process import process_batch
from builder.records import Article, Quarantined, RawUnit
from builder.stage import staging_schema, to_batch
from builder.validate import Limits

Chunk = list[RawUnit | Quarantined]
ChunkResult = tuple[pa.RecordBatch, list[Quarantined], CacheEntries | None]
MAX_CHUNK_BYTES = 32 << 20


@dataclass(frozen=True)
class StageConfig:
    """What the per-record stage needs from the config; small and picklable for workers."""

    limits: Limits = field(default_factory=Limits)
    near_duplicates: NearDupConfig = field(default_factory=NearDupConfig)


def process_chunk(chunk: Chunk, config: StageConfig, cache_entries: bool = False) -> ChunkResult:
    """Run the per-record stage over a chunk: an Arrow batch, the quarantine, and (when asked)
    the record cache's entries for its records."""
    articles, quarantined = [], []
    row_keys: list[bytes] = []
    rejected: list[tuple[bytes, Quarantined]] = []
    done = list(zip(chunk, process_batch(chunk, config.limits)))
    good = [(unit, result) for unit, result in done if isinstance(result, Article)]
    all_bands = _bands_of([article.text for _, article in good], config.near_duplicates)
    signed = iter(all_bands)
    for unit, result in done:
        if isinstance(result, Article):
            bands = next(signed)
            if isinstance(bands, Exception):
                result = Quarantined(file=unit.source, line=unit.line, reason="normalizer_error",
                                     message=f"near-duplicate signature failed: {type(bands).__name__}: {bands}"[:300])
                quarantined.append(result)
                continue  # not cached: the next build tries again
            articles.append((result, unit.source, unit.line, bands))
            if cache_entries:
                row_keys.append(unit_key(unit))
        else:
            quarantined.append(result)
            if cache_entries and isinstance(unit, RawUnit):
                rejected.append((unit_key(unit), result))
    batch = to_batch(articles)
    return batch, quarantined, make_entries(batch, row_keys, rejected) if cache_entries else None


def _bands_of(texts: list[str], config: NearDupConfig) -> list[list[int] | Exception]:
    """Band keys of every body, computed together; if that fails, body by body, so only the
    body that fails is lost (to the quarantine)."""
    try:
        return list(band_keys_many(texts, config))
    except Exception:  # noqa: BLE001 - a record must never stop the build or vanish
        keys: list[list[int] | Exception] = []
        for text in texts:
            try:
                keys.append(band_keys(text, config))
            except Exception as exc:  # noqa: BLE001
                keys.append(exc)
        return keys


def split_cached(chunks: Iterable[Chunk], cache: RecordCache, on_hits) -> Iterator[Chunk]:
    """Pass on only the records the cache does not hold; hand the others' rows and quarantine
    entries to `on_hits`."""
    schema = staging_schema()
    for chunk in chunks:
        if cache.started_empty:
            cache.misses += len(chunk)
            yield chunk
            continue
        keys = [unit_key(u) if isinstance(u, RawUnit) else None for u in chunk]
        found = cache.get_many([k for k in keys if k])
        hit_at = [i for i, k in enumerate(keys) if k in found]
        missed = [i for i, k in enumerate(keys) if k not in found]
        if hit_at:
            batch, quarantined, lost = cache.restore([chunk[i] for i in hit_at], [found[keys[i]] for i in hit_at], schema)
            if lost:  # rows the cache can no longer read are processed again
                missed = sorted(missed + [hit_at[j] for j in lost])
            cache.hits += len(hit_at) - len(lost)
            on_hits((batch, quarantined, None))
        cache.misses += len(missed)
        if missed:
            yield [chunk[i] for i in missed]


def chunked(units: Iterable[RawUnit | Quarantined], rows: int) -> Iterator[Chunk]:
    """Bounded chunks, by count and by bytes, so memory never grows with the corpus."""
    chunk: Chunk = []
    size = 0
    for unit in units:
        chunk.append(unit)
        size += len(unit.data) if isinstance(unit, RawUnit) else 0
        if len(chunk) >= rows or size >= MAX_CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def run_local(chunks: Iterable[Chunk], config: StageConfig, workers: int, cache_entries: bool = False) -> Iterator[ChunkResult]:
    """Results of every chunk, in any order; at most 2 chunks per worker in flight."""
    if workers <= 1:
        for chunk in chunks:
            yield process_chunk(chunk, config, cache_entries)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: set[Future[ChunkResult]] = set()
        for chunk in chunks:
            pending.add(pool.submit(process_chunk, chunk, config, cache_entries))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        for future in pending:
            yield future.result()


def run_dask(chunks: Iterable[Chunk], config: StageConfig, scheduler: str | None, workers: int,
             cache_entries: bool = False) -> Iterator[ChunkResult]:
    """Results of every chunk computed on a Dask cluster: the scheduler at `scheduler`, or a
    local cluster of `workers` single-threaded processes. Results come back in any order; the
    global stages sort, so the release is the same bytes as the local engine's."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        limit = max(2, 2 * len(client.scheduler_info().get("workers", {})) or 2 * workers)
        pending = as_completed()
        in_flight = 0
        for chunk in chunks:
            pending.add(client.submit(process_chunk, chunk, config, cache_entries, pure=False))
            in_flight += 1
            while in_flight >= limit:
                future = next(pending)
                in_flight -= 1
                yield future.result()
                future.release()
        for future in pending:
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
