"""Tests for the synthetic raw-record generator in tests/synthetic.py."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.synthetic import ALLOWED_KEYS, REASONS, make_article, make_bad_records, write_corpus

LISTED_REASONS = {
    "invalid_json", "invalid_utf8", "not_an_object", "missing_required", "wrong_type",
    "unknown_field", "invalid_format", "too_short", "pattern_mismatch", "duplicate_key",
}
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
STRING_FIELDS = (
    "text", "outlet", "url", "retrieved_at", "published", "title", "language", "section",
)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise KeyError("duplicate_key")
    return dict(pairs)


def _classify_record(rec: Any) -> str | None:
    """A small reference validator for the raw contract; None means the record is good."""
    if not isinstance(rec, dict):
        return "not_an_object"
    if set(rec) - ALLOWED_KEYS:
        return "unknown_field"
    if "text" not in rec or ("outlet" not in rec and "url" not in rec):
        return "missing_required"
    if any(k in rec and not isinstance(rec[k], str) for k in STRING_FIELDS):
        return "wrong_type"
    if "authors" in rec and not (
        isinstance(rec["authors"], list) and all(isinstance(a, str) for a in rec["authors"])
    ):
        return "wrong_type"
    if not rec["text"].strip():
        return "too_short"
    if "url" in rec:
        parts = urlsplit(rec["url"])
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in rec["url"]:
            return "invalid_format"
    if "retrieved_at" in rec:
        try:
            stamp = datetime.fromisoformat(rec["retrieved_at"])
        except ValueError:
            return "invalid_format"
        if stamp.tzinfo is None or "T" not in rec["retrieved_at"]:
            return "invalid_format"
    if "language" in rec and not LANGUAGE.match(rec["language"]):
        return "pattern_mismatch"
    return None


def _classify_line(line: bytes) -> str | None:
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    try:
        rec = json.loads(decoded, object_pairs_hook=_no_duplicates)
    except KeyError:
        return "duplicate_key"
    except json.JSONDecodeError:
        return "invalid_json"
    return _classify_record(rec)


def _read_lines(directory: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(directory.glob("part-*.jsonl")):
        lines.extend(path.read_bytes().splitlines())
    return lines


def _corpus_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("part-*.jsonl"))}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_corpus(tmp_path / "a", 300, seed=7, bad_every=11, files=3)
    write_corpus(tmp_path / "b", 300, seed=7, bad_every=11, files=3)
    write_corpus(tmp_path / "c", 300, seed=8, bad_every=11, files=3)
    a, b, c = (_corpus_bytes(tmp_path / d) for d in "abc")
    assert list(a) == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert a == b
    assert a != c


def test_good_records_do_not_depend_on_layout(tmp_path: Path) -> None:
    write_corpus(tmp_path / "plain", 120, seed=3)
    write_corpus(tmp_path / "mixed", 120, seed=3, bad_every=5, files=4)
    mixed_good = [line for line in _read_lines(tmp_path / "mixed") if _classify_line(line) is None]
    assert mixed_good == _read_lines(tmp_path / "plain")


def test_texts_and_urls_distinct(tmp_path: Path) -> None:
    write_corpus(tmp_path, 2000, seed=1)
    records = [json.loads(line) for line in _read_lines(tmp_path)]
    assert len({r["text"] for r in records}) == len(records)
    urls = [r["url"] for r in records if "url" in r]
    # Still distinct once tracking params and trailing slashes are normalised away.
    canonical = {u.split("?", 1)[0].rstrip("/").lower() for u in urls}
    assert len(canonical) == len(urls)
    assert 0.8 < len(urls) / len(records) < 0.97


def test_good_lines_are_valid(tmp_path: Path) -> None:
    stats = write_corpus(tmp_path, 1000, seed=2)
    lines = _read_lines(tmp_path)
    assert stats["good"] == len(lines) == 1000 and stats["bad"] == 0
    for line in lines:
        assert _classify_line(line) is None, line[:200]
        rec = json.loads(line)
        assert set(rec) <= ALLOWED_KEYS
        assert "\n\n" in rec["text"]
    outlets = {json.loads(line)["outlet"] for line in lines}
    assert len(outlets) >= 24, "several spellings per outlet are expected"


def test_average_text_length(tmp_path: Path) -> None:
    write_corpus(tmp_path, 1000, seed=4)
    sizes = [len(json.loads(line)["text"].encode("utf-8")) for line in _read_lines(tmp_path)]
    assert 1500 <= sum(sizes) / len(sizes) <= 4000


def test_bad_records_reasons() -> None:
    bad = make_bad_records(random.Random(0))
    reasons = [reason for _, reason in bad]
    assert REASONS == LISTED_REASONS
    assert set(reasons) == LISTED_REASONS
    for line, reason in bad:
        assert b"\n" not in line
        assert _classify_line(line) == reason, (reason, line[:200])


def test_write_corpus_counts_and_bytes(tmp_path: Path) -> None:
    stats = write_corpus(tmp_path, 100, seed=5, bad_every=10, files=3)
    assert stats["good"] == 100 and stats["bad"] == 10
    assert stats["bytes"] == sum(p.stat().st_size for p in tmp_path.glob("part-*.jsonl"))
    verdicts = [_classify_line(line) for line in _read_lines(tmp_path)]
    assert verdicts.count(None) == 100
    assert len(verdicts) == 110


def test_write_corpus_streams(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        stats = write_corpus(tmp_path, 3000, seed=6)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The corpus is several MB; holding it in memory would blow well past this.
    assert stats["bytes"] > 5 * 2**20
    assert peak < 3 * 2**20


@settings(max_examples=60, deadline=None, database=None)
@given(seed=st.integers(0, 2**32), i=st.integers(0, 10**7))
def test_any_article_is_valid(seed: int, i: int) -> None:
    rec = make_article(random.Random(seed), i)
    assert _classify_record(rec) is None
    assert rec == make_article(random.Random(seed), i)


def test_cli(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.synthetic", str(out),
         "--n", "25", "--seed", "3", "--bad-every", "5", "--files", "2"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    stats = json.loads(proc.stdout)
    assert stats["good"] == 25 and stats["bad"] == 5
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.jsonl", "part-00001.jsonl"]


@pytest.mark.parametrize("kwargs", [{"files": 0}, {"bad_every": -1}])
def test_write_corpus_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        write_corpus(tmp_path, 10, **kwargs)
