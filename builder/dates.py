"""Dates as pages print them, turned into UTC without inventing what the page did not say."""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from dateutil import tz

# Abbreviations pages print; dateutil knows none of them without help.
_TZINFOS = {
    "UTC": tz.UTC, "GMT": tz.UTC, "Z": tz.UTC,
    "EST": tz.tzoffset("EST", -5 * 3600), "EDT": tz.tzoffset("EDT", -4 * 3600),
    "CST": tz.tzoffset("CST", -6 * 3600), "CDT": tz.tzoffset("CDT", -5 * 3600),
    "MST": tz.tzoffset("MST", -7 * 3600), "MDT": tz.tzoffset("MDT", -6 * 3600),
    "PST": tz.tzoffset("PST", -8 * 3600), "PDT": tz.tzoffset("PDT", -7 * 3600),
    "BST": tz.tzoffset("BST", 3600), "CET": tz.tzoffset("CET", 3600),
    "CEST": tz.tzoffset("CEST", 7200), "EET": tz.tzoffset("EET", 7200),
    "EEST": tz.tzoffset("EEST", 10800), "MSK": tz.tzoffset("MSK", 10800),
    "IRST": tz.tzoffset("IRST", 12600), "JST": tz.tzoffset("JST", 9 * 3600),
    "KST": tz.tzoffset("KST", 9 * 3600), "HKT": tz.tzoffset("HKT", 8 * 3600),
    "SGT": tz.tzoffset("SGT", 8 * 3600), "AEST": tz.tzoffset("AEST", 10 * 3600),
    "AEDT": tz.tzoffset("AEDT", 11 * 3600), "TRT": tz.tzoffset("TRT", 3 * 3600),
}
# Two defaults that differ in every field: a field the page omitted differs between the parses.
_DEFAULT_A = dt.datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = dt.datetime(2004, 2, 2, 1, 1, 1)


def _parse(text: str, default: dt.datetime) -> dt.datetime | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dateparser.parse(text, default=default, tzinfos=_TZINFOS, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None


@functools.lru_cache(maxsize=1 << 16)
def _parse_both(text: str, first: dt.datetime, second: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(_parse(text, first), _parse(text, second)), tokenizing the text once: the steps of
    dateutil's parser.parse() after its own _parse(), run for each default. Where this
    dateutil lacks those steps, the public parse() is called twice. Answers are cached: many
    pages print the same date string."""
    parser = getattr(dateparser, "DEFAULTPARSER", None)
    steps = [getattr(parser, name, None) for name in ("_parse", "_build_naive", "_build_tzaware")]
    if not all(steps):
        return _parse(text, first), _parse(text, second)
    tokenize, build_naive, build_tzaware = steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res, _ = tokenize(text, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return None, None
        if res is None or len(res) == 0:
            return None, None
        built: list[dt.datetime | None] = []
        for default in (first, second):
            try:
                built.append(build_tzaware(build_naive(res, default), res, _TZINFOS))
            except (ValueError, OverflowError, TypeError):
                built.append(None)
    return built[0], built[1]


def parse_published(text: str, timezone: str | None) -> tuple[dt.datetime | None, str | None]:
    """(UTC time, how its zone was known) for a published date as shown, or (None, None).

    A value without a year, month or day is refused. A date without a time is midnight UTC of
    that date ('metadata_date_only'); a time without a zone is read in the outlet's zone
    ('metadata_assumed_tz'), and in UTC when the outlet is unknown ('metadata_assumed_utc').
    """
    text = text.strip()
    if not text or len(text) > 200:
        return None, None
    iso = _iso(text)
    if iso is not None:
        return iso
    a, b = _parse_both(text, _DEFAULT_A, _DEFAULT_B)
    if a is None or b is None:
        return None, None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None, None
    has_time = (a.hour, a.minute) == (b.hour, b.minute)
    if not has_time:
        return dt.datetime(a.year, a.month, a.day, tzinfo=dt.UTC), "metadata_date_only"
    if a.tzinfo is not None:
        return a.astimezone(dt.UTC), "metadata"
    zone = _zone(timezone)
    if zone is None:
        return a.replace(tzinfo=dt.UTC), "metadata_assumed_utc"
    return a.replace(tzinfo=zone).astimezone(dt.UTC), "metadata_assumed_tz"


def _iso(text: str) -> tuple[dt.datetime, str] | None:
    """Fast path for ISO 8601 date-times with a zone, the commonest metadata form."""
    if len(text) < 20 or text[4] != "-" or text[10] not in "Tt ":
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(dt.UTC), "metadata"


def parse_rfc3339(text: str) -> dt.datetime:
    """An RFC 3339 time (already checked by the schema) in UTC."""
    value = dt.datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def resolve_dateline_date(text: str, published: dt.datetime | None) -> dt.date | None:
    """A dateline's 'Nov. 24' as a date: the year comes from the published date, never guessed."""
    # Only the published date (not its time) can change the answer: passing the day at midnight
    # lets _parse_both's cache serve every article published that day.
    return _dateline_date(text, published.replace(tzinfo=None).date() if published is not None else None)


def _dateline_date(text: str, day: dt.date | None) -> dt.date | None:
    published = dt.datetime(day.year, day.month, day.day) if day is not None else None
    if published is None:
        a, b = _parse_both(text, _DEFAULT_A, _DEFAULT_B)
        if a and b and (a.year, a.month, a.day) == (b.year, b.month, b.day):
            return a.date()
        return None
    ref = published.replace(tzinfo=None)
    a, b = _parse_both(text, ref, ref.replace(day=1) if ref.day != 1 else ref.replace(day=2))
    if a is None or b is None or (a.month, a.day) != (b.month, b.day):
        return None
    value = a.date()
    # A dateline of Dec 31 on a page published Jan 1 belongs to the year before.
    if value > ref.date() + dt.timedelta(days=7):
        try:
            value = value.replace(year=value.year - 1)
        except ValueError:
            return None
    return value


def _zone(name: str | None) -> dt.tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
