"""Dates: the single-tokenization path gives exactly what dateutil's public parse() gives, and the
hand-written reader of common formats gives exactly what that path gives."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from builder.dates import (
    _DEFAULT_A,
    _DEFAULT_B,
    _TZINFOS,
    STAMP_PREFIX,
    _parse,
    _parse_both,
    _parse_both_dateutil,
    _parse_both_fast,
    parse_published,
)
from tests.synthetic import _PUBLISHED_STYLES, AP_MONTHS, MONTHS, SHORT_MONTHS, _published

ODD = ["", " ", "Monday", "Nov. 24", "24 Nov", "10:00", "31", "Feb 29", "29 Feb 2023", "2023-02-30",
       "Dec 31, 11:59 PM", "yesterday", "12/13/2022", "13/12/2022", "2022", "Sept. 3", "noon",
       "Tue, 30 Jul 2022 19:05:25 +0300", "30 Jul 2022 19:05:25 XYZ", "30 Jul 2022 19:05 EST",
       "9999-12-31 23:59", "0001-01-01", "1e10", "99999999999999999999", "Published On 1 Jan 2020",
       "2022-07-30T19:05:25+25:00", "3 p.m. EDT, Nov 4", "Jan 1 2021 25:00"]

# Edges of dateutil's rules, written out: 12 AM/PM, days the month lacks, two-digit years,
# weekdays that disagree with the date, zones it knows and does not, GMT+N read POSIX-style.
EDGES = ["Nov 24, 2025 12:00 AM", "Nov 24, 2025 12:30 PM", "Nov 24, 2025 0:30 PM", "Nov 24, 2025 00:30 AM",
         "Nov 24, 2025 13:00 PM", "Nov 24, 2025 12 AM", "Feb 29, 2023", "Feb 29, 2024", "29 Feb 2023 10:30",
         "29 FEB, 10:30", "31 APR, 10:30", "Apr 31", "Feb 30", "Nov 31", "Nov 0", "Nov 32", "0 Nov", "32 Nov",
         "24 Nov 25", "Nov 24, 25", "1 Jan 20", "1 Jan 0000", "1 Jan 0999", "1 Jan 9999", "1 Jan 10000",
         "Tue Nov 24, 2025 10:30AM", "Tues Nov 24, 2025 10:30AM", "Mon, 24 Nov 2025 10:30:00 GMT",
         "Mon 24 Nov 10.30 GMT", "24 Nov 2025 10.30 HOURS", "24 Nov 2025 6.35 GMT", "24 Nov 2025 10.3 GMT",
         "Mon 24 Nov 2025 10.30 XYZ", "Mon 24 Nov 2025 10.30", "Mon 24 Mon 2025 10.30 GMT",
         "November 24, 2025 10:30 AM GMT+0", "November 24, 2025 10:30 AM GMT-0", "November 24, 2025 10:30 UTC+3",
         "November 24, 2025 10:30 EST+3", "November 24, 2025 10:30 AM GMT+530", "November 24, 2025 10:30 Z",
         "November 24, 2025 10:30 z", "November 24, 2025 10:30 est", "November 24, 2025 10:30 Gmt",
         "10:30 AM EST Mon November 24, 2025", "10:30 AM, November 24", "10:30 PM EST, Mon November 31, 2025",
         "2025-11-24", "2025-13-24", "2025-11-31 10:30", "2025-02-29 10:30:00", "2025-11-24 24:00:00",
         "2025-11-24 10:60:00", "2025-11-24 10:30:60", "11/24/25", "00/24/2025", "13/13/2025", "32/12/2025",
         "1/2/2025", "12/31/2025 10:30 PM", "Nov 24,2025", "Nov 24 , 2025", "Nov  24", "Nov.24", "Sept 3",
         "Sep. 3", "SEPT. 3", "sept 3", "June 8", "Jun. 8", "May. 1", "Published", "Updated2020",
         "Publishedé 2020", "Published.On 1 Jan", "on Nov 24", "at 10:30", "Am 10:30", "inf", "nan 24",
         "h 10", "Nov 24\n", "Nov 24 ", " Nov 24", "Nov 24\t2025", "٢٤ Nov 2025"]

DEFAULTS = [(_DEFAULT_A, _DEFAULT_B), (dt.datetime(2022, 3, 31, 10), dt.datetime(2022, 3, 1, 10)),
            (dt.datetime(2024, 2, 29), dt.datetime(2024, 2, 1)), (dt.datetime(2021, 1, 31), dt.datetime(2021, 1, 1)),
            (dt.datetime(2023, 4, 30, 23, 59, 59), dt.datetime(2023, 4, 1, 0, 0, 0, 5)),
            # aware and folded defaults: the built datetimes keep what the text does not replace
            (dt.datetime(2023, 6, 30, 1, 2, 3, tzinfo=dt.UTC, fold=1),
             dt.datetime(2020, 12, 1, 4, 5, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=-3))))]

ZONES = [f"GMT{n:+d}" for n in range(-15, 16)] + [
    "GMT+05", "GMT-03", "GMT+0530", "GMT-0930", "GMT+05:30", "GMT-3:30", "GMT+5:3", "GMT+14:75", "GMT+99",
    "GMT+530", "UTC+3", "UTC-11", "EST+3", "GMT +3", "GMT+", "Z", "z", "est", "Gmt", "XYZ", "ET", "IST",
    "ABCDEF", "H", "AM", *_TZINFOS]


def _published_texts(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(style, text) for every published style over n random times in several zones."""
    out = []
    for _ in range(n):
        when = dt.datetime(2019, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randint(0, 6 * 365 * 86400))
        offset = dt.timedelta(minutes=rng.choice([-600, -300, -240, 0, 60, 180, 330, 480, 540, 765]))
        local = when.astimezone(dt.timezone(offset))
        for style in sorted(_PUBLISHED_STYLES):
            out.append((style, _published(local, style)))
    return out


