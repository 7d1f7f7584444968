"""The incremental cache: per-record results keyed by the raw record's hash and everything
that shapes the per-record stage (builder and normalizer versions, outlet registry, raw schema,
limits, near-duplicate parameters). A hit skips validation and normalization; the release is
the same bytes as a clean build's, because a hit yields the very row a miss would."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from builder import NORMALIZER_VERSION, __version__
from builder.identity import file_sha256_with_prefixes
from builder.outlets import OUTLET_DIR
from builder.read import ReadInfo, Resume
from builder.records import Quarantined, RawUnit
from builder.schema import RAW_SCHEMA_PATH
from builder.stage import split_by_bucket


def fingerprint(stage_config: object) -> str:
    """Changes whenever a record's per-record result could change."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{NORMALIZER_VERSION}\0{stage_config!r}\0".encode())
    # The builder's own source too: a code change without a version bump must not serve stale rows.
    code = sorted(Path(__file__).resolve().parent.glob("*.py"))
    for path in [RAW_SCHEMA_PATH, *sorted(OUTLET_DIR.glob("*.toml")), *code]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def unit_key(unit: RawUnit) -> bytes:
    digest = hashlib.sha256(unit.kind.encode() + b"\0" + unit.data + b"\0")
    if unit.sidecar is not None:
        digest.update(b"sidecar\0" + unit.sidecar)
    return digest.digest()


@dataclass(frozen=True)
class CacheEntries:
    """What a chunk's records add to the record cache: the chunk's staged rows as one Arrow IPC
    stream and the key of each row in order, and the key and JSON entry of each quarantined raw
    record. Made in the worker, so the main process only stores them."""

    rows: bytes | None
    row_keys: list[bytes]
    quarantined: list[tuple[bytes, str]]


# LZ4 frames: about a third of the bytes of the rows, for about 6 us a row in the worker.
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4" if pa.Codec.is_available("lz4") else None)


def make_entries(batch: pa.RecordBatch, row_keys: list[bytes], quarantined: list[tuple[bytes, Quarantined]]) -> CacheEntries:
    rows = None
    if batch.num_rows:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema, options=_IPC_OPTIONS) as writer:
            writer.write_batch(batch)
        rows = sink.getvalue().to_pybytes()
    payloads = [(key, json.dumps(q.model_dump(exclude={"file", "line"}), ensure_ascii=False)) for key, q in quarantined]
    return CacheEntries(rows, row_keys, payloads)


# Cache entries per SQLite transaction, and how long a build waits for another's to be written.
COMMIT_EVERY = 10_000
LOCK_WAIT = 600.0
# Compressed rows held before a commit, whatever the count (records may be large).
_WAITING_BYTES = 64 << 20
# Decoded row batches kept for the hits still to come (a reordered file hits them out of order).
_DECODED_BYTES = 64 << 20


