"""Find and read raw captures under a raw directory: JSONL lines and .txt pages with sidecars."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from builder.records import Quarantined, RawUnit

SIDECAR = ".meta.json"
# Files that document a raw directory rather than hold records.
_DOCS = (".md", ".rst")
_BLOCK = 1 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
# FF FE also opens UTF-32-LE; either way the file is not UTF-8.
_WIDE_BOMS = {b"\xff\xfe": "UTF-16/UTF-32 little-endian", b"\xfe\xff": "UTF-16 big-endian",
              b"\x00\x00\xfe\xff": "UTF-32 big-endian"}
# A regular file opened read-only; the flags keep a file swapped for a link or a FIFO after the
# checks from being followed or from blocking the build.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_NONBLOCK", 0))

PROBLEMS = {
    "unsafe_path": "refused: a link that points outside the raw directory",
    "not_a_file": "not a regular file (a FIFO, socket, device or link to a directory); not read",
    "broken_link": "a link whose target does not exist or that loops",
    "unreadable_file": "the file cannot be opened for reading",
    "unreadable_directory": "the directory cannot be listed; nothing under it was read",
    "invalid_file_name": "the name is not UTF-8 (shown with \\x escapes); rename it to read it",
}


def _file_issue(source: str, reason: str, message: str) -> Quarantined:
    return Quarantined(file=source, line=0, reason=reason, message=message)


def _open_raw(path: Path) -> BinaryIO:
    """Open a raw file for reading; OSError if it is not a readable regular file."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _printable(name: str) -> str:
    # Names that are not UTF-8 arrive with surrogate escapes, which no output file can hold.
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(path, problem) for every non-directory entry under root, top-down in sorted order.

    The order is that of os.walk with sorted names: a directory's files (and links to
    directories), then its subdirectories one by one. Unlike os.walk, a directory that cannot
    be listed is reported rather than silently skipped.
    """
    stack: list[Path] = [root]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except OSError:
            yield here, "unreadable_directory"
            continue
        files: list[str] = []
        dirs: list[str] = []
        for entry in entries:
            try:
                real_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                real_dir = False
            (dirs if real_dir else files).append(entry.name)
        for name in sorted(files):
            yield here / name, None
        # Nothing under a directory whose name is not UTF-8 could be named in the output.
        for name in sorted(dirs):
            if not _utf8_name(name):
                yield here / name, "invalid_file_name"
        stack.extend(here / name for name in sorted(dirs, reverse=True) if _utf8_name(name))


def list_raw_files(root: Path) -> Iterator[tuple[str, Path | None, str | None]]:
    """(relative POSIX path, resolved path or None, problem) for every entry, in sorted order.

    Symlinks that leave the raw root, entries that are not regular files, files that cannot be
    opened and names that are not UTF-8 are reported with a problem (a key of PROBLEMS), never
    followed or read.
    """
    root = root.resolve()
    for path, problem in _walk(root):
        rel = "." if path == root else path.relative_to(root).as_posix()
        if problem:
            yield _printable(rel), None, problem
            continue
        if not _utf8_name(rel):
            yield _printable(rel), None, "invalid_file_name"
            continue
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
            try:
                _open_raw(resolved).close()
            except OSError:
                yield rel, None, "unreadable_file"
                continue
            yield rel, resolved, None


class _HashingReader:
    """A binary file whose bytes are hashed (SHA-256) as they are read; `size` counts them and
    `last` is the last one. Started from `resume`, it goes on from a prefix hashed before."""

    def __init__(self, handle: BinaryIO, resume: Resume | None = None) -> None:
        self.handle = handle
        self.digest = resume.digest.copy() if resume else hashlib.sha256()
        self.size = resume.offset if resume else 0
        self.last = b"\n" if resume else b""

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        if data:
            self.last = data[-1:]
        return data


@dataclass(frozen=True)
class Resume:
    """Where to go on reading a JSONL file whose first `offset` bytes (`lines` whole lines, the
    last ending in LF, at least one record among them) are known already: `digest` is the
    SHA-256 state after those bytes."""

    offset: int
    lines: int
    digest: Any


@dataclass(frozen=True)
class ReadInfo:
    """What reading a JSONL file to its end found: its size, its lines, whether its last byte
    ends a line (LF), and whether any line held a record."""

    size: int
    lines: int
    ends_with_newline: bool
    any_record: bool


# (relative path, resolved path) -> True when the file's results are already known (the
# caller has them from elsewhere) and the file must not be read; a Resume when only its first
# bytes are known, so it is read from there on; False to read it whole.
SkipFile = Callable[[str, Path], "bool | Resume"]
# (relative path, SHA-256 of the file's bytes, what was found) once a JSONL file has been read
# to its end; the hash covers every byte the records came from (a resumed file's prefix as
# hashed before, then the bytes read).
FileRead = Callable[[str, str, ReadInfo], None]


def read_units(root: Path, max_record_bytes: int, skip: SkipFile | None = None,
               on_read: FileRead | None = None) -> Iterator[RawUnit | Quarantined]:
    """Every raw record under `root` as a RawUnit, or a Quarantined entry for a bad file.

    `skip` is asked before each JSONL file is read; `on_read` hears the SHA-256 of each JSONL
    file read whole, computed from the very bytes the records came from."""
    entries = list(list_raw_files(root))
    names = {rel for rel, _, _ in entries}
    paths = {rel: path for rel, path, _ in entries if path is not None}
    problems = {rel: problem for rel, _, problem in entries if problem}
    for rel, path, problem in entries:
        if problem:
            yield _file_issue(rel, problem, PROBLEMS[problem])
            continue
        assert path is not None
        lower = rel.lower()
        if lower.endswith(SIDECAR):
            if rel[: -len(SIDECAR)] + ".txt" not in names:
                yield _file_issue(rel, "orphan_sidecar", f"no capture {rel[: -len(SIDECAR)]}.txt next to this sidecar")
        elif lower.endswith(".jsonl"):
            known = False if skip is None else skip(rel, path)
            if known is not True:
                yield from _jsonl_units(rel, path, max_record_bytes, on_read, known or None)
        elif lower.endswith(".txt"):
            yield _txt_unit(rel, path, paths, problems, max_record_bytes)
        elif lower.endswith(_DOCS) or os.path.basename(rel).startswith("."):
            continue
        else:
            yield _file_issue(rel, "unsupported_file_type", "raw files are *.jsonl, *.txt and *.meta.json")


def _read_bounded(path: Path, limit: int) -> bytes:
    """The file's bytes, or at most limit + 1 of them: enough to know it is over the limit."""
    with _open_raw(path) as handle:
        return handle.read(limit + 1)


