"""The fast schema check accepts and rejects exactly what jsonschema does."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.fastcheck import raw_conforms
from builder.validate import Rejected, decode_object, validator
from tests.synthetic import make_article, make_bad_records
from tests.test_validate import BAD

KEYS = ["text", "html", "outlet", "url", "retrieved_at", "published", "title", "authors", "language", "section", "extra"]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
    st.sampled_from(["https://example.com/a", "not a url", "ftp://x.org", "2022-02-15T10:00:00Z", "2022-02-15",
                     "en", "en-GB", "english!!", "", "News / Russia", "x" * 201]),
    st.lists(st.text(max_size=5), max_size=3), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _agree(record) -> None:
    assert raw_conforms()(record) == validator().is_valid(record), record


def test_agrees_on_synthetic_corpus_and_bad_table() -> None:
    rng = random.Random(0)
    for i in range(500):
        _agree(make_article(rng, i))
    for line, _ in make_bad_records(random.Random(1)):
        try:
            _agree(decode_object(line))
        except Rejected:
            pass
    for record, _, _ in BAD:
        obj = record
        if isinstance(record, bytes):
            try:
                obj = decode_object(record)
            except Rejected:
                continue
        _agree(obj)
    _agree(json.loads('{"text": "a", "outlet": "x", "section": ["A", "B"]}'))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_agrees_on_generated_records(record: dict) -> None:
    _agree(record)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.integers(), st.text(), st.lists(st.integers()), st.none()))
def test_agrees_on_non_objects(value) -> None:
    _agree(value)