def _dateline_texts() -> list[str]:
    """Dateline dates as outlets print them: "Nov. 24", "Nov 24", "November 24", "Sept. 3"."""
    return [f"{month} {day}" for months in (SHORT_MONTHS, AP_MONTHS, MONTHS) for month in months
            for day in (1, 3, 9, 10, 24, 28, 29, 30, 31)]


def _mutate(rng: random.Random, text: str) -> str:
    """One small change of the kind capture and page templates make, or worse."""
    kind = rng.randrange(9)
    if kind == 0 and text:  # case
        i = rng.randrange(len(text))
        return rng.choice([text.upper(), text.lower(), text.title(), text[:i] + text[i:].swapcase()])
    if kind == 1:  # commas and spaces dropped, doubled, added
        spots = [m.start() for m in re.finditer(r"[ ,.]", text)]
        if spots:
            i = rng.choice(spots)
            return text[:i] + rng.choice(["", text[i] * 2, ",", " ,", "\t", "  ", ". "]) + text[i + 1:]
        return text
    if kind == 2:  # numbers out of range, short and long
        runs = list(re.finditer(r"[0-9]+", text))
        if runs:
            m = rng.choice(runs)
            value = rng.choice(["0", "00", "1", "07", "12", "13", "23", "24", "25", "28", "29", "30", "31", "32",
                                "59", "60", "99", "100", "0000", "0999", "1999", "2023", "2024", "9999", "10000"])
            return text[:m.start()] + value + text[m.end():]
        return text
    if kind == 3:  # a zone after the time, or in place of one
        zone = rng.choice(ZONES)
        if re.search(r"\b(?:GMT|UTC|[A-Z]{3,4})\S*$", text):
            return re.sub(r"\b(?:GMT|UTC|[A-Z]{3,4})\S*$", zone, text)
        return f"{text} {zone}"
    if kind == 4:  # 12-hour clock markers
        marker = rng.choice(["AM", "PM", "am", "pm", "a.m.", "A", "P", "Am", " AM", ""])
        if re.search(r"[AP]M", text):
            return re.sub(r" ?[AP]M", (" " if rng.random() < 0.5 else "") + marker, text, count=1)
        return text + " " + marker
    if kind == 5:  # weekday names, right, wrong, unknown to dateutil
        day = rng.choice(["Mon", "Tue", "Tues", "Thurs", "Sunday", "Mon,", "mon", "Xyz", "on", "at"])
        return f"{day} {text}"
    if kind == 6:  # month spellings
        words = list(re.finditer(r"[A-Za-z]{3,}\.?", text))
        if words:
            m = rng.choice(words)
            word = rng.choice(["Sept", "Sept.", "Sep.", "SEPT", "June", "Jun.", "MAY", "May.", "Mayo", "Febr",
                               "Feb", "Apr", "Published", "Updated", "On", "of", "h"])
            return text[:m.start()] + word + text[m.end():]
        return text
    if kind == 7:  # whitespace around
        return rng.choice([" ", "\n", "\t", "\u00a0"]) + text if rng.random() < 0.5 else text + rng.choice([" ", "\n"])
    # a part dropped or doubled
    parts = text.split(" ")
    if len(parts) > 1:
        i = rng.randrange(len(parts))
        parts[i:i + 1] = [] if rng.random() < 0.5 else [parts[i], parts[i]]
    return " ".join(parts)


def _assert_exact(text: str) -> bool:
    """The fast reading agrees with dateutil by repr for every default pair; True if it read the text."""
    taken = False
    for first, second in DEFAULTS:
        fast = _parse_both_fast(text, first, second)
        slow = repr(_parse_both_dateutil(text, first, second))
        if fast is not None:
            taken = True
            assert repr(fast) == slow, (text, first, second)
        assert repr(_parse_both(text, first, second)) == slow, (text, first, second)
    return taken


