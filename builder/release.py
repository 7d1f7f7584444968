"""Release a version: build it, refuse to re-release a version with other bytes, record it, log it."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Config, load_config
from builder.diff import DiffError, ReleaseDiff, diff_releases
from builder.pipeline import BuildResult, build
from builder.records import SPLITS
from builder.stats import counted
from builder.verify import MANIFEST, load_manifest, verify_release

CHANGELOG_HEADER = """# Data changelog

Releases of the corpus, newest first. The SHA-256 of every file of a release is recorded in
`releases/<version>/MANIFEST.json`; `corpus-builder verify DIR` checks a copy against it.
"""
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_BUMPS = ("none", "patch", "minor", "major")


class ReleaseError(RuntimeError):
    """A release that cannot start (bad arguments or records); the message says what to do."""


class ReleaseRefused(RuntimeError):
    """The configured version was already released with other bytes."""


@dataclass
class ReleaseOutcome:
    version: str
    status: str  # "released" or "reproduced"
    build: BuildResult
    recorded: Path
    changelog: Path | None = None
    previous: str | None = None
    diff: ReleaseDiff | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [self.build.summary()]
        if self.status == "reproduced":
            lines.append(f"version {self.version} is already released and this build reproduces it byte for byte "
                         f"({self.recorded})")
        else:
            lines.append(f"released version {self.version}: recorded {self.recorded}, entry added to {self.changelog}")
            if self.diff:
                d = self.diff
                lines.append(f"since {self.previous}: added {d.added}, removed {d.removed}, changed {d.changed}, "
                             f"split moves {d.split_moves} (implies a {d.bump} bump)")
        return "\n".join(lines)


def _semver(version: str) -> tuple[int, int, int] | None:
    match = _SEMVER.match(version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _file_hashes(manifest: dict[str, Any]) -> dict[str, str | None]:
    files = manifest.get("files")
    if not isinstance(files, dict):
        return {}
    return {rel: entry.get("sha256") if isinstance(entry, dict) else None for rel, entry in files.items()}


def _read_recorded(path: Path) -> dict[str, Any]:
    manifest, problems = load_manifest(path.parent)
    if manifest is None:
        raise ReleaseError(f"{path}: {problems[0].split(': ', 1)[1]}; restore it from version control")
    return manifest


def _previous_version(releases: Path, version: str) -> str | None:
    """The highest recorded version below `version`."""
    current = _semver(version)
    if current is None or not releases.is_dir():
        return None
    below = [(v, p.name) for p in releases.iterdir()
             if (v := _semver(p.name)) and v < current and (p / MANIFEST).is_file()]
    return max(below)[1] if below else None


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
        raise ReleaseError(f"--out {out} exists and is not a release (no {MANIFEST}); choose an empty or new directory")


def _check_previous(previous: Path, releases: Path, version: str) -> str:
    """The version of release directory `previous`, after checking it is intact and as recorded."""
    if not previous.is_dir():
        raise ReleaseError(f"--previous {previous} is not a directory")
    problems = verify_release(previous)
    if problems:
        raise ReleaseError(f"--previous {previous} does not match its manifest ({problems[0]}); "
                           f"run `corpus-builder verify {previous}` for the full list")
    manifest, _ = load_manifest(previous)
    assert manifest is not None  # verify_release passed
    prev_version = str(manifest["version"])
    if _semver(prev_version) is None:
        raise ReleaseError(f"--previous {previous} has version {prev_version!r}, not MAJOR.MINOR.PATCH")
    if _semver(prev_version) >= _semver(version):
        raise ReleaseError(f"--previous {previous} is version {prev_version}, not older than {version}; "
                           "point it at the release before")
    recorded = releases / prev_version / MANIFEST
    if recorded.is_file() and _file_hashes(_read_recorded(recorded)) != _file_hashes(manifest):
        raise ReleaseError(f"--previous {previous} is not version {prev_version} as recorded in {recorded}")
    return prev_version


def _out_holds(out: Path, recorded: Path) -> bool:
    """Does `out` hold an intact copy of the recorded release? Then it can serve as the previous data."""
    manifest, _ = load_manifest(out)
    if manifest is None or _file_hashes(manifest) != _file_hashes(_read_recorded(recorded)):
        return False
    return not verify_release(out)


def _bump_between(old: str, new: str) -> str:
    a, b = _semver(old), _semver(new)
    if a is None or b is None or a == b:
        return "none"
    return "major" if a[0] != b[0] else "minor" if a[1] != b[1] else "patch"


def _bump_warning(previous: str, version: str, needed: str) -> str | None:
    actual = _bump_between(previous, version)
    if _BUMPS.index(actual) >= _BUMPS.index(needed):
        return None
    return (f"the changes since {previous} call for a {needed.upper()} version bump, but {version} is a "
            f"{actual.upper()} bump; consider another version in the config before publishing")


def _counts_need(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The least bump the manifests' counts alone prove: fewer articles in any split means a removal or move."""
    if any(new["splits"].get(s, 0) < old["splits"].get(s, 0) for s in SPLITS):
        return "major"
    return "minor" if new["counts"]["published"] > old["counts"]["published"] else "none"


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _release_date(config: Config) -> str | None:
    # corpus.toml may carry release_date; a date written by the build itself would break reproducibility.
    value = config.source.get("release_date")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if value else None


