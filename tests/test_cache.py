"""The incremental cache: same bytes as a clean build, and records are not processed twice."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
from pathlib import Path

from builder import describe, engine, read
from builder.config import load_config
from builder.pipeline import build
from tests.conftest import copy_seed, release_bytes, write_jsonl
from tests.synthetic import make_article, write_corpus


def _count_processed(monkeypatch) -> list[int]:
    """From now on (until monkeypatch.undo()), the size of every batch that goes through
    validation and normalization."""
    processed: list[int] = []
    original = engine.process_batch
    monkeypatch.setattr(engine, "process_batch", lambda units, limits: processed.append(len(units)) or original(units, limits))
    return processed


def _entries(cache: Path) -> list[Path]:
    """The whole-file entries in a cache directory (not the index of versions by path)."""
    return [p for p in cache.glob("files-*/*") if p.name != "paths"]


def _rebuild_with_cache(tmp_path: Path, config, cache: Path, monkeypatch) -> int:
    """Build tmp_path/raw with the cache and without it: check that the two releases are the
    same bytes, and return how many records the cached build validated and normalized."""
    processed = _count_processed(monkeypatch)
    build(tmp_path / "raw", tmp_path / "cached", config, cache=cache)
    monkeypatch.undo()
    build(tmp_path / "raw", tmp_path / "clean", config)
    assert release_bytes(tmp_path / "cached") == release_bytes(tmp_path / "clean")
    return sum(processed)


def test_cached_rebuild_is_byte_identical_and_skips_work(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    write_corpus(tmp_path / "raw", 80, seed=21, bad_every=10)
    copy_seed(tmp_path / "raw")
    config = load_config(config_file)
    cache = tmp_path / "cache"
    build(tmp_path / "raw", tmp_path / "first", config, cache=cache)

    # One percent-ish new: two records added in a new file.
    rng = random.Random(99)
    write_jsonl(tmp_path / "raw" / "new.jsonl", [make_article(rng, 10_000 + i) for i in range(2)])
    processed = _count_processed(monkeypatch)
    opened: list[str] = []
    original_read = read._jsonl_units
    monkeypatch.setattr(read, "_jsonl_units", lambda rel, *a: opened.append(rel) or original_read(rel, *a))
    build(tmp_path / "raw", tmp_path / "cached", config, cache=cache)
    assert sum(processed) == 2  # only the new records went through validation and normalization
    assert opened == ["new.jsonl"]  # the unchanged file came whole from the cache, unread

    monkeypatch.undo()
    build(tmp_path / "raw", tmp_path / "clean", config)
    assert release_bytes(tmp_path / "cached") == release_bytes(tmp_path / "clean")
    # The provenance fingerprint, taken from the bytes read or looked up, is a fresh hash's.
    manifest = json.loads((tmp_path / "cached" / "MANIFEST.json").read_text())
    assert manifest["raw_fingerprint"] == "sha256:" + describe.raw_fingerprint(tmp_path / "raw")[0]
    # Entries appear whole, by rename: nothing half-written or pending is left behind.
    entries = _entries(cache)
    assert entries and all((p / "meta.json").is_file() for p in entries)


def test_appended_file_reuses_its_records(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """A file that grew is read again, but only its new records are processed."""
    write_corpus(tmp_path / "raw", 40, seed=24, bad_every=7)
    config = load_config(config_file)
    cache = tmp_path / "cache"
    build(tmp_path / "raw", tmp_path / "first", config, cache=cache)
    rng = random.Random(5)
    with (tmp_path / "raw" / "part-00000.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(make_article(rng, 20_000)) + "\n")
    assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == 1


def test_file_changed_while_read_is_not_cached(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """When the bytes read are not the bytes looked up, no whole-file entry is written."""
    import builder.cache as cache_module

    write_corpus(tmp_path / "raw", 10, seed=25)
    config = load_config(config_file)
    monkeypatch.setattr(cache_module, "file_sha256_with_prefixes", lambda path, sizes: ("0" * 64, {}))
    build(tmp_path / "raw", tmp_path / "a", config, cache=tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").glob("files-*/*")]


def test_cache_is_not_used_across_normalizer_versions(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    import builder.cache as cache_module

    write_corpus(tmp_path / "raw", 10, seed=22)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "a", config, cache=tmp_path / "cache")
    monkeypatch.setattr(cache_module, "NORMALIZER_VERSION", "999.0.0")
    processed = _count_processed(monkeypatch)
    build(tmp_path / "raw", tmp_path / "b", config, cache=tmp_path / "cache")
    assert sum(processed) == 10


def test_cache_moves_with_file_layout(tmp_path: Path, config_file: Path) -> None:
    write_corpus(tmp_path / "raw", 12, seed=23, bad_every=5)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "a", config, cache=tmp_path / "cache")
    (tmp_path / "raw" / "sub").mkdir()
    shutil.move(tmp_path / "raw" / "part-00000.jsonl", tmp_path / "raw" / "sub" / "moved.jsonl")
    build(tmp_path / "raw", tmp_path / "cached", config, cache=tmp_path / "cache")
    build(tmp_path / "raw", tmp_path / "clean", config)
    # Quarantine entries name the new file even when they come from the cache.
    assert release_bytes(tmp_path / "cached") == release_bytes(tmp_path / "clean")
    assert "sub/moved.jsonl" in (tmp_path / "cached" / "quarantine.jsonl").read_text()


def test_cache_entries_written_in_many_small_batches_rebuild_the_same(tmp_path: Path, config_file: Path,
                                                                       monkeypatch) -> None:
    """A file's rows are regrouped by bucket in bounded memory; flushing after every piece
    gives many batches per bucket, and the rebuild from them is still a clean build's bytes."""
    import builder.cache as cache_module

    write_corpus(tmp_path / "raw", 60, seed=26, bad_every=9)
    config = dataclasses.replace(load_config(config_file), batch_rows=7)
    monkeypatch.setattr(cache_module, "_REBUCKET_BYTES", 1)
    build(tmp_path / "raw", tmp_path / "fill", config, cache=tmp_path / "cache")
    [entry] = _entries(tmp_path / "cache")
    layout = json.loads((entry / "meta.json").read_text())["layout"]
    assert len(layout) > len({bucket for bucket, _, _ in layout})  # several batches for some bucket
    build(tmp_path / "raw", tmp_path / "cached", config, cache=tmp_path / "cache")
    build(tmp_path / "raw", tmp_path / "clean", config)
    assert release_bytes(tmp_path / "cached") == release_bytes(tmp_path / "clean")


