"""Normalizer pieces, each with an (input, expected) table, and properties of the whole."""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.dates import parse_published, resolve_dateline_date
from builder.normalize import normalize, repair_mojibake, split_authors, split_glued
from builder.outlets import load_registry
from builder.text import clean_text
from tests.golden import accounts_for
from tests.synthetic import make_article

REG = load_registry()
UTC = dt.UTC


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\u00a0\u00a0b", "a b"),
        ("a\u200bb\u2060c\ufeffd", "abcd"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("cafe\u0301", "café"),  # NFC
        ("a\x00b\x07c", "abc"),
        ("  padded  \n\n\n\nnext  ", "padded\n\nnext"),
        ("ن\u200cم", "ن\u200cم"),  # ZWNJ is meaningful in Persian: kept
        ("tab\there", "tab here"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def _clean_text_by_definition(text: str) -> str:
    """clean_text spelled out step by step, every step applied to every text."""
    for end in ("\r\n", "\r", "\x85", "\u2028"):
        text = text.replace(end, "\n")
    text = unicodedata.normalize("NFC", text.replace("\u2029", "\n\n"))
    text = re.sub("[\u00a0\u1680\u2000-\u200a\u202f\u205f\t\v\f]", " ", text)
    text = re.sub("[\u200b\u2060\ufeff\u00ad]", "", text)
    text = re.sub("[\x00-\x08\x0e-\x1f\x7f-\x9f]", "", text)
    lines = [re.sub(" {2,}", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n\s*\n", "\n\n", "\n".join(lines)).strip()


# Every character clean_text treats specially, its neighbours, and ordinary text around them.
_TRICKY = ("ab .\n\r\t\v\f\x00\x07\x0b\x1c\x1f\x7f\x80\x85\x9f\u00a0\u00ad\u1680\u2000\u200a\u200b"
           "\u200c\u200d\u200e\u2028\u2029\u202f\u205f\u2060\u3000\ufeff\u0301e\u00e9\u0928\U0001f600")


_TRICKY_ASCII = "".join(c for c in _TRICKY if c.isascii())


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_TRICKY_ASCII), max_size=40)
       | st.text(alphabet=st.sampled_from(_TRICKY), max_size=40) | st.text(max_size=40))
def test_clean_text_skips_only_steps_that_cannot_change_the_text(raw: str) -> None:
    assert clean_text(raw) == _clean_text_by_definition(raw)


def test_clean_text_matches_its_definition_on_random_tricky_strings() -> None:
    rng = random.Random(5)
    for _ in range(50_000):
        alphabet = _TRICKY_ASCII if rng.random() < 0.5 else _TRICKY
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert clean_text(raw) == _clean_text_by_definition(raw), repr(raw)


def test_clean_text_matches_its_definition_on_generated_articles() -> None:
    rng = random.Random(11)
    for i in range(300):
        text = make_article(rng, i)["text"]
        assert clean_text(text) == _clean_text_by_definition(text)


_MOJIBAKE_ALPHABET = "aZ .\n" + "ÂÃÄÅÆÇÐÑÒÓ×ØÙâ" + "\x80\x9c\xa0\xa9\xbf€™’“”–—©éà"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_MOJIBAKE_ALPHABET), max_size=20) | st.text(max_size=20))
def test_repair_mojibake_shortcut_skips_only_texts_without_the_hint(text: str) -> None:
    import ftfy

    from builder.normalize import _MOJIBAKE_HINT

    expected = ftfy.fix_encoding(text) if _MOJIBAKE_HINT.search(text) else text
    assert repair_mojibake(text) == expected


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from('aZq1 .!?"”’\n'), max_size=15), max_size=5))
def test_split_glued_whole_text_shortcut_changes_nothing(paras: list[str]) -> None:
    from builder.normalize import _GLUED, _GLUED_HINT

    expected: list[str] = []
    for para in paras:
        if "\n" in para or not _GLUED_HINT.search(para) or not _GLUED.search(para):
            expected.append(para)
        else:
            expected.extend(p.strip() for p in _GLUED.split(para) if p.strip())
    assert split_glued(paras) == expected


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("Press TVâ€™s website", "Press TV’s website"),
        ("cafÃ© society", "café society"),
        ("Plain ASCII stays.", "Plain ASCII stays."),
        ("Moscow’s “quotes” stay", "Moscow’s “quotes” stay"),
    ],
)
def test_repair_mojibake(raw: str, fixed: str) -> None:
    assert repair_mojibake(raw) == fixed


@pytest.mark.parametrize(
    ("paras", "expected"),
    [
        (["He said.The talks resumed on Monday."], ["He said.", "The talks resumed on Monday."]),
        (["It was “final.”Officials left."], ["It was “final.”", "Officials left."]),
        (["The U.S. and St.Petersburg stay whole."], ["The U.S. and St.Petersburg stay whole."]),
        (["Version 3.5 is out."], ["Version 3.5 is out."]),
    ],
)
def test_split_glued(paras: list[str], expected: list[str]) -> None:
    assert split_glued(paras) == expected


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("MARK KENNEDY", ["Mark Kennedy"]),
        ("ZEKE MILLER, AAMER MADHANI and SEUNG MIN KIM", ["Zeke Miller", "Aamer Madhani", "Seung Min Kim"]),
        ("Jane Doe & John McDonald", ["Jane Doe", "John McDonald"]),
        ("Ursula von der Leyen", ["Ursula von der Leyen"]),
    ],
)
def test_split_authors(byline: str, authors: list[str]) -> None:
    assert split_authors(byline) == authors


