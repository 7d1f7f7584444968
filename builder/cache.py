"""The incremental cache: per-record results keyed by the raw record's hash and everything
that shapes the per-record stage (builder and normalizer versions, outlet registry, raw schema,
limits, near-duplicate parameters). A hit skips validation and normalization; the release is
the same bytes as a clean build's, because a hit yields the very row a miss would."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from builder import NORMALIZER_VERSION, __version__
from builder.outlets import OUTLET_DIR
from builder.records import Article, Quarantined, RawUnit
from builder.schema import RAW_SCHEMA_PATH


def fingerprint(stage_config: object) -> str:
    """Changes whenever a record's per-record result could change."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{NORMALIZER_VERSION}\0{stage_config!r}\0".encode())
    # The builder's own source too: a code change without a version bump must not serve stale rows.
    code = sorted(Path(__file__).resolve().parent.glob("*.py"))
    for path in [RAW_SCHEMA_PATH, *sorted(OUTLET_DIR.glob("*.toml")), *code]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def unit_key(unit: RawUnit) -> str:
    digest = hashlib.sha256(unit.kind.encode() + b"\0" + unit.data + b"\0")
    if unit.sidecar is not None:
        digest.update(b"sidecar\0" + unit.sidecar)
    return digest.hexdigest()


def article_payload(article: Article, bands: list[int]) -> str:
    return json.dumps({"a": article.model_dump(mode="json"), "b": bands}, ensure_ascii=False)


def quarantine_payload(q: Quarantined) -> str:
    return json.dumps({"q": q.model_dump(exclude={"file", "line"})}, ensure_ascii=False)


def restore(payload: str, unit: RawUnit) -> tuple[dict, list[int]] | Quarantined:
    """A cached result: an article row (as Article.model_dump() gives it) or a quarantine entry."""
    data = json.loads(payload)
    if "q" in data:
        return Quarantined(file=unit.source, line=unit.line, **data["q"])
    row = data["a"]
    # JSON holds times as ISO text; the row needs the Python values model_dump() gives.
    for key in ("published_at", "retrieved_at"):
        if row[key] is not None:
            row[key] = dt.datetime.fromisoformat(row[key].replace("Z", "+00:00"))
    if row["dateline"]["date"] is not None:
        row["dateline"]["date"] = dt.date.fromisoformat(row["dateline"]["date"])
    return row, data["b"]


class RecordCache:
    """One SQLite file per fingerprint under `directory`; stale fingerprints are never read."""

    def __init__(self, directory: Path, stage_config: object) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"records-{fingerprint(stage_config)[:24]}.sqlite"
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        self.hits = self.misses = 0

    def get_many(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, payload FROM records WHERE key IN ({','.join('?' * len(part))})", part
            )
            found.update(rows)
        return found

    def put_many(self, entries: Iterable[tuple[str, str]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO records (key, payload) VALUES (?, ?)", entries)
        self._db.commit()

    def close(self) -> None:
        self._db.close()