class RecordCache:
    """One SQLite file per fingerprint under `directory`; stale fingerprints are never read.

    `batches` holds the staged rows of each chunk processed, as one LZ4-compressed Arrow IPC
    stream; `records` maps a raw record's key to its row there, or to its quarantine entry (JSON
    without file and line, which come from where the record is found). A hit is the very row a
    miss would stage, with the `_source` and `_line` of where the record is now.

    Entries wait in memory and are written COMMIT_EVERY (or 64 MiB) at a time, each lot in one
    short transaction: builds sharing the cache directory wait for each other's lot (SQLite's
    lock) instead of for a whole run of chunks, and this build's lookups see its waiting
    entries too (under negative batch ids)."""

    def __init__(self, directory: Path, stage_config: object) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"records-{fingerprint(stage_config)[:24]}.sqlite"
        # Transactions are begun explicitly (put in lots, see commit()); a build waits up to
        # LOCK_WAIT seconds for another build's lot to be written.
        self._db = sqlite3.connect(self.path, timeout=LOCK_WAIT, isolation_level=None)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY, rows BLOB NOT NULL);"
            "CREATE TABLE IF NOT EXISTS records (key BLOB PRIMARY KEY, batch INTEGER, row INTEGER,"
            " quarantine TEXT) WITHOUT ROWID;"
        )
        # Nothing to look up in a cache that starts empty: its first build hashes each record
        # once (in the worker), not twice.
        self.started_empty = self._db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None
        self.hits = self.misses = 0
        self._waiting_rows: list[bytes] = []  # blobs not written yet; batch id -(index + 1)
        self._waiting: dict[bytes, tuple[int | None, int | None, str | None]] = {}
        self._decoded: OrderedDict[int, pa.RecordBatch | None] = OrderedDict()
        self._decoded_bytes = 0

    def get_many(self, keys: list[bytes]) -> dict[bytes, tuple[int | None, int | None, str | None]]:
        """(batch, row, None) for a record staged, (None, None, quarantine entry) for one
        quarantined, per key found."""
        found: dict[bytes, tuple[int | None, int | None, str | None]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, batch, row, quarantine FROM records WHERE key IN ({','.join('?' * len(part))})", part
            )
            found.update((key, (batch, row, q)) for key, batch, row, q in rows)
        if self._waiting:
            found.update((key, self._waiting[key]) for key in keys if key in self._waiting)
        return found

    def put(self, entries: CacheEntries) -> None:
        if entries.rows is not None:
            self._waiting_rows.append(entries.rows)
            batch_id = -len(self._waiting_rows)
            for i, key in enumerate(entries.row_keys):
                self._waiting[key] = (batch_id, i, None)
        for key, payload in entries.quarantined:
            self._waiting[key] = (None, None, payload)
        if len(self._waiting) >= COMMIT_EVERY or sum(map(len, self._waiting_rows)) >= _WAITING_BYTES:
            self.commit()

    def restore(self, units: list[RawUnit], found: list[tuple[int | None, int | None, str | None]],
                schema: pa.Schema) -> tuple[pa.RecordBatch, list[Quarantined], list[int]]:
        """The staged rows and quarantine entries of the records found, in their order, and the
        places (in `units`) of those whose entry cannot be read (damaged): they are processed
        again."""
        quarantined: list[Quarantined] = []
        lost: list[int] = []
        batches: dict[int, int] = {}  # batch id -> its place among the decoded batches used
        used: list[pa.RecordBatch] = []
        starts: list[int] = []  # where each used batch starts among their rows
        held = 0
        picks: list[int] = []
        sources: list[str] = []
        lines: list[int] = []
        for place_in_units, (unit, (batch_id, row, payload)) in enumerate(zip(units, found)):
            if payload is not None or batch_id is None:
                try:
                    quarantined.append(Quarantined(file=unit.source, line=unit.line, **json.loads(payload or "")))
                except (ValueError, TypeError):
                    lost.append(place_in_units)
                continue
            if batch_id not in batches:
                decoded = self._decode(batch_id, schema)
                if decoded is None:
                    lost.append(place_in_units)
                    continue
                batches[batch_id] = len(used)
                starts.append(held)
                held += decoded.num_rows
                used.append(decoded)
            place = batches[batch_id]
            if not isinstance(row, int) or not 0 <= row < used[place].num_rows:
                lost.append(place_in_units)
                continue
            picks.append(starts[place] + row)
            sources.append(unit.source)
            lines.append(unit.line)
        if not picks:
            return pa.RecordBatch.from_pylist([], schema=schema), quarantined, lost
        table = pa.Table.from_batches(used, schema=schema).take(pa.array(picks, pa.int64()))
        table = table.set_column(schema.get_field_index("_source"), schema.field("_source"), pa.array(sources, pa.string()))
        table = table.set_column(schema.get_field_index("_line"), schema.field("_line"), pa.array(lines, pa.int64()))
        return table.combine_chunks().to_batches()[0], quarantined, lost

    def _decode(self, batch_id: int, schema: pa.Schema) -> pa.RecordBatch | None:
        """A batch of rows, decoded (kept for the next hits, within _DECODED_BYTES), or None if
        it is missing, damaged or not of the staging schema."""
        if batch_id in self._decoded:
            self._decoded.move_to_end(batch_id)
            return self._decoded[batch_id]
        if batch_id < 0:
            found = (self._waiting_rows[-batch_id - 1],) if -batch_id <= len(self._waiting_rows) else None
        else:
            found = self._db.execute("SELECT rows FROM batches WHERE id = ?", (batch_id,)).fetchone()
        batch = None
        try:
            if found is not None:
                batch = pa.ipc.open_stream(pa.py_buffer(found[0])).read_next_batch()
                if not batch.schema.equals(schema):
                    batch = None
                else:
                    batch.validate(full=True)  # offsets and UTF-8 too: damaged bytes are never served
        except (pa.ArrowException, OSError, StopIteration):
            batch = None
        self._decoded[batch_id] = batch
        self._decoded_bytes += batch.nbytes if batch is not None else 0
        while self._decoded_bytes > _DECODED_BYTES and len(self._decoded) > 1:
            self._forget(next(iter(self._decoded)))
        return batch

    def _forget(self, batch_id: int) -> None:
        old = self._decoded.pop(batch_id)
        self._decoded_bytes -= old.nbytes if old is not None else 0

    def commit(self) -> None:
        """Write the waiting entries in one transaction and make them durable. Each commit
        syncs the file to disk (about a tenth of a second), so entries are committed in
        thousands, not chunk by chunk; a build killed before a commit loses only the work
        since the last one."""
        if not self._waiting:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            ids = [self._db.execute("INSERT INTO batches (rows) VALUES (?)", (rows,)).lastrowid
                   for rows in self._waiting_rows]
            self._db.executemany(
                "INSERT OR REPLACE INTO records (key, batch, row, quarantine) VALUES (?, ?, ?, ?)",
                [(key, ids[-batch - 1] if batch is not None else None, row, q)
                 for key, (batch, row, q) in self._waiting.items()],
            )
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._waiting_rows, self._waiting = [], {}
        for batch_id in [b for b in self._decoded if b < 0]:  # those ids now mean nothing
            self._forget(batch_id)

    def close(self) -> None:
        """Commit what was put (the entries of a build that failed later are still right) and
        close."""
        try:
            self.commit()
        finally:
            self._db.close()