@pytest.mark.parametrize(
    ("text", "zone", "expected", "source"),
    [
        ("2022-02-15T10:00:00+03:30", None, dt.datetime(2022, 2, 15, 6, 30, tzinfo=UTC), "metadata"),
        ("2022-02-15T10:00:00Z", None, dt.datetime(2022, 2, 15, 10, 0, tzinfo=UTC), "metadata"),
        ("Tue Feb 15, 2022 03:51PM", "Asia/Tehran", dt.datetime(2022, 2, 15, 12, 21, tzinfo=UTC), "metadata_assumed_tz"),
        ("Tue Feb 15, 2022 03:51PM", None, dt.datetime(2022, 2, 15, 15, 51, tzinfo=UTC), "metadata_assumed_utc"),
        ("15 February 2022", "Europe/London", dt.datetime(2022, 2, 15, tzinfo=UTC), "metadata_date_only"),
        ("Updated 3:15 PM EST, Tue November 24, 2026".removeprefix("Updated "), None,
         dt.datetime(2026, 11, 24, 20, 15, tzinfo=UTC), "metadata"),
        ("February 15", "Europe/London", None, None),  # no year: never invented
        ("yesterday", None, None, None),
        ("", None, None, None),
    ],
)
def test_parse_published(text: str, zone: str | None, expected, source) -> None:
    assert parse_published(text, zone) == (expected, source)


def test_dateline_date_resolves_year_from_published() -> None:
    published = dt.datetime(2022, 11, 25, 3, 0, tzinfo=UTC)
    assert resolve_dateline_date("Nov. 24", published) == dt.date(2022, 11, 24)
    assert resolve_dateline_date("Dec 31", dt.datetime(2023, 1, 1, tzinfo=UTC)) == dt.date(2022, 12, 31)
    assert resolve_dateline_date("Nov. 24", None) is None


def _article(text: str, **meta):
    return normalize({"text": text, **meta}, "0" * 64, REG)


def test_html_capture_is_extracted_and_normalized() -> None:
    html = (
        '<html lang="en"><head><title>Talks resume - Example</title>'
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2024-03-05T10:00:00+01:00"></head><body>'
        "<nav>Home | World</nav><article><h1>Talks resume in Geneva</h1>"
        "<p>Negotiators met again on Tuesday in Geneva after a pause of several weeks, officials said.</p>"
        '<figure><img src="a.jpg"><figcaption>Delegates arrive in Geneva. (Photo: Jane Roe/Example)</figcaption></figure>'
        "<p>ADVERTISEMENT</p>"
        "<p>The next round is expected in April, according to a statement from the mediators.</p>"
        "</article></body></html>"
    )
    article = normalize({"html": html, "url": "https://example.com/world/talks"}, "0" * 64, REG)
    assert article.outlet_name == "Example News"
    assert article.published_at == dt.datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert article.images[0].credit == "Jane Roe/Example"
    assert "ADVERTISEMENT" not in article.text
    assert "Negotiators met again" in article.text and "next round" in article.text
    assert "Home | World" not in article.text


def test_byline_glued_to_timestamp() -> None:
    a = _article("Talks resume in Geneva\n\nBy MARK KENNEDY Updated 3:15 PM EST, Tue November 24, 2026\n\n"
                 "Negotiators met again on Tuesday.", outlet="Some Site")
    assert a.authors == ["Mark Kennedy"]
    assert {r.kind for r in a.removed} >= {"byline", "timestamp"}
    assert a.text == "Negotiators met again on Tuesday."


def test_published_stamp_in_page_text() -> None:
    a = _article("Headline of the story here\n\nPublished: Nov 24, 2026 09:12 PM GMT\n\nBody paragraph.", outlet="Some Site")
    assert a.published_at == dt.datetime(2026, 11, 24, 21, 12, tzinfo=UTC)
    assert a.published_at_source == "page_text"


def test_generic_boilerplate_never_eats_prose() -> None:
    prose = [
        "Read more about the plan in the report, which was published on Monday.",
        "Advertisement revenue fell by 4 percent, the company said.",
        "Published in 1998, the novel sold a million copies.",
        "Share prices rose sharply after the announcement.",
        "Follow the money, investigators were told.",
        "Updated figures showed growth of 2 percent.",
        "By the end of the year, the ministry expects to finish.",
    ]
    a = _article("\n\n".join(["Headline about many things here", *prose]), outlet="Some Site")
    assert a.text.split("\n\n") == prose


def _renormalize(article, record: dict):
    again = {"text": article.text}
    for key in ("url", "language"):
        if record.get(key):
            again[key] = record[key]
    again["outlet"] = article.outlet_name or "x"
    return normalize(again, "0" * 64, REG)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_normalizing_twice_changes_nothing(i: int) -> None:
    record = make_article(random.Random(i), i)
    first = normalize(record, "0" * 64, REG)
    second = _renormalize(first, record)
    assert second.text == first.text
    assert second.removed == []


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_every_output_word_was_in_the_input_and_everything_is_accounted(i: int) -> None:
    record = make_article(random.Random(i), i)
    article = normalize(record, "0" * 64, REG)
    source_words = set(clean_text(record["text"]).split())
    body_words = set(article.text.split())
    # A split of glued paragraphs may cut a token in two; every other word is verbatim input.
    assert all(w in source_words or any(w in s for s in source_words) for w in body_words)
    # Body + removed pieces hold exactly the input's characters (extracted fields are in `removed` too).
    assert accounts_for(record["text"], article)
