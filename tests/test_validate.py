"""The raw contract: every kind of bad record is rejected with a snake_case reason and a pointer."""

from __future__ import annotations

import json
import random

import pytest

from builder.records import RawUnit
from builder.validate import Limits, Rejected, validate_unit
from tests.synthetic import make_article, make_bad_records

GOOD = {"text": "Body text.", "outlet": "Reuters"}


def _unit(data: bytes | dict) -> RawUnit:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return RawUnit(source="x.jsonl", line=1, data=raw)


DEFAULT_LIMITS = Limits()


def _reject(data: bytes | dict, limits: Limits = DEFAULT_LIMITS) -> Rejected:
    with pytest.raises(Rejected) as info:
        validate_unit(_unit(data), limits)
    return info.value


BAD = [
    # (record, reason, pointer)
    (b'{"text": "a", "outlet": ', "invalid_json", ""),
    (b'{"text": "caf\xe9", "outlet": "x"}', "invalid_utf8", ""),
    (b"[1, 2]", "not_an_object", ""),
    (b'"just a string"', "not_an_object", ""),
    (b'{"text": NaN, "outlet": "x"}', "invalid_json", ""),
    (b'{"text": "a", "text": "b", "outlet": "x"}', "duplicate_key", "/text"),
    ({"outlet": "Reuters"}, "missing_required", "/text"),
    ({"text": "a"}, "missing_required", "/outlet"),
    ({"text": 5, "outlet": "x"}, "wrong_type", "/text"),
    ({"text": "a", "outlet": "x", "authors": "Jane Doe"}, "wrong_type", "/authors"),
    ({"text": "a", "outlet": "x", "authors": ["ok", 3]}, "wrong_type", "/authors/1"),
    ({"text": "a", "outlet": "x", "titel": "typo"}, "unknown_field", "/titel"),
    ({"text": "a", "outlet": "x", "retrieved_at": "yesterday"}, "invalid_format", "/retrieved_at"),
    ({"text": "a", "outlet": "x", "retrieved_at": "2022-02-15 10:00"}, "invalid_format", "/retrieved_at"),
    ({"text": "a", "url": "not a url"}, "invalid_format", "/url"),
    ({"text": "a", "url": "ftp://example.com/x"}, "pattern_mismatch", "/url"),
    ({"text": "", "outlet": "x"}, "too_short", "/text"),
    ({"text": "a", "outlet": "x", "language": "english!!"}, "pattern_mismatch", "/language"),
    ({"text": "a", "outlet": "x", "section": 7}, "wrong_type", "/section"),
    ({"text": "a", "outlet": "x" * 201}, "too_long", "/outlet"),
    ({"text": "a", "outlet": None}, "wrong_type", "/outlet"),
]


@pytest.mark.parametrize(("record", "reason", "pointer"), BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_record_is_rejected_with_reason(record: bytes | dict, reason: str, pointer: str) -> None:
    rejected = _reject(record)
    assert rejected.reason == reason
    assert rejected.pointer == pointer
    assert rejected.message


def test_format_checker_is_active() -> None:
    # Without a format checker jsonschema lets "not a date" through; this must not.
    assert _reject({**GOOD, "retrieved_at": "not a date"}).reason == "invalid_format"


def test_size_limits_have_their_own_reasons() -> None:
    limits = Limits(max_record_bytes=1000, max_field_chars=100)
    assert _reject({**GOOD, "text": "a" * 150}, limits).reason == "field_too_large"
    assert _reject({**GOOD, "text": "a" * 2000}, limits).reason == "record_too_large"


def test_messages_are_bounded_for_huge_values() -> None:
    rejected = _reject({**GOOD, "outlet": "x" * 100_000})
    assert rejected.reason == "too_long"
    assert len(rejected.message) < 400


def test_deep_nesting_is_rejected_not_crashing() -> None:
    rejected = _reject(b"[" * 100_000 + b"]" * 100_000)
    assert rejected.reason in ("invalid_json", "not_an_object")


@pytest.mark.parametrize(
    "record",
    [
        GOOD,
        {"text": "a", "url": "https://www.reuters.com/world/x"},
        {**GOOD, "retrieved_at": "2022-02-15T10:00:00Z", "published": "Tue Feb 15, 2022",
         "title": "T", "authors": ["A B"], "language": "en-GB", "section": ["World", "Europe"]},
        {**GOOD, "section": "News / Russia", "retrieved_at": "2022-02-15T10:00:00+03:30"},
    ],
)
def test_good_records_pass(record: dict) -> None:
    assert validate_unit(_unit(record), Limits())["text"] == record["text"]


def test_bom_is_tolerated() -> None:
    assert validate_unit(_unit(b"\xef\xbb\xbf" + json.dumps(GOOD).encode()), Limits()) == GOOD


def test_synthetic_records_validate() -> None:
    rng = random.Random(7)
    for i in range(200):
        validate_unit(_unit(make_article(rng, i)), Limits())


def test_synthetic_bad_records_give_their_reason() -> None:
    for line, reason in make_bad_records(random.Random(3)):
        assert _reject(line).reason == reason, line[:80]