def changelog_entry(config: Config, manifest: dict[str, Any], previous: str | None,
                    previous_manifest: dict[str, Any] | None, diff: ReleaseDiff | None) -> str:
    """One version's section of CHANGELOG.md; it holds no wall-clock date."""
    date = _release_date(config)
    c, s = manifest["counts"], manifest["splits"]
    lines = [f"## {config.version}" + (f" ({date})" if date else ""), "",
             f"- {counted(c['published'], 'article')}: " + ", ".join(f"{k} {s[k]}" for k in SPLITS),
             f"- {counted(c['read'], 'raw record')} read, {c['quarantined']} quarantined, "
             f"{counted(c['duplicates'], 'duplicate')} merged"
             + (f", {c['takedowns']} taken down" if "takedowns" in c else "")]
    if previous is None:
        lines.append("- no earlier version recorded")
    elif diff is not None:
        lines.append(f"- since {previous}: articles added {diff.added}, removed {diff.removed}, changed {diff.changed}, "
                     f"moved between splits {diff.split_moves} (a {diff.bump} change)")
        if diff.changed_fields:
            lines.append("- fields changed: " + ", ".join(f"`{k}` {n}" for k, n in sorted(diff.changed_fields.items())))
    elif previous_manifest is not None:
        pc, ps = previous_manifest["counts"], previous_manifest["splits"]
        per_split = ", ".join(f"{k} {_signed(s[k] - ps.get(k, 0))}" for k in SPLITS)
        lines.append(f"- since {previous} (counts from the two manifests): published "
                     f"{_signed(c['published'] - pc['published'])} ({per_split}), quarantined "
                     f"{_signed(c['quarantined'] - pc['quarantined'])}, duplicates {_signed(c['duplicates'] - pc['duplicates'])}"
                     + (f", takedowns {_signed(c['takedowns'] - pc['takedowns'])}" if "takedowns" in c and "takedowns" in pc
                        else ""))
    lines.append(f"- builder {manifest['builder_version']}, normalizer {manifest['normalizer_version']}, "
                 f"raw input {manifest['raw_fingerprint']}")
    return "\n".join(lines) + "\n"


