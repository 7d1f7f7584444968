"""Dates: the single-tokenization path gives exactly what dateutil's public parse() gives."""

from __future__ import annotations

import datetime as dt
import random

from builder.dates import _DEFAULT_A, _DEFAULT_B, _parse, _parse_both
from tests.synthetic import _PUBLISHED_STYLES, _published

ODD = ["", " ", "Monday", "Nov. 24", "24 Nov", "10:00", "31", "Feb 29", "29 Feb 2023", "2023-02-30",
       "Dec 31, 11:59 PM", "yesterday", "12/13/2022", "13/12/2022", "2022", "Sept. 3", "noon",
       "Tue, 30 Jul 2022 19:05:25 +0300", "30 Jul 2022 19:05:25 XYZ", "30 Jul 2022 19:05 EST",
       "9999-12-31 23:59", "0001-01-01", "1e10", "99999999999999999999", "Published On 1 Jan 2020",
       "2022-07-30T19:05:25+25:00", "3 p.m. EDT, Nov 4", "Jan 1 2021 25:00"]


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