def _txt_unit(rel: str, path: Path, paths: dict[str, Path], problems: dict[str, str],
              max_record_bytes: int) -> RawUnit | Quarantined:
    sidecar_rel = rel[: -len(".txt")] + SIDECAR
    if sidecar_rel in problems:
        # Reading the capture without its metadata would silently lose the metadata.
        problem = problems[sidecar_rel]
        return _file_issue(rel, problem, f"its sidecar {sidecar_rel} is refused: {PROBLEMS[problem]}")
    sidecar_path = paths.get(sidecar_rel)
    try:
        # Sizes first, so a huge capture is measured, never loaded.
        size = path.stat().st_size + (sidecar_path.stat().st_size if sidecar_path else 0)
        if size > max_record_bytes:
            return _file_issue(rel, "record_too_large", f"capture and sidecar are {size} bytes; the limit is {max_record_bytes}")
        data = _read_bounded(path, max_record_bytes)
    except OSError as exc:
        return _file_issue(rel, "unreadable_file", f"cannot read: {exc.strerror}")
    if not data.strip():
        return _file_issue(rel, "empty_file", "the capture is empty")
    sidecar = None
    if sidecar_path is not None:
        try:
            sidecar = _read_bounded(sidecar_path, max_record_bytes)
        except OSError as exc:
            return _file_issue(rel, "unreadable_file", f"cannot read sidecar {sidecar_rel}: {exc.strerror}")
    if len(data) + len(sidecar or b"") > max_record_bytes:  # the files grew while being read
        return _file_issue(rel, "record_too_large", f"capture and sidecar are over {max_record_bytes} bytes")
    return RawUnit(source=rel, line=0, data=data, kind="txt", sidecar=sidecar,
                   sidecar_source=sidecar_rel if sidecar is not None else None)