def write_changelog(path: Path, version: str, entry: str) -> None:
    """Put `entry` first; an entry for the same version (left by an interrupted release) is replaced."""
    text = path.read_text(encoding="utf-8") if path.is_file() else CHANGELOG_HEADER
    sections = re.split(r"(?m)^(?=## )", text)
    head, rest = sections[0], sections[1:]
    rest = [s for s in rest if not re.match(rf"## {re.escape(version)}(?:\s|$)", s)]
    body = "\n".join(s.rstrip("\n") + "\n" for s in [entry, *rest])
    _write_atomic(path, (head.rstrip("\n") + "\n\n" + body).encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _move_into_place(candidate: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f".release-old-{out.name}-{os.getpid()}"
        out.rename(old)
        candidate.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        candidate.rename(out)


def _refusal(version: str, config_path: Path, recorded: dict[str, Any], built: dict[str, Any], out: Path) -> str:
    a, b = _file_hashes(recorded), _file_hashes(built)
    differing = sorted(rel for rel in a.keys() | b.keys() if a.get(rel) != b.get(rel))
    shown = ", ".join(differing[:10]) + (f" and {len(differing) - 10} more" if len(differing) > 10 else "")
    return (f"version {version} was released with different bytes; bump the version in {config_path} "
            f"({len(differing)} file(s) differ: {shown}). {out} was left as it was.")


def release(raw: Path, config_path: Path, out: Path, releases: Path, changelog: Path,
            previous: Path | None = None, workers: int = 1) -> ReleaseOutcome:
    """Build the configured version into `out` and record it, or refuse if that version exists with other bytes."""
    config = load_config(config_path)
    version = config.version
    out = out.resolve()
    _check_out(out)
    recorded_path = releases / version / MANIFEST
    previous_version = _check_previous(previous, releases, version) if previous else None
    out.parent.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix=f".release-{out.name}-", dir=out.parent))
    try:
        candidate = workspace / out.name
        result = build(raw, candidate, config, workers=workers)
        built, _ = load_manifest(candidate)
        assert built is not None  # the build just wrote it
        if recorded_path.is_file():
            recorded = _read_recorded(recorded_path)
            if _file_hashes(recorded) != _file_hashes(built):
                raise ReleaseRefused(_refusal(version, config_path, recorded, built, out))
            _move_into_place(candidate, out)
            result.out = out
            return ReleaseOutcome(version, "reproduced", result, recorded_path)
        outcome = _record(config, result, built, candidate, out, releases, changelog, previous, previous_version)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return outcome


def _record(config: Config, result: BuildResult, built: dict[str, Any], candidate: Path, out: Path,
            releases: Path, changelog: Path, previous: Path | None, previous_version: str | None) -> ReleaseOutcome:
    version = config.version
    recorded_path = releases / version / MANIFEST
    previous_version = previous_version or _previous_version(releases, version)
    previous_manifest = None
    if previous_version and (releases / previous_version / MANIFEST).is_file():
        previous_manifest = _read_recorded(releases / previous_version / MANIFEST)
        if previous is None and _out_holds(out, releases / previous_version / MANIFEST):
            previous = out  # the release being replaced is the previous one, intact: diff its articles
    if previous is not None and previous_manifest is None:
        previous_manifest, _ = load_manifest(previous)
    diff = _diff(previous, candidate) if previous is not None else None
    outcome = ReleaseOutcome(version, "released", result, recorded_path, changelog, previous_version, diff)
    if previous_version and previous_manifest is not None:
        needed = diff.bump if diff is not None else _counts_need(previous_manifest, built)
        warning = _bump_warning(previous_version, version, needed)
        outcome.warnings += [warning] if warning else []
    _move_into_place(candidate, out)
    result.out = out
    entry = changelog_entry(config, built, previous_version, previous_manifest, diff)
    write_changelog(changelog, version, entry)
    # The recorded manifest is written last: a release counts as made only once everything else is.
    _write_atomic(recorded_path, (out / MANIFEST).read_bytes())
    return outcome


def _diff(previous: Path, candidate: Path) -> ReleaseDiff:
    try:
        diff = diff_releases(previous, candidate)
    except DiffError as exc:
        raise ReleaseError(f"cannot compare with the previous release: {exc}") from None
    diff.new = "this release"  # the candidate's temporary path means nothing once it is moved
    return diff


def run(args: argparse.Namespace) -> int:
    """`corpus-builder release`: 0 released or reproduced, 1 refused, 2 unusable arguments."""
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        outcome = release(args.raw, args.config, args.out, args.releases, args.changelog, args.previous, args.workers)
    except ReleaseRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(outcome.summary())
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
