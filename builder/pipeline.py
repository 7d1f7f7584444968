"""The build: read -> validate -> normalize -> stage -> deduplicate -> split -> write -> describe."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from builder import describe
from builder.cache import FileCache, RecordCache
from builder.config import Config
from builder.dedup import deduplicate
from builder.engine import ChunkResult, StageConfig, chunked, run_dask, run_local, split_cached
from builder.outlets import load_registry
from builder.plan import make_plan
from builder.read import ReadInfo, Resume, read_units
from builder.records import SPLITS, Quarantined
from builder.stage import StagingArea
from builder.stats import Stats
from builder.takedown import load_takedowns
from builder.write import write_splits

TMP_PREFIX = ".building-"


class BuildError(RuntimeError):
    """A build that cannot go on; the message says what to do."""


@dataclass
class BuildResult:
    out: Path
    counts: dict[str, int]
    splits: dict[str, int]
    files: dict[str, int]
    quarantine_reasons: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        lines = [
            (f"read {c['read']} = published {c['published']} + quarantined {c['quarantined']} "
             f"+ duplicates {c['duplicates']} + takedowns {c['takedowns']}"),
            "splits: " + ", ".join(f"{s} {self.splits[s]}" for s in SPLITS),
        ]
        if self.quarantine_reasons:
            lines.append("quarantined by reason: " + ", ".join(f"{r} {n}" for r, n in sorted(self.quarantine_reasons.items())))
        lines.append(f"release written to {self.out}")
        return "\n".join(lines)


def _tmp_dir(out: Path, kind: str = "") -> Path:
    """A temporary next to `out`, named by this process: the build itself, or (kind "old" or
    "trash") a release moved aside to be put back or to be deleted."""
    return out.parent / f"{TMP_PREFIX}{out.name}-{os.getpid()}{'-' + kind if kind else ''}"


def _leftovers(out: Path) -> list[tuple[Path, int, str]]:
    """(path, pid, kind) of every temporary of `out`, matched by exact name, never by pattern:
    an output name may hold glob characters or look like another output's temporary."""
    prefix = f"{TMP_PREFIX}{out.name}-"
    found = []
    for path in out.parent.iterdir():
        if path.name.startswith(prefix):
            pid, _, kind = path.name[len(prefix) :].partition("-")
            if pid.isascii() and pid.isdigit() and kind in ("", "old", "trash"):
                found.append((path, int(pid), kind))
    return sorted(found)


def _clean_leftovers(out: Path) -> None:
    """Put back a release that a killed build had moved aside; remove what killed builds left."""
    dead = [(path, kind) for path, pid, kind in _leftovers(out) if pid != os.getpid() and not _alive(pid)]
    if not out.exists():
        # Killed between moving the old release aside and renaming the new one in: the old one
        # is intact under "-old" (a release being deleted is renamed "-trash" first).
        old = [path for path, kind in dead if kind == "old"]
        if old:
            keep = max(old, key=lambda p: p.stat().st_mtime)
            os.rename(keep, out)
            dead.remove((keep, "old"))
    for path, _ in dead:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # no process can have this id
        return False
    return True