def _jsonl_units(rel: str, path: Path, max_record_bytes: int, on_read: FileRead | None = None,
                 resume: Resume | None = None) -> Iterator[RawUnit | Quarantined]:
    try:
        handle = _open_raw(path)
        if resume is not None:
            handle.seek(resume.offset)
    except OSError as exc:
        yield _file_issue(rel, "unreadable_file", f"cannot read: {exc.strerror}")
        return
    with handle:
        # A resumed file's first lines held a record; its next line starts right at the offset.
        any_record = resume is not None
        line_no = resume.lines if resume else 0
        reader = _HashingReader(handle, resume)
        lines = split_lines(reader, max_record_bytes)
        while True:
            try:
                line = next(lines, None)
            except OSError as exc:
                # What was read stays; the rest of the file is reported, not lost silently.
                yield Quarantined(file=rel, line=line_no + 1, reason="unreadable_file",
                                  message=f"reading failed at line {line_no + 1}: {exc.strerror}")
                return
            if line is None:
                break
            line_no += 1
            if isinstance(line, int):
                any_record = True
                yield Quarantined(file=rel, line=line_no, reason="record_too_large",
                                  message=f"line is {line} bytes; the limit is {max_record_bytes}")
                continue
            if line_no == 1:
                wide = next((name for bom, name in _WIDE_BOMS.items() if line.startswith(bom)), None)
                if wide:
                    yield _file_issue(rel, "invalid_utf8", f"the file is {wide} (by its byte-order mark); raw files are UTF-8")
                    return
                line = line.removeprefix(_UTF8_BOM)
            if not line.strip():
                continue
            any_record = True
            yield RawUnit(source=rel, line=line_no, data=line)
        if not any_record:
            yield _file_issue(rel, "empty_file", "the file holds no records")
        if on_read is not None:
            on_read(rel, reader.digest.hexdigest(), ReadInfo(reader.size, line_no, reader.last == b"\n", any_record))


def split_lines(handle: BinaryIO, limit: int, block_size: int = _BLOCK) -> Iterator[bytes | int]:
    """The lines of a binary stream without their ends (LF, CRLF or CR), in bounded memory.

    A lone CR ends a line, as in Python's universal newlines, so files from tools that write
    CR-only line ends are read as lines. A JSON record never needs a raw CR: inside a string
    JSON requires the escape \\r, and between tokens no serializer writes one.

    A line over `limit` bytes is measured, not held: it is yielded as its length in bytes.
    A last line without a line end is a line; a line end at the very end adds no empty line.
    """
    buf = b""
    scanned = 0  # leading bytes of buf known to hold no line end
    dropped = 0  # bytes of an over-long line already let go
    while True:
        block = handle.read(block_size)
        buf += block
        # bytes.find is memchr-fast; most files have no CR at all, so skip looking for one.
        has_cr = b"\r" in buf
        start = 0
        while True:
            at = max(start, scanned)
            newline = buf.find(b"\n", at)
            cr = buf.find(b"\r", at, newline if newline >= 0 else len(buf)) if has_cr else -1
            if cr >= 0:
                if block and cr == len(buf) - 1:
                    break  # maybe the first half of a CRLF split across reads
                end, after = cr, cr + 2 if newline == cr + 1 else cr + 1
            elif newline >= 0:
                end, after = newline, newline + 1
            else:
                break
            length = end - start
            if dropped or length > limit:
                yield dropped + length
                dropped = 0
            else:
                yield buf[start:end]
            start = after
        rest = buf[start:]
        if not block:
            if dropped or len(rest) > limit:
                yield dropped + len(rest)
            elif rest:
                yield rest
            return
        held = 1 if rest.endswith(b"\r") else 0
        if len(rest) - held > limit:
            dropped += len(rest) - held
            rest = rest[len(rest) - held :]
        buf = rest
        scanned = len(rest) - held
