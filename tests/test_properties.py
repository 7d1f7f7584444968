"""Property tests: generated raw records and files, valid and broken, never crash and always reconcile."""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.config import load_config
from builder.engine import StageConfig, process_chunk
from builder.pipeline import build
from builder.process import process_unit
from builder.read import split_lines
from builder.records import Article, Quarantined, RawUnit
from builder.validate import Limits
from tests.conftest import build_examples

LIMITS = Limits(max_record_bytes=20_000, max_field_chars=4_000)
CONFIG = 'name = "props"\nversion = "1.0.0"\n[limits]\nmax_record_bytes = 20000\nmax_field_chars = 4000\n'
KEYS = ("text", "outlet", "url", "retrieved_at", "published", "title", "authors", "language", "section")

# ----------------------------------------------------------------------------- strategies

# Any code point, lone surrogates included: JSON can spell them as escapes.
any_char = st.characters(exclude_categories=())
any_text = st.text(any_char, max_size=40)
words = st.text(st.characters(categories=["L", "N", "Zs", "P", "Mn", "Cf"]), min_size=1, max_size=60)
hosts = st.sampled_from(["www.reuters.com", "apnews.com", "www.presstv.ir", "example.com", "EXAMPLE.com:443",
                         "xn--bcher-kva.example", "[::1]", "user:pw@host.example", "host", ""])
urls = st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}",
                 st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript"]), hosts, any_text)
stamps = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["2024-02-30T00:00:00Z", "2022-02-15T10:00:00Z", "yesterday", "9999-12-31T23:59:59-23:59",
                     "0001-01-01T00:00:00+14:00", "2022-02-15 10:00"]),
    any_text,
)
json_scalar = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_value = st.recursive(json_scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(any_text, c, max_size=3),
                          max_leaves=8)


def _field(valid: st.SearchStrategy) -> st.SearchStrategy:
    # Mostly a plausible value, sometimes anything at all.
    return st.one_of(valid, valid, valid, json_value)


raw_records = st.fixed_dictionaries(
    {"text": _field(words)},
    optional={
        "outlet": _field(st.sampled_from(["Reuters", "Press TV", "TASS", "Xinhua", " ", "Example Times"]) | words),
        "url": _field(urls),
        "retrieved_at": _field(stamps),
        "published": _field(stamps | st.sampled_from(["Tue Feb 15, 2022", "15 February", "2022"])),
        "title": _field(words),
        "authors": _field(st.lists(words, max_size=4)),
        "language": _field(st.sampled_from(["en", "en-GB", "zh-Hans-CN", "english", "en_US", "fa"])),
        "section": _field(words | st.lists(words, max_size=3)),
        "extra": json_value,
    },
)


# Records that mostly pass validation, so builds publish something.
plausible_records = st.fixed_dictionaries(
    {"text": words},
    optional={
        "outlet": st.sampled_from(["Reuters", "Press TV", "TASS", "Example Times"]),
        "url": urls,
        "retrieved_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        "published": stamps,
        "title": words,
        "authors": st.lists(words, max_size=3),
        "section": words | st.lists(words, max_size=3),
    },
)


@st.composite
def raw_lines(draw: st.DrawFn) -> bytes:
    """A raw JSONL line: a generated record serialized in one of several ways, maybe damaged."""
    record = draw(plausible_records | raw_records)
    ascii_only = draw(st.booleans())
    text = json.dumps(record, ensure_ascii=ascii_only)
    data = text.encode("utf-8", "surrogatepass")  # raw surrogates become invalid UTF-8
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip", "bom", "duplicate", "junk"]))
    if damage == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "duplicate" and data.startswith(b"{") and len(data) > 2:
        data = b'{"text": "again", ' + data[1:]
    elif damage == "junk":
        data = draw(st.binary(max_size=80))
    return data


# ----------------------------------------------------------------------------- cheap properties


def _check_result(result: Article | Quarantined, unit: RawUnit) -> None:
    assert isinstance(result, Article | Quarantined)
    if isinstance(result, Quarantined):
        assert (result.file, result.line) == (unit.source, unit.line)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", result.reason), result.reason
        assert result.message
        # The entry can always be written to quarantine.jsonl.
        json.dumps(result.model_dump(), ensure_ascii=False).encode("utf-8")


@given(st.binary(max_size=400))
def test_process_unit_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    unit = RawUnit(source="a.jsonl", line=3, data=data)
    _check_result(process_unit(unit, LIMITS), unit)


@given(raw_lines())
def test_process_unit_never_raises_on_generated_lines(data: bytes) -> None:
    unit = RawUnit(source="a.jsonl", line=1, data=data)
    _check_result(process_unit(unit, LIMITS), unit)


@given(st.binary(max_size=300), st.one_of(st.none(), raw_lines(), st.binary(max_size=100)))
def test_process_unit_never_raises_on_txt_captures(data: bytes, sidecar: bytes | None) -> None:
    unit = RawUnit(source="p.txt", line=0, data=data, kind="txt", sidecar=sidecar,
                   sidecar_source="p.meta.json" if sidecar is not None else None)
    _check_result(process_unit(unit, LIMITS), unit)