@dataclass(frozen=True)
class FileHit:
    """What the cache knows of a JSONL file: the SHA-256 of its bytes at lookup, its staged
    rows as (rows file, bucket, batch index, rows) and its quarantine entries, for the whole
    file or (with `resume`) for its first bytes, the rest to be read from `resume` on."""

    sha256: str
    batches: list[tuple[Path, int, int, int]]
    quarantined: list[Quarantined]
    resume: Resume | None = None


class FileCache:
    """Whole-file results: for a JSONL file read before (same relative path, same bytes, same
    fingerprint), its staged Arrow rows and quarantine entries, so the file is not even read.
    For a file that grew by lines appended to a version read before (the same bytes up to a
    line end, then more), that version's results, and only the new lines are read.

    Entries are directories under `files-<fingerprint>/`, named by SHA-256 over the relative
    path and the file's SHA-256 (the path is in the rows, as `_source`). An entry for a grown
    file holds only the new lines' results and names the entry of the version it grew from
    (`base`). An entry is written only for a file read to its end whose bytes, hashed while its
    records were read, are the bytes hashed when it was looked up; it appears by one rename,
    so a killed build leaves no half entry that could be read. `paths/` remembers, per relative
    path, the last versions that ended with a line end: the versions a file can grow from."""

    def __init__(self, directory: Path, stage_config: object) -> None:
        self.root = directory / f"files-{fingerprint(stage_config)[:24]}"
        self.root.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = 0  # records served whole / files to read
        self._wanted: dict[str, str] = {}  # rel -> file sha256 at lookup, for files being read
        self._base: dict[str, str] = {}  # rel -> entry of the version a grown file is read on from
        self._read: dict[str, tuple[str, ReadInfo]] = {}  # rel -> (sha256 of the bytes, what was read)
        self._pieces: dict[str, list[Path]] = {}
        self._quarantined: dict[str, list[dict]] = {}
        _remove_abandoned(self.root)
        self._work = Path(tempfile.mkdtemp(prefix=f"{_pending_prefix()}{os.getpid()}-", dir=self.root))
        self._seq = 0

    def _entry(self, rel: str, sha256: str) -> Path:
        return self.root / hashlib.sha256(f"{rel}\0{sha256}".encode()).hexdigest()

    def _index(self, rel: str) -> Path:
        return self.root / "paths" / f"{hashlib.sha256(rel.encode()).hexdigest()}.json"

    def lookup(self, rel: str, path: Path, schema: pa.Schema) -> FileHit | None:
        """What is known of the file: all of it, its first lines (a version it grew from), or
        nothing (None; its results will be recorded as they come). Rows are not read here: the
        staging area reads each bucket's batches from the entries when needed."""
        grown_from = self._versions(rel)
        sha, prefixes = file_sha256_with_prefixes(path, [v["size"] for v in grown_from])
        hit = self._whole_or_grown(rel, sha, prefixes, grown_from, schema)
        if hit is not None:
            self.hits += sum(n for *_, n in hit.batches) + len(hit.quarantined)  # records, as RecordCache counts
        if hit is None or hit.resume is not None:
            self.misses += 1
            self._wanted[rel] = sha
        return hit

    def _whole_or_grown(self, rel: str, sha: str, prefixes: dict[int, Any], grown_from: list[dict],
                        schema: pa.Schema) -> FileHit | None:
        found = self._load(self._entry(rel, sha), rel, schema)
        if found is not None:
            return FileHit(sha, found[0], found[1])
        for version in sorted(grown_from, key=lambda v: -v["size"]):
            state = prefixes.get(version["size"])
            if state is None or state.hexdigest() != version["sha256"]:
                continue
            found = self._load(self.root / version["entry"], rel, schema)
            if found is None or (found[2].get("size"), found[2].get("lines")) != (version["size"], version["lines"]):
                continue
            batches, quarantined, _, links = found
            if links + 1 > MAX_GROWTH_CHAIN:
                continue  # read whole once: the new entry starts a new chain
            self._base[rel] = version["entry"]
            return FileHit(sha, batches, quarantined, Resume(version["size"], version["lines"], state))
        return None

    def _load(self, entry: Path, rel: str, schema: pa.Schema,
              depth: int = 0) -> tuple[list[tuple[Path, int, int, int]], list[Quarantined], dict, int] | None:
        """(batches, quarantine, meta, links) of an entry and the versions it grew from (`links`
        of them), or None if any of them is missing, damaged or does not fit the staging schema."""
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
            layout = [[int(b), int(i), int(n)] for b, i, n in meta["layout"]]
            rows_file = entry / "rows.arrow"
            if layout:
                with pa.OSFile(str(rows_file)) as source:
                    reader = pa.ipc.open_file(source)
                    if not reader.schema.equals(schema) or reader.num_record_batches != len(layout):
                        raise ValueError("entry does not match the staging schema")
            batches = [(rows_file, b, i, n) for b, i, n in layout]
            quarantined = [Quarantined(file=rel, **q) for q in meta["quarantined"]]
            links = 0
            base = meta.get("base")
            if base is not None:
                if depth >= MAX_GROWTH_CHAIN or not _is_entry_name(base):
                    raise ValueError("bad base entry")
                found = self._load(self.root / base, rel, schema, depth + 1)
                if found is None:
                    return None
                batches, quarantined, links = found[0] + batches, found[1] + quarantined, found[3] + 1
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return None
        return batches, quarantined, meta, links

    def _versions(self, rel: str) -> list[dict]:
        try:
            versions = json.loads(self._index(rel).read_text(encoding="utf-8"))
            return [v for v in versions if isinstance(v.get("size"), int) and v["size"] > 0
                    and isinstance(v.get("lines"), int) and isinstance(v.get("sha256"), str)
                    and _is_entry_name(v.get("entry"))]
        except (OSError, ValueError, AttributeError, TypeError):
            return []

    def file_read(self, rel: str, sha256: str, info: ReadInfo) -> None:
        self._read[rel] = (sha256, info)

    def observe(self, batch: pa.RecordBatch, quarantined: list[Quarantined]) -> None:
        """Keep, on disk, the part of a chunk's result that belongs to files being recorded."""
        if not self._wanted:
            return
        if batch.num_rows:
            sources = batch.column("_source")
            for rel in pc.unique(sources).to_pylist():
                if rel in self._wanted:
                    piece = batch.filter(pc.equal(sources, rel))
                    path = self._work / f"{self._seq:08d}.arrow"
                    self._seq += 1
                    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, piece.schema) as writer:
                        writer.write_batch(piece)
                    self._pieces.setdefault(rel, []).append(path)
        for q in quarantined:
            if q.file in self._wanted:
                self._quarantined.setdefault(q.file, []).append(q.model_dump(exclude={"file"}))

    def commit(self) -> None:
        """Write an entry for every file recorded whole; called once every result is in."""
        for rel, sha in self._wanted.items():
            sha_read, info = self._read.get(rel, (None, None))
            if sha_read != sha or info is None:
                continue  # not read to its end, or changed between lookup and read
            entry = self._entry(rel, sha)
            if not entry.exists():
                staging = Path(tempfile.mkdtemp(prefix="entry-", dir=self._work))
                layout = _rebucket(self._pieces.get(rel, []), staging / "rows.arrow")
                meta = {"layout": layout, "quarantined": self._quarantined.get(rel, []),
                        "size": info.size, "lines": info.lines, "base": self._base.get(rel)}
                (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
                try:
                    os.rename(staging, entry)
                except OSError:  # another build wrote it first
                    shutil.rmtree(staging, ignore_errors=True)
            if info.ends_with_newline and info.any_record:
                self._remember(rel, {"entry": entry.name, "sha256": sha, "size": info.size, "lines": info.lines})

    def _remember(self, rel: str, version: dict) -> None:
        """Add a version the file may grow from to its list (the last few), replaced by rename."""
        versions = [v for v in self._versions(rel) if v["entry"] != version["entry"]][-(KEEP_VERSIONS - 1):]
        index = self._index(rel)
        index.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="paths-", dir=self._work)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump([*versions, version], handle)
        os.replace(tmp, index)

    def close(self) -> None:
        shutil.rmtree(self._work, ignore_errors=True)


