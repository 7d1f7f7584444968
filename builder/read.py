"""Find and read raw captures under a raw directory: JSONL lines and .txt pages with sidecars."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from builder.records import Quarantined, RawUnit

SIDECAR = ".meta.json"
# Files that document a raw directory rather than hold records.
_DOCS = (".md", ".rst")


def _file_issue(source: str, reason: str, message: str) -> Quarantined:
    return Quarantined(file=source, line=0, reason=reason, message=message)


def list_raw_files(root: Path) -> Iterator[tuple[str, Path | None, str | None]]:
    """(relative POSIX path, resolved path or None, problem) for every entry, in sorted order.

    Symlinks that leave the raw root and entries that are not regular files are reported,
    never followed.
    """
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted(filenames + [d for d in dirnames if (here / d).is_symlink()]):
            path = here / name
            rel = path.relative_to(root).as_posix()
            try:
                resolved = path.resolve(strict=True)
            except (OSError, RuntimeError):
                yield rel, None, "broken_link"
                continue
            if not resolved.is_relative_to(root):
                yield rel, None, "unsafe_path"
            elif not resolved.is_file():
                yield rel, None, "not_a_file"
            else:
                yield rel, resolved, None


def read_units(root: Path, max_record_bytes: int) -> Iterator[RawUnit | Quarantined]:
    """Every raw record under `root` as a RawUnit, or a Quarantined entry for a bad file."""
    entries = list(list_raw_files(root))
    names = {rel for rel, _, _ in entries}
    for rel, path, problem in entries:
        if problem:
            messages = {
                "unsafe_path": "refused: a link that points outside the raw directory",
                "not_a_file": "not a regular file",
                "broken_link": "a link whose target does not exist",
            }
            yield _file_issue(rel, problem, messages[problem])
            continue
        assert path is not None
        lower = rel.lower()
        if lower.endswith(SIDECAR):
            if rel[: -len(SIDECAR)] + ".txt" not in names:
                yield _file_issue(rel, "orphan_sidecar", f"no capture {rel[: -len(SIDECAR)]}.txt next to this sidecar")
        elif lower.endswith(".jsonl"):
            yield from _jsonl_units(rel, path, max_record_bytes)
        elif lower.endswith(".txt"):
            yield _txt_unit(rel, path, names, root)
        elif lower.endswith(_DOCS) or os.path.basename(rel).startswith("."):
            continue
        else:
            yield _file_issue(rel, "unsupported_file_type", "raw files are *.jsonl, *.txt and *.meta.json")


def _txt_unit(rel: str, path: Path, names: set[str], root: Path) -> RawUnit | Quarantined:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _file_issue(rel, "unreadable_file", f"cannot read: {exc.strerror}")
    if not data.strip():
        return _file_issue(rel, "empty_file", "the capture is empty")
    sidecar_rel = rel[: -len(".txt")] + SIDECAR
    sidecar = None
    if sidecar_rel in names:
        try:
            sidecar = (root / sidecar_rel).read_bytes()
        except OSError as exc:
            return _file_issue(rel, "unreadable_file", f"cannot read sidecar {sidecar_rel}: {exc.strerror}")
    return RawUnit(source=rel, line=0, data=data, kind="txt", sidecar=sidecar, sidecar_source=sidecar_rel if sidecar is not None else None)


def _jsonl_units(rel: str, path: Path, max_record_bytes: int) -> Iterator[RawUnit | Quarantined]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield _file_issue(rel, "unreadable_file", f"cannot read: {exc.strerror}")
        return
    with handle:
        any_record = False
        line_no = 0
        while True:
            # Bounded reads: a runaway line is measured and skipped, never held whole.
            chunk = handle.readline(max_record_bytes + 2)
            if not chunk:
                break
            line_no += 1
            if not chunk.endswith(b"\n") and len(chunk) >= max_record_bytes + 2:
                size = len(chunk) + _skip_line(handle)
                any_record = True
                yield Quarantined(file=rel, line=line_no, reason="record_too_large",
                                  message=f"line is over {size} bytes; the limit is {max_record_bytes}")
                continue
            if line_no == 1 and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
            data = chunk.rstrip(b"\n").rstrip(b"\r")
            if not data.strip():
                continue
            any_record = True
            yield RawUnit(source=rel, line=line_no, data=data)
        if not any_record:
            yield _file_issue(rel, "empty_file", "the file holds no records")


def _skip_line(handle) -> int:
    skipped = 0
    while True:
        chunk = handle.readline(1 << 20)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
