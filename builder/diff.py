"""Compare the articles of two releases and name the version bump the differences imply."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from builder.describe import file_sha256
from builder.verify import MANIFEST, SHARD

EXAMPLES = 10
BATCH_ROWS = 2_048
# 8 bytes of BLAKE2b per field: a change goes unseen with probability 2^-64, and memory stays modest.
DIGEST = 8
_ABSENT = b"absent"  # a column one release has and the other lacks; never DIGEST bytes long


class DiffError(RuntimeError):
    """A release that cannot be read; the message says which file and why."""


@dataclass
class ReleaseDiff:
    old: str
    new: str
    added: int = 0
    removed: int = 0
    changed: int = 0
    split_moves: int = 0
    unchanged: int = 0
    changed_fields: Counter = field(default_factory=Counter)
    moves: Counter = field(default_factory=Counter)  # "train->test": count
    examples: dict[str, list[str]] = field(
        default_factory=lambda: {"added": [], "removed": [], "changed": [], "split_moves": []})
    files_differing: list[str] = field(default_factory=list)

    @property
    def records_identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.split_moves)

    @property
    def bump(self) -> str:
        """Semantic-version bump as Croissant 1.1 describes it for datasets."""
        if self.removed or self.changed or self.split_moves:
            return "major"
        if self.added:
            return "minor"
        return "patch" if self.files_differing else "none"

    def note(self, kind: str, article_id: str) -> None:
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(article_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "old": self.old, "new": self.new,
            "added": self.added, "removed": self.removed, "changed": self.changed,
            "split_moves": self.split_moves, "unchanged": self.unchanged,
            "changed_fields": dict(sorted(self.changed_fields.items())),
            "moves": dict(sorted(self.moves.items())),
            "examples": {k: sorted(v) for k, v in self.examples.items()},
            "files_differing": self.files_differing,
            "bump": self.bump,
        }

    def render(self) -> str:
        lines = [f"{self.old} -> {self.new}",
                 (f"articles: added {self.added}, removed {self.removed}, changed {self.changed}, "
                  f"split moves {self.split_moves}, unchanged {self.unchanged}")]
        if self.changed_fields:
            lines.append("changed fields: " + ", ".join(f"{k} {n}" for k, n in sorted(self.changed_fields.items())))
        if self.moves:
            lines.append("split moves: " + ", ".join(f"{k} {n}" for k, n in sorted(self.moves.items())))
        for kind, ids in self.examples.items():
            if ids:
                lines.append(f"{kind.replace('_', ' ')} e.g.: {', '.join(sorted(ids))}")
        if self.files_differing:
            lines.append("files differing: " + ", ".join(self.files_differing))
        lines.append(f"version bump: {self.bump} ({_BUMP_REASONS[self.bump]})")
        return "\n".join(lines)


_BUMP_REASONS = {
    "major": "articles edited, removed or moved between splits",
    "minor": "articles added, none edited, removed or moved",
    "patch": "the same articles, but files differ",
    "none": "the same articles and byte-identical files",
}


def _data_files(release: Path) -> list[tuple[str, Path]]:
    """(split, path) of every shard, in name order."""
    if not release.is_dir():
        raise DiffError(f"{release} is not a directory")
    found = []
    for path in sorted((release / "data").glob("*.parquet")):
        match = SHARD.match(path.relative_to(release).as_posix())
        if not match:
            raise DiffError(f"{path}: not a shard name data/{{split}}-NNNNN-of-NNNNN.parquet")
        found.append((match["split"], path))
    if not found and not (release / MANIFEST).is_file():
        raise DiffError(f"{release} has neither data/*.parquet nor {MANIFEST}; is it a release directory?")
    return found


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _field_digest(value: Any) -> bytes:
    # Strings and nulls, most of a row, skip the JSON encoder; the tag keeps "null" and None apart.
    if isinstance(value, str):
        data = b"s" + value.encode("utf-8", "surrogatepass")
    elif value is None:
        data = b"n"
    else:
        data = b"j" + _ENCODER.encode(value).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=DIGEST).digest()


# One release's articles: id -> (split, column names, concatenated field digests). The column
# tuple is shared by every row of a file, so an article costs its id and a few hundred bytes.
Index = dict[str, tuple[str, tuple[str, ...], bytes]]


def _column_values(column: pa.Array) -> list[Any]:
    # Instants and days as integers: building Python datetimes would dominate the run time.
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    elif pa.types.is_date32(column.type):
        column = column.cast(pa.int32())
    return column.to_pylist()


def _records(release: Path) -> Iterator[tuple[str, str, tuple[str, ...], bytes]]:
    """(id, split, columns, digests) for every article, a batch of rows in memory at a time."""
    for split, path in _data_files(release):
        try:
            parquet = pq.ParquetFile(path)
            if "id" not in parquet.schema_arrow.names:
                raise DiffError(f"{path}: has no 'id' column")
            columns = tuple(n for n in parquet.schema_arrow.names if n != "id")
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                values = [_column_values(batch.column(c)) for c in columns]
                for article_id, *row in zip(batch.column("id").to_pylist(), *values, strict=True):
                    yield article_id, split, columns, b"".join(map(_field_digest, row))
        except DiffError:
            raise
        except (pa.ArrowException, OSError, ValueError) as exc:  # what pyarrow raises for a damaged file
            raise DiffError(f"{path}: cannot read Parquet: {exc}") from None


def _index(release: Path) -> Index:
    index: Index = {}
    for article_id, split, columns, digests in _records(release):
        if article_id in index:
            raise DiffError(f"{release}: id {article_id} appears twice; run `corpus-builder verify {release}`")
        index[article_id] = (split, columns, digests)
    return index


def _files_differing(old: Path, new: Path) -> list[str]:
    """Release files (all but MANIFEST.json, whose package list may change alone) that are not identical."""
    def listing(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): file_sha256(p) for p in root.rglob("*")
                if p.is_file() and p.relative_to(root).as_posix() != MANIFEST}
    a, b = listing(old), listing(new)
    return sorted(rel for rel in a.keys() | b.keys() if a.get(rel) != b.get(rel))


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """Articles added, removed, edited and moved between splits from `old` to `new`."""
    result = ReleaseDiff(old=str(old), new=str(new))
    before = _index(old)  # only the old side is held; the new side streams past it
    seen: set[str] = set()
    for article_id, split, columns, digests in _records(new):
        if article_id in seen:
            raise DiffError(f"{new}: id {article_id} appears twice; run `corpus-builder verify {new}`")
        seen.add(article_id)
        previous = before.pop(article_id, None)
        if previous is None:
            result.added += 1
            result.note("added", article_id)
            continue
        _compare(result, article_id, previous, (split, columns, digests))
    for article_id in before:
        result.removed += 1
        result.note("removed", article_id)
    result.files_differing = _files_differing(old, new)
    return result


def _changed_fields(old: tuple[tuple[str, ...], bytes], new: tuple[tuple[str, ...], bytes]) -> list[str]:
    if old == new:
        return []
    (old_columns, old_digests), (new_columns, new_digests) = old, new

    def by_name(columns: tuple[str, ...], digests: bytes) -> dict[str, bytes]:
        return {c: digests[i * DIGEST:(i + 1) * DIGEST] for i, c in enumerate(columns)}

    a, b = by_name(old_columns, old_digests), by_name(new_columns, new_digests)
    return [c for c in sorted(a.keys() | b.keys()) if a.get(c, _ABSENT) != b.get(c, _ABSENT)]


def _compare(result: ReleaseDiff, article_id: str, old: tuple[str, tuple[str, ...], bytes],
             new: tuple[str, tuple[str, ...], bytes]) -> None:
    fields = _changed_fields(old[1:], new[1:])
    if fields:
        result.changed += 1
        result.changed_fields.update(fields)
        result.note("changed", article_id)
    if old[0] != new[0]:
        result.split_moves += 1
        result.moves[f"{old[0]}->{new[0]}"] += 1
        result.note("split_moves", article_id)
    if not fields and old[0] == new[0]:
        result.unchanged += 1


def run(args: argparse.Namespace) -> int:
    """`corpus-builder diff`: 0 whatever the differences, like `git diff`; 2 when a release cannot be read."""
    try:
        result = diff_releases(args.old, args.new)
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_json(), indent=2, ensure_ascii=False) if args.json else result.render())
    return 0