# Versions remembered per path, and how many versions an entry may grow from in a row (one
# more, and the file is read whole once, starting a new chain).
KEEP_VERSIONS = 8
MAX_GROWTH_CHAIN = 256


def _is_entry_name(name: object) -> bool:
    return isinstance(name, str) and len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _pending_prefix() -> str:
    # The host is in the name because a cache directory may be shared between machines.
    return f"pending-{socket.gethostname().replace('-', '_')}-"


def _remove_abandoned(root: Path) -> None:
    """Delete work directories left by builds on this host that were killed (their process is
    gone); those of running builds, and of other hosts, are left alone."""
    prefix = _pending_prefix()
    for path in root.glob(f"{prefix}*"):
        pid = path.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive, owned by another user
            pass


# Rows of a file held before its bucket batches are written to the entry.
_REBUCKET_BYTES = 32 << 20


def _rebucket(pieces: list[Path], target: Path) -> list[list[int]]:
    """Write a file's staged pieces (in chunk order) as batches of one bucket each into one
    Arrow file; [[bucket, batch index, rows], ...]. Memory: at most ~32 MiB of rows."""
    layout: list[list[int]] = []
    if not pieces:
        return layout
    pending: dict[int, list[pa.RecordBatch]] = {}
    held = 0
    with pa.OSFile(str(target), "wb") as sink:
        writer = None
        for piece in pieces:
            with pa.OSFile(str(piece)) as source:
                table = pa.ipc.open_file(source).read_all()
            piece.unlink()
            if writer is None:
                writer = pa.ipc.new_file(sink, table.schema)
            for bucket, part in split_by_bucket(table):
                pending.setdefault(bucket, []).extend(part.combine_chunks().to_batches())
            held += table.nbytes
            if held >= _REBUCKET_BYTES:
                _flush(writer, pending, layout)
                held = 0
        _flush(writer, pending, layout)
        writer.close()
    return layout


def _flush(writer, pending: dict[int, list[pa.RecordBatch]], layout: list[list[int]]) -> None:
    for bucket in sorted(pending):
        batch = pa.concat_batches(pending[bucket])
        writer.write_batch(batch)
        layout.append([bucket, len(layout), batch.num_rows])
    pending.clear()