def build(
    raw: Path,
    out: Path,
    config: Config,
    *,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build one release of `raw` into `out`, replacing it only once the new one is complete."""
    if not raw.is_dir():
        raise BuildError(f"raw directory {raw} does not exist or is not a directory")
    out = out.resolve()
    if out == raw.resolve() or raw.resolve().is_relative_to(out):
        raise BuildError(f"--out {out} must not contain the raw directory")
    if out.is_relative_to(raw.resolve()):
        # The release (and the build's temporaries) would be read back as raw input.
        raise BuildError(f"--out {out} must not be inside the raw directory {raw.resolve()}")
    if len(os.fsencode(_tmp_dir(out, "trash").name)) > 255:
        raise BuildError(f"--out name {out.name!r} is too long for the temporary names beside it")
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "MANIFEST.json").is_file())):
        raise BuildError(f"--out {out} exists and is not a release (no MANIFEST.json); choose an empty or new directory")
    tmp = _tmp_dir(out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        runner = _runner(engine, workers, scheduler)
        result = _build_into(raw, tmp, config, runner, progress or (lambda _: None), cache)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.out = out
    return result


def _runner(engine: str, workers: int, scheduler: str | None) -> Callable:
    """Who runs the per-record stage; everything after it is the same code for every engine."""
    if engine == "local":
        return lambda chunks, stage_config, entries: run_local(chunks, stage_config, workers, entries)
    if engine == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise BuildError("--engine dask needs the dask extra: pip install 'news-corpus-builder[dask]'") from None
        return lambda chunks, stage_config, entries: run_dask(chunks, stage_config, scheduler, workers, entries)
    raise BuildError(f"unknown engine {engine!r}; use 'local' or 'dask'")


def _build_into(raw: Path, tmp: Path, config: Config, runner: Callable, progress: Callable[[str], None],
                cache: Path | None = None) -> BuildResult:
    takedowns = load_takedowns(config.takedowns, load_registry())
    staging = StagingArea(tmp / ".staging")
    quarantined: list[Quarantined] = []
    read = 0
    stage_config = StageConfig(limits=config.limits, near_duplicates=config.near_duplicates)
    record_cache = RecordCache(cache, stage_config) if cache else None
    file_cache = FileCache(cache, stage_config) if cache else None
    # SHA-256 of each raw file, from the bytes read: the provenance fingerprint needs no re-read.
    raw_digests: dict[str, str] = {}
    # Wall-clock time only feeds the progress line, never a file of the release.
    started = time.monotonic()

    def take(result: ChunkResult) -> None:
        nonlocal read
        batch, rejected, entries = result
        staging.add(batch)
        quarantined.extend(rejected)
        read += batch.num_rows + len(rejected)
        if entries is not None and record_cache is not None:
            record_cache.put(entries)
        if file_cache is not None:
            file_cache.observe(batch, rejected)
        elapsed = max(time.monotonic() - started, 1e-9)
        hits = f", {record_cache.hits + file_cache.hits} from cache" if record_cache and file_cache else ""
        progress(f"[read/normalize] {read:,} records, {read / elapsed:,.0f}/s, {len(quarantined):,} quarantined{hits}")

    def skip_file(rel: str, path: Path) -> bool | Resume:
        """A file the cache holds whole (its rows join staging where they lie, unread: True),
        or the first lines of (then the rest is read from where they end: a Resume)."""
        nonlocal read
        assert file_cache is not None
        found = file_cache.lookup(rel, path, staging.schema)
        if found is None:
            return False
        for rows_file, bucket, index, _ in found.batches:
            staging.attach(bucket, rows_file, index)
        quarantined.extend(found.quarantined)
        read += sum(rows for *_, rows in found.batches) + len(found.quarantined)
        if found.resume is not None:
            return found.resume
        raw_digests[rel] = found.sha256
        return True

    def file_read(rel: str, sha: str, info: ReadInfo) -> None:
        raw_digests[rel] = sha
        if file_cache is not None:
            file_cache.file_read(rel, sha, info)

    try:
        units = read_units(raw, config.limits.max_record_bytes, skip_file if file_cache else None, file_read)
        chunks = chunked(units, config.batch_rows)
        if record_cache is not None:
            chunks = split_cached(chunks, record_cache, take)
        for result in runner(chunks, stage_config, record_cache is not None):
            take(result)
        if file_cache is not None:
            file_cache.commit()
    finally:
        # Each is closed even if closing another fails (the record cache commits as it closes).
        with ExitStack() as closing:
            if file_cache is not None:
                closing.callback(file_cache.close)
            if record_cache is not None:
                closing.callback(record_cache.close)
            closing.callback(staging.close)
    with _large_buffer_pool():
        progress(f"[dedup/cluster] {read:,} records read, {len(quarantined):,} quarantined")
        dedup = deduplicate(staging)
        plan = make_plan(dedup, staging, takedowns, config.near_duplicates, config.splits)
        dedup.kept = None  # the key columns are not needed past the plan; free them before writing
        pa.default_memory_pool().release_unused()
        stats = Stats()
        progress(f"[write] {sum(plan.split_counts.values()):,} articles to Parquet")
        data_files = write_splits(staging, plan, tmp, config.output, stats.observe)
    shutil.rmtree(staging.directory)

    quarantined.sort(key=lambda q: (q.file, q.line, q.reason, q.pointer))
    _write_jsonl(tmp / "quarantine.jsonl", (q.model_dump() for q in quarantined))
    _write_jsonl(tmp / "duplicates.jsonl", (d.as_dict() for d in dedup.duplicates))
    _write_jsonl(tmp / "takedowns.jsonl", plan.taken_down)
    counts = {"read": read, "published": stats.rows, "quarantined": len(quarantined),
              "duplicates": len(dedup.duplicates), "takedowns": len(plan.taken_down)}
    if counts["read"] != counts["published"] + counts["quarantined"] + counts["duplicates"] + counts["takedowns"]:
        raise BuildError(f"counts do not reconcile: {counts}")
    splits = {s: stats.per_split.get(s, 0) for s in SPLITS}
    reasons = Counter(q.reason for q in quarantined)
    describe.write_release_docs(tmp, config, raw, counts, splits, data_files, stats, reasons, len(dedup.duplicates),
                                takedowns=plan.taken_down, raw_digests=raw_digests)
    return BuildResult(out=tmp, counts=counts, splits=splits, files=data_files, quarantine_reasons=reasons)


@contextmanager
def _large_buffer_pool() -> Iterator[None]:
    """Arrow's jemalloc pool, where this pyarrow has one, for the global stages: they read,
    sort, copy and encode the whole corpus in buffers of megabytes, and with jemalloc the
    kernel spends about half as long handing pages back and forth as with the default pool.
    (The per-record stage, many small batches, is faster with the default pool, so it keeps
    it.) A pool named in ARROW_DEFAULT_MEMORY_POOL is left alone; the output bytes do not
    depend on the pool."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError):
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            text = json.dumps(row, ensure_ascii=False, sort_keys=True)
            # Readers that split on str.splitlines() would break a record at these.
            for char in ("\u0085", "\u2028", "\u2029"):
                text = text.replace(char, f"\\u{ord(char):04x}")
            handle.write(text + "\n")


def _fsync_tree(root: Path) -> None:
    """Flush a finished release to disk, so a power cut after the rename cannot leave it empty."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            _fsync(Path(dirpath) / name)
        _fsync(Path(dirpath))


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory; the data files are synced
        pass
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE). False where the
    system or file system cannot; a failed exchange changes nothing, so the caller falls back."""
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (ImportError, OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Put the finished release at `out`. An existing release is replaced, and never lost.

    Where the system can, the old and the new release trade places in one atomic step. Elsewhere
    the old one is renamed aside to "-old" and the new one renamed in; a build killed between
    the two renames leaves "-old", which the next build of `out` puts back.
    """
    _fsync_tree(tmp)
    if not out.exists():
        os.rename(tmp, out)
    elif _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # it holds the old release now
    else:
        old = _tmp_dir(out, "old")
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        # Renamed before deleting, so a half-deleted release is never taken for one to restore.
        trash = _tmp_dir(out, "trash")
        os.rename(old, trash)
        shutil.rmtree(trash, ignore_errors=True)
    _fsync(out.parent)
