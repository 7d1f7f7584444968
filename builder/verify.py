"""Check a release directory against its MANIFEST.json, or against a fresh rebuild from raw captures."""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from builder.config import Config, load_config
from builder.records import SPLITS

MANIFEST = "MANIFEST.json"
REQUIRED_KEYS = ("name", "version", "builder_version", "normalizer_version", "counts", "splits",
                 "raw_fingerprint", "config_sha256", "packages", "files")
COUNT_KEYS = ("read", "published", "quarantined", "duplicates")
# Raw records that were read but not published, each listed in a file; takedowns is optional
# because releases made before takedowns existed do not count them.
EXCLUDED = {"quarantined": "quarantine.jsonl", "duplicates": "duplicates.jsonl", "takedowns": "takedowns.jsonl"}
SHARD = re.compile(r"^data/(?P<split>[^/]+)-(?P<index>\d{5,})-of-(?P<total>\d{5,})\.parquet$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def load_manifest(release: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The parsed manifest, or None and the problems that make it unusable."""
    path = release / MANIFEST
    if not path.is_file():
        return None, [f"{MANIFEST}: missing; {release} is not a release directory"]
    try:
        manifest = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [f"{MANIFEST}: not valid JSON ({exc})"]
    if not isinstance(manifest, dict):
        return None, [f"{MANIFEST}: not a JSON object"]
    return manifest, []


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _structure_problems(manifest: dict[str, Any]) -> list[str]:
    """Missing keys and wrong types; later checks rely on these being absent."""
    problems = [f"{MANIFEST}: missing required key {key!r}" for key in REQUIRED_KEYS if key not in manifest]
    counts, splits, files = manifest.get("counts"), manifest.get("splits"), manifest.get("files")
    if "counts" in manifest and not (isinstance(counts, dict) and all(_is_count(counts.get(k)) for k in COUNT_KEYS)
                                     and all(_is_count(counts[k]) for k in EXCLUDED if k in counts)):
        problems.append(f"{MANIFEST}: counts must hold non-negative integers {', '.join(COUNT_KEYS)}")
    if "splits" in manifest and not (isinstance(splits, dict) and all(_is_count(splits.get(s)) for s in SPLITS)):
        problems.append(f"{MANIFEST}: splits must hold non-negative integers {', '.join(SPLITS)}")
    if "files" in manifest and not isinstance(files, dict):
        problems.append(f"{MANIFEST}: files must be an object of {{path: {{sha256, rows}}}}")
    elif isinstance(files, dict):
        for rel, entry in files.items():
            problems += [f"{rel}: {p}" for p in _entry_problems(rel, entry)]
    return problems


def _entry_problems(rel: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or "rows" not in entry:
        return ["manifest entry must be {sha256, rows}"]
    problems = []
    if not _SHA256.match(entry["sha256"]):
        problems.append("manifest sha256 is not 64 lowercase hex digits")
    rows = entry["rows"]
    if rows is not None and not _is_count(rows):
        problems.append("manifest rows must be a non-negative integer or null")
    if _countable(rel) and rows is None:
        problems.append("manifest gives no rows for a data file")
    if not _countable(rel) and rows is not None:
        problems.append("manifest gives rows for a file that has none")
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or rel == MANIFEST or "\\" in rel:
        problems.append("manifest lists a path that cannot be part of the release")
    return problems


def _countable(rel: str) -> bool:
    return rel.endswith((".parquet", ".jsonl"))


def _consistency_problems(manifest: dict[str, Any]) -> list[str]:
    """Do the manifest's counts, splits and file rows agree with one another?"""
    counts, splits, files = manifest["counts"], manifest["splits"], manifest["files"]
    problems = []
    excluded = {k: counts[k] for k in EXCLUDED if k in counts}
    if counts["read"] != counts["published"] + sum(excluded.values()):
        terms = " + ".join(f"{k} {n}" for k, n in excluded.items())
        problems.append(f"{MANIFEST}: counts do not reconcile: read {counts['read']} != published "
                        f"{counts['published']} + {terms}")
    if sum(splits[s] for s in SPLITS) != counts["published"]:
        problems.append(f"{MANIFEST}: splits sum to {sum(splits[s] for s in SPLITS)}, counts.published is {counts['published']}")
    for key, name in EXCLUDED.items():
        if key not in counts:
            continue
        if name not in files:
            problems.append(f"{name}: not listed in the manifest")
        elif files[name]["rows"] != counts[key]:
            problems.append(f"{name}: manifest gives {files[name]['rows']} rows, counts.{key} is {counts[key]}")
    problems += _shard_problems(files, splits)
    return problems


def _shard_problems(files: dict[str, Any], splits: dict[str, int]) -> list[str]:
    problems = []
    shards: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    rows: dict[str, int] = defaultdict(int)
    for rel, entry in files.items():
        if not rel.startswith("data/"):
            continue
        match = SHARD.match(rel)
        if not match or match["split"] not in SPLITS:
            problems.append(f"{rel}: not a shard name data/{{split}}-NNNNN-of-NNNNN.parquet with split one of {', '.join(SPLITS)}")
            continue
        shards[match["split"]][int(match["total"])].add(int(match["index"]))
        rows[match["split"]] += entry["rows"] or 0
    for split in SPLITS:
        if rows[split] != splits[split]:
            problems.append(f"data/{split}-*.parquet: shards hold {rows[split]} rows, splits.{split} is {splits[split]}")
        totals = shards.get(split, {})
        if len(totals) > 1:
            problems.append(f"data/{split}-*.parquet: shards disagree on their number ({', '.join(map(str, sorted(totals)))})")
        for total, indices in totals.items():
            problems += [f"data/{split}-{i:05d}-of-{total:05d}.parquet: shard missing" for i in range(total) if i not in indices]
            problems += [f"data/{split}-{i:05d}-of-{total:05d}.parquet: shard index beyond the shard count"
                         for i in sorted(indices) if i >= total]
    return problems


def _digest_and_lines(path: Path) -> tuple[str, int]:
    """SHA-256 and line count in one pass; a last line without a newline still counts."""
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return digest.hexdigest(), lines + (last != b"\n")


def _actual_rows(path: Path, lines: int) -> int | None:
    if path.suffix == ".jsonl":
        return lines
    if path.suffix == ".parquet":
        try:
            return pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowException, OSError, ValueError):  # what pyarrow raises for a damaged file
            return None
    return None


def _file_problems(release: Path, files: dict[str, Any]) -> list[str]:
    problems = []
    for rel, entry in sorted(files.items()):
        path = release / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        sha, lines = _digest_and_lines(path)
        if sha != entry["sha256"]:
            problems.append(f"{rel}: changed (sha256 {sha[:12]}…, manifest {entry['sha256'][:12]}…)")
        rows = _actual_rows(path, lines)
        if path.suffix == ".parquet" and rows is None:
            problems.append(f"{rel}: not a readable Parquet file")
        elif entry["rows"] is not None and rows is not None and rows != entry["rows"]:
            problems.append(f"{rel}: {rows} rows, manifest gives {entry['rows']}")
    for path in sorted(p for p in release.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(release).as_posix()
        if rel != MANIFEST and rel not in files:
            problems.append(f"{rel}: extra file, not in the manifest")
    return problems


def verify_release(release: Path) -> list[str]:
    """Every problem with `release` as "<path>: <what>"; an empty list means it matches its manifest."""
    manifest, problems = load_manifest(release)
    if manifest is None:
        return problems
    problems = _structure_problems(manifest)
    if problems:
        return problems
    return _file_problems(release, manifest["files"]) + _consistency_problems(manifest)


def compare_releases(a: Path, b: Path, labels: tuple[str, str] | None = None) -> list[str]:
    """Every file that is not byte-identical between releases `a` and `b`, as "<path>: <what>"."""
    label_a, label_b = labels or (str(a), str(b))
    files_a, files_b = _relative_files(a), _relative_files(b)
    problems = []
    for rel in sorted(files_a | files_b):
        if rel not in files_b:
            problems.append(f"{rel}: only in {label_a}")
        elif rel not in files_a:
            problems.append(f"{rel}: only in {label_b}")
        elif not filecmp.cmp(a / rel, b / rel, shallow=False):
            problems.append(f"{rel}: differs{_manifest_hint(a, b) if rel == MANIFEST else ''}")
    return problems


def _relative_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _manifest_hint(a: Path, b: Path) -> str:
    """Name the manifest keys that differ: raw_fingerprint or config_sha256 point at the wrong inputs."""
    try:
        ma, mb = (json.loads((r / MANIFEST).read_bytes()) for r in (a, b))
        keys = sorted(k for k in set(ma) | set(mb) if ma.get(k) != mb.get(k))
    except (OSError, ValueError, AttributeError):
        return ""
    return f" (in {', '.join(keys)})" if keys else ""


def rebuild_and_compare(release: Path, raw: Path, config: Config, workers: int = 1) -> list[str]:
    """Rebuild `raw` with `config` in a temporary directory; every file that differs from `release`."""
    from builder.pipeline import build  # the pipeline is heavy; plain verification does not need it

    with tempfile.TemporaryDirectory(prefix="corpus-rebuild-") as tmp:
        rebuilt = Path(tmp) / "release"
        build(raw, rebuilt, config, workers=workers)
        return compare_releases(release, rebuilt, labels=("the release", "the rebuild"))


def count_files(release: Path) -> int:
    manifest, _ = load_manifest(release)
    return len(manifest["files"]) if manifest else 0


def run(args: argparse.Namespace) -> int:
    """`corpus-builder verify`: 0 clean, 1 problems found, 2 unusable arguments."""
    if not args.dir.is_dir():
        print(f"error: {args.dir} is not a directory; pass a release directory", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.rebuild != (args.raw is not None):
        print("error: --rebuild and --raw go together: --rebuild --raw DIR rebuilds from the raw captures DIR",
              file=sys.stderr)
        return 2
    problems = verify_release(args.dir)
    if args.rebuild:
        problems += rebuild_and_compare(args.dir, args.raw, load_config(args.config), args.workers)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {args.dir}", file=sys.stderr)
        return 1
    rebuilt = f"; a rebuild from {args.raw} is byte-identical" if args.rebuild else ""
    print(f"verified {count_files(args.dir)} files{rebuilt}")
    return 0
