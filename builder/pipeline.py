"""The build: read -> validate -> normalize -> stage -> deduplicate -> split -> write -> describe."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from builder import describe
from builder.config import Config
from builder.dedup import deduplicate
from builder.engine import chunked, run_local
from builder.read import read_units
from builder.records import SPLITS, Quarantined
from builder.split import assign_split
from builder.stage import StagingArea
from builder.stats import Stats
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
            f"read {c['read']} = published {c['published']} + quarantined {c['quarantined']} + duplicates {c['duplicates']}",
            "splits: " + ", ".join(f"{s} {self.splits[s]}" for s in SPLITS),
        ]
        if self.quarantine_reasons:
            lines.append("quarantined by reason: " + ", ".join(f"{r} {n}" for r, n in sorted(self.quarantine_reasons.items())))
        lines.append(f"release written to {self.out}")
        return "\n".join(lines)


def _tmp_dir(out: Path) -> Path:
    return out.parent / f"{TMP_PREFIX}{out.name}-{os.getpid()}"


def _clean_leftovers(out: Path) -> None:
    """Remove what killed builds of this output left behind."""
    for path in out.parent.glob(f"{TMP_PREFIX}{out.name}-*"):
        pid = path.name.removesuffix("-old").rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build(
    raw: Path,
    out: Path,
    config: Config,
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build one release of `raw` into `out`, replacing it only once the new one is complete."""
    if not raw.is_dir():
        raise BuildError(f"raw directory {raw} does not exist or is not a directory")
    out = out.resolve()
    if out == raw.resolve() or raw.resolve().is_relative_to(out):
        raise BuildError(f"--out {out} must not contain the raw directory")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "MANIFEST.json").is_file())):
        raise BuildError(f"--out {out} exists and is not a release (no MANIFEST.json); choose an empty or new directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out)
    tmp = _tmp_dir(out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        result = _build_into(raw, tmp, config, workers, progress or (lambda _: None))
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.out = out
    return result


def _build_into(raw: Path, tmp: Path, config: Config, workers: int, progress: Callable[[str], None]) -> BuildResult:
    staging = StagingArea(tmp / ".staging")
    quarantined: list[Quarantined] = []
    read = 0
    try:
        units = read_units(raw, config.limits.max_record_bytes)
        for batch, rejected in run_local(chunked(units, config.batch_rows), config.limits, workers):
            staging.add(batch)
            quarantined.extend(rejected)
            read += batch.num_rows + len(rejected)
            progress(f"processed {read} records, {len(quarantined)} quarantined")
    finally:
        staging.close()
    progress("deduplicating")
    dedup = deduplicate(staging)
    assign = partial(assign_split, config=config.splits)
    stats = Stats()
    progress("writing splits")
    data_files = write_splits(staging, dedup, assign, tmp, config.output, stats.observe)
    shutil.rmtree(staging.directory)

    quarantined.sort(key=lambda q: (q.file, q.line, q.reason, q.pointer))
    _write_jsonl(tmp / "quarantine.jsonl", (q.model_dump() for q in quarantined))
    _write_jsonl(tmp / "duplicates.jsonl", (d.as_dict() for d in dedup.duplicates))
    counts = {"read": read, "published": stats.rows, "quarantined": len(quarantined), "duplicates": len(dedup.duplicates)}
    if counts["read"] != counts["published"] + counts["quarantined"] + counts["duplicates"]:
        raise BuildError(f"counts do not reconcile: {counts}")
    splits = {s: stats.per_split.get(s, 0) for s in SPLITS}
    reasons = Counter(q.reason for q in quarantined)
    describe.write_release_docs(tmp, config, raw, counts, splits, data_files, stats, reasons, len(dedup.duplicates))
    return BuildResult(out=tmp, counts=counts, splits=splits, files=data_files, quarantine_reasons=reasons)


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished release into place; an existing one is replaced only after that."""
    if out.exists():
        old = out.parent / f"{TMP_PREFIX}{out.name}-{os.getpid()}-old"
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