def test_parse_both_equals_two_public_parses() -> None:
    rng = random.Random(3)
    texts = list(ODD)
    for _ in range(600):
        when = dt.datetime(2019, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randint(0, 6 * 365 * 86400))
        local = when.astimezone(dt.timezone(dt.timedelta(hours=rng.choice([-5, 0, 3, 8]))))
        texts.append(_published(local, rng.choice(sorted(_PUBLISHED_STYLES))))
    defaults = [(_DEFAULT_A, _DEFAULT_B), (dt.datetime(2022, 3, 31, 10), dt.datetime(2022, 3, 1, 10)),
                (dt.datetime(2024, 2, 29), dt.datetime(2024, 2, 1))]
    for text in texts:
        for first, second in defaults:
            # repr, so the time zone objects must agree too, not only the instants
            assert repr(_parse_both(text, first, second)) == repr((_parse(text, first), _parse(text, second))), text


def test_fast_path_reads_generator_formats_exactly() -> None:
    rng = random.Random(11)
    published = _published_texts(rng, 250)
    taken: dict[str, int] = {}
    for style, text in published:
        taken[style] = taken.get(style, 0) + _assert_exact(text)
        stripped = STAMP_PREFIX.sub("", text)  # what a page's "Published …" stamp passes on
        if stripped != text:
            assert _assert_exact(stripped), stripped
    # Every style but ISO with an offset (read before dateutil is reached) takes the fast path.
    assert taken.pop("iso") == 0
    assert taken == dict.fromkeys(taken, 250), taken
    for text in _dateline_texts():
        assert _assert_exact(text), text
    for first, second in DEFAULTS:  # a dateline's defaults: the published day, and the 1st (or 2nd)
        for text in _dateline_texts():
            ref = first.replace(hour=0, minute=0, second=0, microsecond=0)
            other = ref.replace(day=1) if ref.day != 1 else ref.replace(day=2)
            fast = _parse_both_fast(text, ref, other)
            assert fast is not None and repr(fast) == repr(_parse_both_dateutil(text, ref, other)), text


def test_fast_path_is_exact_on_odd_and_mutated_text() -> None:
    rng = random.Random(7)
    seeds = ODD + EDGES + _dateline_texts() + [text for _, text in _published_texts(rng, 40)]
    for text in ODD + EDGES:
        _assert_exact(text)
    taken = 0
    for _ in range(4000):
        text = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 2, 3))):
            text = _mutate(rng, text)
        taken += _assert_exact(text)
    assert taken > 1000  # the mutants still reach the fast path often enough to test it


try:
    from hypothesis import given
    from hypothesis import strategies as st
except ImportError:  # hypothesis comes with the test extra; without it only this test is skipped
    pass
else:
    _PIECES = ["Nov", "Sept", "May", "Mon", "Tue", "Tues", "24", "3", "31", "29", "2025", "2023", "0", "99", "12",
               "10", "30", "00", ":", ".", ",", " ", "  ", "/", "-", "+", "AM", "pm", "GMT", "UTC", "EST", "XYZ",
               "Z", "Published", "On", "at", "h", "T"]

    @given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
    def test_fast_path_is_exact_on_token_soup(text: str) -> None:
        _assert_exact(text)


@pytest.mark.parametrize(("text", "expected"), [
    # The words pages print before a publication date, in metadata as in the page text
    ("Published On 1 Jan 2020", ("2020-01-01T00:00:00+00:00", "metadata_date_only")),
    ("Published: Nov 24, 2025 10:30 AM", ("2025-11-24T10:30:00+00:00", "metadata_assumed_tz")),
    ("Published on 3 March 2021 12.05", ("2021-03-03T12:05:00+00:00", "metadata_assumed_tz")),
    ("First published Tue, 4 May 2021 09:00:00 GMT", ("2021-05-04T09:00:00+00:00", "metadata")),
    ("Published: 2025-11-24T10:00:00+03:00", ("2025-11-24T07:00:00+00:00", "metadata")),
    # A time written with a dot after a full date
    ("Mon 24 Nov 2025 10.30 GMT", ("2025-11-24T10:30:00+00:00", "metadata")),
    ("Sat 6 Jul 2024 23.59 BST", ("2024-07-06T22:59:00+00:00", "metadata")),
    # An update time is not a publication time
    ("Updated 10:30 AM EST, Mon November 24, 2025", (None, None)),
    # An offset of a day or more has no UTC time: no date, and no error
    ("Nov 24, 2025 10:00 GMT+25", (None, None)),
    ("Nov 24, 2025 10:00 -2500", (None, None)),
])
def test_published_metadata_as_pages_print_it(text: str, expected: tuple[str | None, str | None]) -> None:
    value, source = parse_published(text, "Europe/London")
    assert (value.isoformat() if value else None, source) == expected


def test_every_printed_style_reads_back_as_the_time_printed() -> None:
    """Each page style the generator prints, from a UTC time, reads back as that time (to what
    the style shows); only a style without a year, or an update stamp, gives no date."""
    rng = random.Random(5)
    unread = {"tass": "no year", "cnn": "an update time"}
    for _ in range(200):
        when = dt.datetime(2019, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randint(0, 6 * 365 * 1440))
        for style in _PUBLISHED_STYLES:
            value, source = parse_published(_published(when, style), None)
            if style in unread:
                assert value is None, style
            elif source == "metadata_date_only":
                assert value == when.replace(hour=0, minute=0), style
            else:
                assert value == when, (style, _published(when, style), value)