# The per-record stage hashes every body for near-duplicates, so fewer examples.
@settings(max_examples=max(1, settings.default.max_examples // 2))
@given(st.lists(plausible_records.map(lambda r: json.dumps(r).encode()) | raw_lines(), min_size=1, max_size=3))
def test_per_record_stage_output_always_converts_to_arrow(lines: list[bytes]) -> None:
    # What passes validation must also survive the Arrow conversion in the worker.
    chunk = [RawUnit(source="a.jsonl", line=i, data=d) for i, d in enumerate(lines, 1)]
    batch, quarantined = process_chunk(chunk, StageConfig(limits=LIMITS))[:2]
    assert batch.num_rows + len(quarantined) == len(chunk)


def _universal_lines(data: bytes) -> list[bytes]:
    lines = re.split(rb"\r\n|\r|\n", data)
    return lines[:-1] if lines and lines[-1] == b"" else lines


@given(st.binary(max_size=300) | st.lists(st.sampled_from([b"a", b"bc", b"\r", b"\n", b"\r\n"]), max_size=60).map(b"".join),
       st.integers(0, 12), st.integers(1, 9))
def test_split_lines_is_universal_newlines(data: bytes, limit: int, block: int) -> None:
    expected = [line if len(line) <= limit else len(line) for line in _universal_lines(data)]
    assert list(split_lines(io.BytesIO(data), limit, block)) == expected


# ----------------------------------------------------------------------------- whole builds

file_names = st.text(st.characters(categories=["L", "N", "Zs", "Pd", "So"], exclude_characters="/\\"),
                     min_size=1, max_size=20).map(lambda s: s.strip() + ".jsonl").filter(
                         lambda s: not s.startswith(".") and len(s.encode()) < 200)
line_ends = st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"])


@st.composite
def raw_files(draw: st.DrawFn) -> dict[str, list[tuple[bytes, bytes, str]]]:
    """{file name: [(line bytes, line end, kind)]}; kind is 'good', 'bad' (never valid) or 'any'."""
    names = draw(st.lists(file_names, min_size=1, max_size=3, unique_by=str.casefold))
    files = {}
    for name in names:
        lines = []
        for i in range(draw(st.integers(0, 8))):
            kind = draw(st.sampled_from(["good", "bad", "any", "any", "blank"]))
            if kind == "good":
                body = draw(st.text(st.characters(categories=["L", "Nd"]), min_size=3, max_size=30))
                data = json.dumps({"text": f"Story {i} of {name}: {body} said.", "outlet": "Example Times"},
                                  ensure_ascii=False).encode()
            elif kind == "bad":
                data = b'{"text": ' + draw(st.binary(max_size=30)).replace(b"}", b"")
            elif kind == "blank":
                data = draw(st.sampled_from([b"", b" ", b"\t"]))
            else:
                data = draw(raw_lines())
            # A payload holds no line end of its own, so line numbers are known; and an empty line
            # after a CR-ended one would turn that CR into half of a CRLF.
            data = data.replace(b"\r", b"").replace(b"\n", b"")
            if not data and lines and lines[-1][1] == b"\r":
                data = b" "
            lines.append((data, draw(line_ends), kind))
        files[name] = lines
    return files


@settings(max_examples=build_examples(), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw_files())
def test_build_never_raises_reconciles_and_traces_every_line(files: dict[str, list[tuple[bytes, bytes, str]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        raw = tmp / "raw"
        raw.mkdir()
        for name, lines in files.items():
            (raw / name).write_bytes(b"".join(data + end for data, end, _ in lines))
        (tmp / "c.toml").write_text(CONFIG)
        result = build(raw, tmp / "out", load_config(tmp / "c.toml"))

        c = result.counts
        assert c["read"] == c["published"] + c["quarantined"] + c["duplicates"] + c.get("takedowns", 0)
        # A byte-order mark is dropped at the start of a file only.
        records = {(name, n): data.removeprefix(b"\xef\xbb\xbf") if n == 1 else data
                   for name, lines in files.items() for n, (data, _, _) in enumerate(lines, 1)}
        records = {place: data for place, data in records.items() if data.strip()}
        empty_files = {name for name, lines in files.items() if not any((name, n) in records for n in range(1, len(lines) + 1))}
        assert c["read"] == len(records) + len(empty_files)

        # JSON Lines ends lines at LF only; str.splitlines would also split at U+0085 or U+2028.
        quarantine = [json.loads(line) for line in (tmp / "out" / "quarantine.jsonl").read_bytes().split(b"\n") if line]
        duplicates = [json.loads(line) for line in (tmp / "out" / "duplicates.jsonl").read_bytes().split(b"\n") if line]
        places = [(e["file"], e["line"]) for e in quarantine + duplicates]
        assert len(places) == len(set(places))
        for entry in quarantine:
            if entry["line"] == 0:
                assert entry["file"] in empty_files and entry["reason"] == "empty_file"
                continue
            # The entry points at a line of its file whose bytes are the record.
            on_disk = _universal_lines((raw / entry["file"]).read_bytes())
            line = on_disk[entry["line"] - 1]
            if entry["line"] == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            assert line == records[(entry["file"], entry["line"])]
        quarantined = {(e["file"], e["line"]) for e in quarantine}
        for name, lines in files.items():
            for n, (_, _, kind) in enumerate(lines, 1):
                if kind == "bad":
                    assert (name, n) in quarantined
                if kind == "good":
                    assert (name, n) not in quarantined


@settings(max_examples=build_examples(), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(plausible_records | raw_records, min_size=1, max_size=6))
def test_build_of_generated_records_publishes_what_validates(records: list[dict]) -> None:
    lines = [json.dumps(r, ensure_ascii=True).encode() for r in records]
    expected = [process_unit(RawUnit(source="r.jsonl", line=i, data=d), LIMITS) for i, d in enumerate(lines, 1)]
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "raw").mkdir()
        (tmp / "raw" / "r.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        (tmp / "c.toml").write_text(CONFIG)
        result = build(tmp / "raw", tmp / "out", load_config(tmp / "c.toml"))
        c = result.counts
        assert c["read"] == len(records)
        assert c["quarantined"] == sum(isinstance(e, Quarantined) for e in expected)
        assert c["published"] + c["duplicates"] + c.get("takedowns", 0) == sum(isinstance(e, Article) for e in expected)