def test_work_left_by_a_killed_build_is_removed(tmp_path: Path, config_file: Path) -> None:
    """A build killed mid-way leaves its pending directory; the next build on this host removes
    it when its process is gone, and leaves a live build's alone."""
    import subprocess
    import sys

    from builder.cache import FileCache, _pending_prefix
    from builder.engine import StageConfig

    write_corpus(tmp_path / "raw", 5, seed=27)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "a", config, cache=tmp_path / "cache")
    [root] = list((tmp_path / "cache").glob("files-*"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    abandoned = root / f"{_pending_prefix()}{dead}-x"
    (abandoned / "entry-y").mkdir(parents=True)
    live = root / f"{_pending_prefix()}{os.getpid()}-z"
    live.mkdir()
    other_host = root / "pending-otherhost-1-w"
    other_host.mkdir()
    cache = FileCache(tmp_path / "cache", StageConfig(limits=config.limits, near_duplicates=config.near_duplicates))
    cache.close()
    assert not abandoned.exists() and live.exists() and other_host.exists()


def test_records_of_a_build_that_failed_later_are_kept(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """Record results are committed in thousands, not chunk by chunk; a build that fails after
    the per-record stage still leaves them in the cache, so the next build does not redo them."""
    write_corpus(tmp_path / "raw", 30, seed=31, bad_every=6)
    config = load_config(config_file)
    cache = tmp_path / "cache"

    from builder import pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "deduplicate", broken)
    try:
        build(tmp_path / "raw", tmp_path / "first", config, cache=cache)
    except RuntimeError as exc:
        assert "disk on fire" in str(exc)
    else:
        raise AssertionError("the build should have failed")
    monkeypatch.undo()
    shutil.rmtree(next(cache.glob("files-*")))  # only the per-record cache can serve the next build

    assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == 0


def test_record_cache_commits_in_thousands(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    from builder import cache as cache_module

    monkeypatch.setattr(cache_module, "COMMIT_EVERY", 3)
    records = cache_module.RecordCache(tmp_path, "config")
    other = sqlite3.connect(records.path)
    count = lambda: other.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    entries = lambda *keys: cache_module.CacheEntries(None, [], [(k, "{}") for k in keys])
    records.put(entries(b"a", b"b"))
    assert count() == 0  # not committed yet: another reader does not see them
    assert set(records.get_many([b"a", b"b", b"c"])) == {b"a", b"b"}  # but this build does
    records.put(entries(b"c"))
    assert count() == 3
    records.put(entries(b"d"))
    records.close()
    assert count() == 4
    other.close()


def test_builds_sharing_a_cache_wait_for_each_other(tmp_path: Path, monkeypatch) -> None:
    """Entries wait in memory between lots, so a build never holds SQLite's write lock across
    chunks: another build sharing the directory writes its own lot meanwhile, and a lot that
    meets another build's transaction waits for it instead of failing."""
    import sqlite3
    import threading

    from builder import cache as cache_module

    monkeypatch.setattr(cache_module, "COMMIT_EVERY", 2)
    entries = lambda *keys: cache_module.CacheEntries(None, [], [(k, "{}") for k in keys])
    first = cache_module.RecordCache(tmp_path, "config")
    second = cache_module.RecordCache(tmp_path, "config")
    first.put(entries(b"a1"))  # waits in memory
    second.put(entries(b"b1", b"b2"))  # a lot, written at once: nothing holds the lock
    writer = sqlite3.connect(first.path, check_same_thread=False, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a third build in the middle of writing its lot
    threading.Timer(0.5, lambda: writer.execute("COMMIT")).start()
    first.put(entries(b"a2"))  # a lot: waits for that transaction, then is written
    keys = [b"a1", b"a2", b"b1", b"b2"]
    assert set(first.get_many(keys)) == set(keys)
    first.close()
    second.close()
    writer.close()


def test_a_cache_that_cannot_commit_fails_the_build_and_cleans_up(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    import sqlite3

    from builder import cache as cache_module

    write_corpus(tmp_path / "raw", 8, seed=32)
    config = load_config(config_file)

    def full(self) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(cache_module.RecordCache, "commit", full)
    try:
        build(tmp_path / "raw", tmp_path / "out", config, cache=tmp_path / "cache")
    except sqlite3.OperationalError as exc:
        assert "disk is full" in str(exc)
    else:
        raise AssertionError("the build should have failed")
    assert not (tmp_path / "out").exists()
    # The whole-file cache was still closed: its work directory is gone, and no temporary
    # release is left beside the output.
    assert not list((tmp_path / "cache").glob("files-*/pending-*"))
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".building-")]


def _spy_reads(monkeypatch) -> list[tuple[str, int | None]]:
    """(file, offset it was read from, None for the start) of every JSONL file read."""
    reads: list[tuple[str, int | None]] = []
    original = read._jsonl_units

    def spy(rel, path, limit, on_read=None, resume=None):
        reads.append((rel, resume.offset if resume else None))
        return original(rel, path, limit, on_read, resume)

    monkeypatch.setattr(read, "_jsonl_units", spy)
    return reads


def _first_build(tmp_path: Path, config_file: Path, n: int, seed: int, **corpus) -> tuple[Path, object, Path]:
    """(its one raw file, the config, the cache) of a corpus of n records built once with a cache."""
    write_corpus(tmp_path / "raw", n, seed=seed, **corpus)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "first", config, cache=tmp_path / "cache")
    return tmp_path / "raw" / "part-00000.jsonl", config, tmp_path / "cache"


def _append(path: Path, records: list[dict]) -> None:
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def test_a_grown_file_is_read_only_from_where_it_grew(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """Lines appended to a file read before: the cache serves the old lines' results and only
    the new lines are read, again and again; the release is a clean build's bytes."""
    write_corpus(tmp_path / "raw", 30, seed=33, bad_every=7)
    part = tmp_path / "raw" / "part-00000.jsonl"
    part.write_bytes(b"\xef\xbb\xbf" + part.read_bytes())  # a BOM on line 1 stays line 1's business
    config = load_config(config_file)
    cache = tmp_path / "cache"
    build(tmp_path / "raw", tmp_path / "first", config, cache=cache)
    rng = random.Random(34)
    for day in range(3):
        size = part.stat().st_size
        _append(part, [make_article(rng, 30_000 + 10 * day + i) for i in range(3)] + [{"not": f"an article {day}"}])
        reads = _spy_reads(monkeypatch)
        processed = _count_processed(monkeypatch)
        build(tmp_path / "raw", tmp_path / f"day{day}", config, cache=cache)
        monkeypatch.undo()
        assert reads == [("part-00000.jsonl", size)]
        assert sum(processed) == 4  # the three new articles and the bad line
        build(tmp_path / "raw", tmp_path / f"clean{day}", config)
        assert release_bytes(tmp_path / f"day{day}") == release_bytes(tmp_path / f"clean{day}")
    # The last version is now known whole: nothing is read.
    reads = _spy_reads(monkeypatch)
    build(tmp_path / "raw", tmp_path / "again", config, cache=cache)
    assert reads == []
    assert release_bytes(tmp_path / "again") == release_bytes(tmp_path / "clean2")
    # Each grown version's entry holds only its own lines and names the version before it.
    metas = [json.loads((e / "meta.json").read_text()) for e in _entries(cache)]
    assert sorted(m["base"] is None for m in metas) == [False, False, False, True]
    assert sorted(sum(n for *_, n in m["layout"]) for m in metas if m["base"]) == [3, 3, 3]


def test_a_file_changed_before_its_end_or_without_a_last_line_end_is_read_whole(
        tmp_path: Path, config_file: Path, monkeypatch) -> None:
    part, config, cache = _first_build(tmp_path, config_file, 20, 35)
    rng = random.Random(36)

    # An earlier line edited, and a line appended: not a version grown by appending.
    lines = part.read_bytes().splitlines(keepends=True)
    lines[3] = json.dumps(make_article(rng, 40_000)).encode() + b"\n"
    part.write_bytes(b"".join(lines))
    _append(part, [make_article(rng, 40_001)])
    reads = _spy_reads(monkeypatch)
    assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == 2
    assert reads == [("part-00000.jsonl", None)]

    # A version whose last line had no line end cannot be grown from: the next line may
    # continue it.
    part.write_bytes(part.read_bytes().rstrip(b"\n"))
    build(tmp_path / "raw", tmp_path / "unended", config, cache=cache)
    _append(part, [{"not": "an article"}])  # glued to the unended last line: one invalid line
    reads = _spy_reads(monkeypatch)
    shutil.rmtree(tmp_path / "cached")
    shutil.rmtree(tmp_path / "clean")
    _rebuild_with_cache(tmp_path, config, cache, monkeypatch)
    assert reads == [("part-00000.jsonl", None)]


def test_a_missing_version_to_grow_from_means_reading_the_file_whole(
        tmp_path: Path, config_file: Path, monkeypatch) -> None:
    part, config, cache = _first_build(tmp_path, config_file, 20, 37)
    [entry] = _entries(cache)
    shutil.rmtree(entry)
    _append(part, [make_article(random.Random(38), 50_000)])
    reads = _spy_reads(monkeypatch)
    assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == 1  # the others from the record cache
    assert reads == [("part-00000.jsonl", None)]


def test_growth_chains_stay_bounded(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """An entry grows from at most MAX_GROWTH_CHAIN versions in a row: past that, the file is read
    from an earlier version with a shorter chain (here the first one), never from mid-line."""
    from builder import cache as cache_module

    part, config, cache = _first_build(tmp_path, config_file, 15, 39)
    rng = random.Random(40)
    ends, offsets = [part.stat().st_size], []
    for day in range(4):
        _append(part, [make_article(rng, 60_000 + day)])
        monkeypatch.setattr(cache_module, "MAX_GROWTH_CHAIN", 2)
        reads = _spy_reads(monkeypatch)
        build(tmp_path / "raw", tmp_path / f"day{day}", config, cache=cache)
        monkeypatch.undo()
        [(_, offset)] = reads
        offsets.append(ends.index(offset))  # which earlier version it was read on from
        ends.append(part.stat().st_size)
        build(tmp_path / "raw", tmp_path / f"clean{day}", config)
        assert release_bytes(tmp_path / f"day{day}") == release_bytes(tmp_path / f"clean{day}")
    assert offsets == [0, 1, 1, 1]  # days 2 and 3: the versions of days 1 and 2 have full chains

    def links(entry: str) -> int:
        base = json.loads((next(cache.glob("files-*")) / entry / "meta.json").read_text())["base"]
        return 0 if base is None else 1 + links(base)

    assert max(links(e.name) for e in _entries(cache)) == 2


def test_a_reordered_file_is_served_row_by_row_from_the_record_cache(tmp_path: Path, config_file: Path,
                                                                     monkeypatch) -> None:
    """A file rewritten in another order, with one record edited, is read again; every other
    record (quarantined ones too) comes from the record cache's stored rows, with the file and
    line where it is now, even when each stored batch must be decoded again for every hit."""
    from builder import cache as cache_module

    write_corpus(tmp_path / "raw", 40, seed=41, bad_every=6)
    config = dataclasses.replace(load_config(config_file), batch_rows=7)
    cache = tmp_path / "cache"
    build(tmp_path / "raw", tmp_path / "first", config, cache=cache)
    part = tmp_path / "raw" / "part-00000.jsonl"
    lines = part.read_bytes().splitlines(keepends=True)
    random.Random(42).shuffle(lines)
    lines[0] = json.dumps(make_article(random.Random(43), 60_000)).encode() + b"\n"
    part.write_bytes(b"".join(lines))
    monkeypatch.setattr(cache_module, "_DECODED_BYTES", 1)
    assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == 1


def test_damaged_record_cache_rows_are_processed_again(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """Stored rows that cannot be read (damaged bytes, a missing batch, a bad quarantine entry)
    are not served: those records are validated and normalized again, and the release is a
    clean build's."""
    import sqlite3

    write_corpus(tmp_path / "raw", 30, seed=44, bad_every=5)
    config = dataclasses.replace(load_config(config_file), batch_rows=10)
    cache = tmp_path / "cache"
    build(tmp_path / "raw", tmp_path / "first", config, cache=cache)
    for entry in cache.glob("files-*"):
        shutil.rmtree(entry)  # only the record cache can serve the next build
    [path] = cache.glob("records-*.sqlite")
    db = sqlite3.connect(path)
    first, second = [i for (i,) in db.execute("SELECT id FROM batches ORDER BY id LIMIT 2")]
    damaged = db.execute("SELECT COUNT(*) FROM records WHERE batch IN (?, ?)", (first, second)).fetchone()[0]
    db.execute("UPDATE batches SET rows = x'00ff00ff' WHERE id = ?", (first,))
    db.execute("DELETE FROM batches WHERE id = ?", (second,))
    [(bad_key,)] = db.execute("SELECT key FROM records WHERE quarantine IS NOT NULL LIMIT 1").fetchall()
    db.execute("UPDATE records SET quarantine = '{\"reason\": 5' WHERE key = ?", (bad_key,))
    db.commit()
    db.close()
    assert damaged >= 2
    assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == damaged + 1


def test_a_damaged_index_of_versions_means_reading_the_file_whole(
        tmp_path: Path, config_file: Path, monkeypatch) -> None:
    """The per-path list of versions a file may grow from is only a hint: unreadable JSON, or
    versions with missing or mistyped fields, are ignored, so the grown file is read whole (its
    old records from the record cache) and the list is written anew."""
    part, config, cache = _first_build(tmp_path, config_file, 20, 45)
    [index] = cache.glob("files-*/paths/*.json")
    rng = random.Random(46)
    for k, damage in enumerate([b"{not json", b'[{"size": "12", "lines": 3, "sha256": 5, "entry": "x"}]', b'"a string"']):
        index.write_bytes(damage)
        _append(part, [make_article(rng, 70_000 + k)])
        reads = _spy_reads(monkeypatch)
        for out in ("cached", "clean"):
            shutil.rmtree(tmp_path / out, ignore_errors=True)
        assert _rebuild_with_cache(tmp_path, config, cache, monkeypatch) == 1
        assert reads == [("part-00000.jsonl", None)]
        assert isinstance(json.loads(index.read_text()), list)  # written anew for the next growth
