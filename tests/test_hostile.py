"""Hostile and broken raw input: every case is quarantined with a clear reason or handled, never a crash."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.config import load_config
from builder.pipeline import BuildError, build
from builder.process import process_unit
from builder.read import list_raw_files, read_units, split_lines
from builder.records import Article, Quarantined, RawUnit
from builder.validate import Limits

LIMITS = Limits(max_record_bytes=100_000, max_field_chars=5_000)
CONFIG = 'name = "hostile"\nversion = "1.0.0"\n[limits]\nmax_record_bytes = 100000\nmax_field_chars = 5000\n'


def _good(tag: str, **extra: object) -> dict:
    # A unique body per case, so no two published cases merge as duplicates.
    return {"text": f"Body of the {tag} case.", "outlet": "Example Times", **extra}


def _line(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


# (case, raw line, reason or None when the record is published)
LINES: list[tuple[str, bytes, str | None]] = [
    ("truncated", b'{"text": "The minister said", "outl', "invalid_json"),
    ("truncated_escape", b'{"text": "a\\u00', "invalid_json"),
    ("empty_object", b"{}", "missing_required"),
    ("nul_byte_in_string", b'{"text": "a\x00b", "outlet": "x"}', "invalid_json"),
    ("nul_byte_between_tokens", b'{"text": "a",\x00 "outlet": "x"}', "invalid_json"),
    ("nul_escape", b'{"text": "nul escape a\\u0000b", "outlet": "x"}', None),
    ("lone_high_surrogate", b'{"text": "a\\ud800b", "outlet": "x"}', "invalid_unicode"),
    ("lone_low_surrogate_title", b'{"text": "a", "outlet": "x", "title": "\\udc00"}', "invalid_unicode"),
    ("surrogate_in_authors", b'{"text": "a", "outlet": "x", "authors": ["Jane", "\\udfff"]}', "invalid_unicode"),
    ("surrogate_in_key", b'{"text": "a", "outlet": "x", "\\ud800": 1}', "invalid_unicode"),
    ("surrogate_in_url", b'{"text": "a", "url": "https://example.com/\\ud800"}', "invalid_unicode"),
    ("surrogate_duplicate_key", b'{"text": "a", "\\ud800": 1, "\\ud800": 2}', "duplicate_key"),
    ("surrogate_pair_is_fine", b'{"text": "pair \\ud83d\\ude00", "outlet": "x"}', None),
    ("invalid_utf8", b'{"text": "caf\xe9", "outlet": "x"}', "invalid_utf8"),
    ("overlong_utf8", b'{"text": "\xc0\xaf", "outlet": "x"}', "invalid_utf8"),
    ("utf8_encoded_surrogate", b'{"text": "\xed\xa0\x80", "outlet": "x"}', "invalid_utf8"),
    ("bom_on_a_later_line", b"\xef\xbb\xbf" + _line(_good("bom")), None),
    ("rtl_and_marks", _line(_good("rtl", title="\u202eabc\u202c", text="\u0645\u0631\u062d\u0628\u0627 \u200f\u05e9\u05dc\u05d5\u05dd rtl")), None),
    ("zero_width", _line(_good("zw", text="zero\u200bwidth joiner \U0001f469\u200d\U0001f4bb kept")), None),
    ("only_zero_width", _line({"text": "\u200b\u2060\ufeff", "outlet": "x"}), "empty_body"),
    ("line_separators", _line(_good("seps", text="one\u2028two\u2029three\x85four")), None),
    ("line_separator_in_url", _line({"text": "a", "url": "https://www.reuters.com/\x85\u2028"}), "invalid_format"),
    ("html_and_script", _line(_good("html", text="<script>alert('x')</script><img src=x onerror=alert(1)>",
                                     title="<b>{{ 7*7 }}</b>")), None),
    ("code_in_fields", _line(_good("code", text="__import__('os').system('touch PWNED') ${jndi:ldap://x/a} {0.__class__}",
                                    outlet="'; DROP TABLE articles; --")), None),
    ("duplicate_key", b'{"text": "a", "text": "b", "outlet": "x"}', "duplicate_key"),
    ("number_for_text", b'{"text": 42, "outlet": "x"}', "wrong_type"),
    ("number_for_outlet", b'{"text": "a", "outlet": 1.5}', "wrong_type"),
    ("number_in_authors", b'{"text": "a", "outlet": "x", "authors": [1]}', "wrong_type"),
    ("bool_for_title", b'{"text": "a", "outlet": "x", "title": true}', "wrong_type"),
    ("object_for_section", b'{"text": "a", "outlet": "x", "section": {"a": 1}}', "wrong_type"),
    ("huge_float", b'{"text": 1e999, "outlet": "x"}', "wrong_type"),
    ("huge_integer", b'{"text": 1' + b"0" * 5000 + b', "outlet": "x"}', "invalid_json"),
    ("nan", b'{"text": NaN, "outlet": "x"}', "invalid_json"),
    ("infinity", b'{"text": "a", "outlet": -Infinity}', "invalid_json"),
    ("deep_array", b"[" * 20_000 + b"]" * 20_000, "invalid_json"),
    ("deep_object", b'{"text": "a", "outlet": "x", "section": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}", "invalid_json"),
    ("moderately_deep", b'{"text": "a", "outlet": "x", "section": ' + b"[" * 200 + b"]" * 200 + b"}", "wrong_type"),
    ("top_level_array", b"[1, 2]", "not_an_object"),
    ("top_level_null", b"null", "not_an_object"),
    ("text_too_large", _line({"text": "a" * 5_001, "outlet": "x"}), "field_too_large"),
    ("authors_too_large", _line({"text": "a", "outlet": "x", "authors": ["b" * 400] * 13}), "field_too_large"),
    ("section_list_too_large", _line({"text": "a", "outlet": "x", "section": ["c" * 190] * 20 * 2}), "field_too_large"),
    ("long_unknown_key", _line({"text": "a", "outlet": "x", "k" * 4_000: 1}), "unknown_field"),
    ("key_too_large", _line({"text": "a", "outlet": "x", "k" * 6_000: 1}), "field_too_large"),
    ("record_too_large", _line({"text": "a" * 4_000, "outlet": "x", "authors": ["b" * 400] * 250}), "record_too_large"),
]


@pytest.mark.parametrize(("case", "line", "reason"), LINES, ids=[c for c, _, _ in LINES])
def test_process_unit_gives_reason(case: str, line: bytes, reason: str | None) -> None:
    result = process_unit(RawUnit(source="x.jsonl", line=7, data=line), LIMITS)
    if reason is None:
        assert isinstance(result, Article), result
        return
    assert isinstance(result, Quarantined)
    assert (result.reason, result.file, result.line) == (reason, "x.jsonl", 7)
    assert result.message and len(result.message) < 500 and len(result.pointer) < 500
    # Every quarantine entry can be written as UTF-8, whatever the record held, and holds no
    # character that a reader could take for the end of its line.
    entry = json.dumps(result.model_dump(), ensure_ascii=False)
    entry.encode("utf-8")
    assert len(entry.splitlines()) == 1


def test_pointers_name_the_bad_part() -> None:
    def pointer(line: bytes) -> str:
        result = process_unit(RawUnit(source="x.jsonl", line=1, data=line), LIMITS)
        assert isinstance(result, Quarantined)
        return result.pointer

    by_case = {case: line for case, line, _ in LINES}
    assert pointer(by_case["lone_high_surrogate"]) == "/text"
    assert pointer(by_case["surrogate_in_authors"]) == "/authors/1"
    assert pointer(by_case["surrogate_in_key"]) == "/\\ud800"
    assert pointer(by_case["authors_too_large"]) == "/authors"
    assert pointer(by_case["text_too_large"]) == "/text"
    result = process_unit(RawUnit(source="x.jsonl", line=1, data=by_case["surrogate_in_url"]), LIMITS)
    assert isinstance(result, Quarantined) and result.record_id == "https://example.com/\\ud800"


def _build(tmp_path: Path, raw: Path, **kw: object):
    (tmp_path / "c.toml").write_text(CONFIG)
    return build(raw, tmp_path / "out", load_config(tmp_path / "c.toml"), **kw)


def _quarantine(out: Path) -> list[dict]:
    # JSON Lines ends lines at LF only; str.splitlines would also split at U+0085 or U+2028.
    return [json.loads(line) for line in (out / "quarantine.jsonl").read_bytes().split(b"\n") if line]


def test_all_hostile_lines_in_one_build(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "hostile.jsonl").write_bytes(b"\n".join(line for _, line, _ in LINES) + b"\n")
    result = _build(tmp_path, raw)
    c = result.counts
    published = [case for case, _, reason in LINES if reason is None]
    assert c["published"] == len(published)
    assert c["read"] == len(LINES) == c["published"] + c["quarantined"] + c["duplicates"]
    reasons = {e["line"]: e["reason"] for e in _quarantine(tmp_path / "out")}
    assert reasons == {i: reason for i, (_, _, reason) in enumerate(LINES, 1) if reason}

    rows = {r["text"]: r for r in pq.read_table(tmp_path / "out" / "data").to_pylist()}
    # HTML, script and code are text: stored verbatim, never interpreted.
    assert "<script>alert('x')</script><img src=x onerror=alert(1)>" in rows
    code = "__import__('os').system('touch PWNED') ${jndi:ldap://x/a} {0.__class__}"
    assert rows[code]["outlet_name"] == "'; DROP TABLE articles; --"
    assert not list(tmp_path.rglob("PWNED"))
    html = rows["<script>alert('x')</script><img src=x onerror=alert(1)>"]
    assert html["headline"] == "<b>{{ 7*7 }}</b>"
    # Right-to-left text and its marks stay; an override in a title stays text.
    assert "\u0645\u0631\u062d\u0628\u0627 \u200f\u05e9\u05dc\u05d5\u05dd rtl" in rows
    # Zero-width spaces go; a zero-width joiner inside an emoji stays.
    assert "zerowidth joiner \U0001f469\u200d\U0001f4bb kept" in rows
    assert "nul escape ab" in rows
    assert "one\ntwo\n\nthree\nfour" in rows
    assert "pair \U0001f600" in rows

    from datasets import load_dataset

    ds = load_dataset(str(tmp_path / "out"))
    assert sum(d.num_rows for d in ds.values()) == len(published)


def _symlink_or_skip(target: Path | str, link: Path) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks are not available")


def test_hostile_files_in_one_build(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_bytes(_line(_good("SECRET-7f3a")) + b"\n")
    (outside / "secret.json").write_bytes(_line({"outlet": "SECRET-7f3a"}))

    (raw / "empty.jsonl").write_bytes(b"")
    (raw / "blank.jsonl").write_bytes(b"\n  \r\n\t\n")
    (raw / "dir.jsonl").mkdir()  # a directory named like a file is a directory: read inside
    (raw / "dir.jsonl" / "inner.jsonl").write_bytes(_line(_good("inner")) + b"\n")
    (raw / "empty-dir.txt").mkdir()
    os.mkfifo(raw / "fifo.jsonl")
    _symlink_or_skip(outside / "secret.jsonl", raw / "link-out.jsonl")
    (raw / "link-dir").symlink_to(outside, target_is_directory=True)
    (raw / "link-in.jsonl").symlink_to(raw / "dir.jsonl" / "inner.jsonl")
    (raw / "broken.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    (raw / "loop.jsonl").symlink_to(raw / "loop.jsonl")
    (raw / os.fsdecode(b"caf\xe9.jsonl")).write_bytes(_line(_good("latin-1 name")) + b"\n")
    (raw / os.fsdecode(b"d\xff")).mkdir()
    (raw / os.fsdecode(b"d\xff") / "in.jsonl").write_bytes(_line(_good("in bad dir")) + b"\n")
    spaced = "with space ü 日本 \u202e.jsonl"
    (raw / spaced).write_bytes(_line(_good("spaced")) + b"\n{bad\n")
    (raw / "utf16.jsonl").write_bytes(_line(_good("utf16")).decode().encode("utf-16"))
    (raw / "cr.jsonl").write_bytes(_line(_good("cr one")) + b"\r{bad\r" + _line(_good("cr two")) + b"\r")
    (raw / "crlf.jsonl").write_bytes(_line(_good("crlf one")) + b"\r\n\r\n{bad\r\n" + _line(_good("crlf two")))
    (raw / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + _line(_good("bom file")) + b"\n")
    (raw / "page.txt").write_text("A page whose sidecar is a link out.\n")
    (raw / "page.meta.json").symlink_to(outside / "secret.json")
    (raw / "big.txt").write_text("x" * 100_001)
    (raw / "wide.txt").write_text("y" * 5_001)
    (raw / "sur.txt").write_text("A page with a bad sidecar.\n")
    (raw / "sur.meta.json").write_bytes(b'{"outlet": "\\ud800"}')
    (raw / "latin1.txt").write_bytes(b"caf\xe9 au lait")
    (raw / "empty.txt").write_bytes(b"  \n")
    (raw / "orphan.meta.json").write_bytes(b'{"outlet": "x"}')
    (raw / "notes.md").write_text("# notes\n")
    (raw / "data.csv").write_text("a,b\n")
    (raw / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # dot files that are not records are skipped
    (raw / ".hidden.jsonl").write_bytes(b"{bad\n")  # ... but a dot file of records is read

    result = _build(tmp_path, raw)
    c = result.counts
    assert c["read"] == c["published"] + c["quarantined"] + c["duplicates"]
    entries = _quarantine(tmp_path / "out")
    got = {(e["file"], e["line"]): e["reason"] for e in entries}
    assert got == {
        ("empty.jsonl", 0): "empty_file",
        ("blank.jsonl", 0): "empty_file",
        ("fifo.jsonl", 0): "not_a_file",
        ("link-out.jsonl", 0): "unsafe_path",
        ("link-dir", 0): "unsafe_path",
        ("broken.jsonl", 0): "broken_link",
        ("loop.jsonl", 0): "broken_link",
        ("caf\\xe9.jsonl", 0): "invalid_file_name",
        ("d\\xff", 0): "invalid_file_name",
        (spaced, 2): "invalid_json",
        ("utf16.jsonl", 0): "invalid_utf8",
        ("cr.jsonl", 2): "invalid_json",
        ("crlf.jsonl", 3): "invalid_json",
        ("page.meta.json", 0): "unsafe_path",
        ("page.txt", 0): "unsafe_path",
        ("big.txt", 0): "record_too_large",
        ("wide.txt", 0): "field_too_large",
        ("sur.txt", 0): "invalid_unicode",
        ("latin1.txt", 0): "invalid_utf8",
        ("empty.txt", 0): "empty_file",
        ("orphan.meta.json", 0): "orphan_sidecar",
        ("data.csv", 0): "unsupported_file_type",
        (".hidden.jsonl", 1): "invalid_json",
    }
    assert all(e["message"] for e in entries)
    texts = set(pq.read_table(tmp_path / "out" / "data").column("text").to_pylist())
    assert texts == {f"Body of the {t} case." for t in
                     ("inner", "spaced", "cr one", "cr two", "crlf one", "crlf two", "bom file")}
    assert c["duplicates"] == 1  # link-in.jsonl is the same record as dir.jsonl/inner.jsonl
    # Nothing from outside the raw directory was read.
    release = b"".join((tmp_path / "out" / name).read_bytes() for name in ("quarantine.jsonl", "duplicates.jsonl"))
    assert not any("SECRET-7f3a" in t for t in texts) and b"SECRET-7f3a" not in release


def test_cr_only_and_crlf_line_numbers_point_at_the_record(tmp_path: Path) -> None:
    for name, eol in (("lf.jsonl", b"\n"), ("crlf.jsonl", b"\r\n"), ("cr.jsonl", b"\r")):
        lines = [_line(_good(f"{name} 1")), b"", b"{bad", _line(_good(f"{name} 2")), b"[]"]
        (tmp_path / name).write_bytes(eol.join(lines) + eol)
        units = list(read_units(tmp_path, 1000))
        got = [(u.line, u.data) for u in units if isinstance(u, RawUnit) and u.source == name]
        assert got == [(1, lines[0]), (3, lines[2]), (4, lines[3]), (5, lines[4])]


def test_split_lines_matches_universal_newlines_at_every_block_size() -> None:
    data = b"a\r\nbb\rccc\n\r\n\r\rdddd\r"
    expected = [b"a", b"bb", b"ccc", b"", b"", b"", b"dddd"]
    for block in range(1, len(data) + 2):
        assert list(split_lines(io.BytesIO(data), 10, block)) == expected
        # An over-long line is measured, not returned.
        assert list(split_lines(io.BytesIO(data), 3, block)) == [b"a", b"bb", b"ccc", b"", b"", b"", 4]


def test_a_100_mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    with (raw / "huge.jsonl").open("wb") as handle:
        handle.write(_line(_good("before")) + b"\n")
        handle.write(b'{"text": "')
        block = b"x" * (1 << 20)
        for _ in range(100):
            handle.write(block)
        handle.write(b'", "outlet": "x"}\n')
        handle.write(_line(_good("after")) + b"\n")
    tracemalloc.start()
    try:
        units = list(read_units(raw, 10_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20  # the line is 100 MB; reading holds at most about a limit of it
    assert [u.line for u in units] == [1, 2, 3]
    big = units[1]
    assert isinstance(big, Quarantined) and big.reason == "record_too_large"
    assert str(100 * (1 << 20) + len(b'{"text": "", "outlet": "x"}')) in big.message
    assert all(isinstance(u, RawUnit) for u in (units[0], units[2]))


def test_unreadable_file_is_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod 000 does not stop reading: refuse the open instead.
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "locked.jsonl").write_bytes(_line(_good("locked")) + b"\n")
    (raw / "locked.txt").write_text("A locked page.")
    (raw / "open.jsonl").write_bytes(_line(_good("open")) + b"\n")
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if os.fspath(path).endswith(("locked.jsonl", "locked.txt")):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    result = _build(tmp_path, raw)
    got = {(e["file"], e["reason"]) for e in _quarantine(tmp_path / "out")}
    assert got == {("locked.jsonl", "unreadable_file"), ("locked.txt", "unreadable_file")}
    assert result.counts["published"] == 1


def test_unlistable_directory_is_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    (raw / "sealed").mkdir(parents=True)
    (raw / "sealed" / "a.jsonl").write_bytes(_line(_good("sealed")) + b"\n")
    (raw / "a.jsonl").write_bytes(_line(_good("open")) + b"\n")
    real_scandir = os.scandir

    def refusing_scandir(path=".", *args, **kwargs):
        if isinstance(path, str | os.PathLike) and os.fspath(path).endswith("sealed"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", refusing_scandir)
    result = _build(tmp_path, raw)
    assert [(e["file"], e["reason"]) for e in _quarantine(tmp_path / "out")] == [("sealed", "unreadable_directory")]
    assert result.counts["published"] == 1


def test_read_error_midway_keeps_what_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.read as read_module

    (tmp_path / "a.jsonl").write_bytes(b"".join(_line(_good(f"r{i}")) + b"\n" for i in range(3)))

    class Failing(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            if self.tell():
                raise OSError(5, "Input/output error")
            return super().read(len(self.getvalue()) // 2)

    real = read_module._open_raw
    monkeypatch.setattr(read_module, "_open_raw", lambda path: Failing(path.read_bytes()) if path.name == "a.jsonl" else real(path))
    units = list(read_units(tmp_path, 1000))
    assert [type(u).__name__ for u in units] == ["RawUnit", "Quarantined"]
    assert units[1].reason == "unreadable_file" and units[1].line == 2 and "Input/output error" in units[1].message


def test_listing_reports_problems_without_following_them(tmp_path: Path) -> None:
    (tmp_path / "outside.jsonl").write_text("{}\n")
    raw = tmp_path / "raw"
    raw.mkdir()
    _symlink_or_skip(tmp_path / "outside.jsonl", raw / "out.jsonl")
    os.mkfifo(raw / "pipe.jsonl")
    assert [(rel, path, problem) for rel, path, problem in list_raw_files(raw)] == [
        ("out.jsonl", None, "unsafe_path"), ("pipe.jsonl", None, "not_a_file")]


def test_output_can_never_be_the_raw_directory_or_inside_it(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(_line(_good("a")) + b"\n")
    (tmp_path / "c.toml").write_text(CONFIG)
    config = load_config(tmp_path / "c.toml")
    for out in (raw, raw / "release", raw / "x" / ".." / "release", tmp_path):
        with pytest.raises(BuildError, match="raw directory"):
            build(raw, out, config)
    assert sorted(p.name for p in raw.iterdir()) == ["a.jsonl"]


def test_nothing_from_a_record_becomes_a_path(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    records = [
        {"text": "Path one.", "outlet": "../../../../escape", "title": "/etc/passwd",
         "url": "https://example.com/../../../x/..%2f..%2fy?file=/etc/passwd", "section": ["..", "/", "a/b"]},
        {"text": "Path two.", "outlet": "data/train-00000-of-00001.parquet", "title": "..\\..\\x",
         "authors": ["../out", "~root"], "language": "en"},
        {"text": "Path three.", "url": "file:///etc/passwd", "outlet": "x"},
    ]
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(b"\n".join(_line(r) for r in records) + b"\n")
    result = _build(tmp_path, raw)
    assert result.counts["published"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "out", "raw"]
    files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*"))
    names = {"data", "README.md", "DATASHEET.md", "MANIFEST.json", "quarantine.jsonl", "duplicates.jsonl"}
    for rel in files:
        top = rel.split("/")[0]
        assert top in names or rel.endswith((".jsonl", ".json", ".md", ".png", ".svg", ".bib", ".cff")), rel
        if top == "data":
            assert rel == "data" or rel.split("/")[1].split("-")[0] in ("train", "validation", "test"), rel
    assert not any("escape" in rel or "passwd" in rel or ".." in rel for rel in files)


@pytest.mark.parametrize("limits", ["max_record_bytes = 0", "max_field_chars = -1", 'max_record_bytes = "10MB"',
                                    "max_field_chars = 1.5", "max_record_bytes = true"])
def test_limits_must_be_positive_integers(tmp_path: Path, limits: str) -> None:
    from builder.config import ConfigError

    (tmp_path / "c.toml").write_text(f'name = "x"\nversion = "1.0.0"\n[limits]\n{limits}\n')
    with pytest.raises(ConfigError, match="limits"):
        load_config(tmp_path / "c.toml")
