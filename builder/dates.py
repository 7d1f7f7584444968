"""Dates as pages print them, turned into UTC without inventing what the page did not say."""

from __future__ import annotations

import datetime as dt
import functools
import re
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


_Pair = tuple[dt.datetime | None, dt.datetime | None]


@functools.lru_cache(maxsize=1 << 16)
def _parse_both(text: str, first: dt.datetime, second: dt.datetime) -> _Pair:
    """(_parse(text, first), _parse(text, second)). The formats pages print most are read by
    _parse_both_fast, the rest by dateutil: dateutil costs about 100 us a string, and most
    strings are distinct (minute precision). Answers are cached: many pages print the same
    date string."""
    fast = _parse_both_fast(text, first, second)
    return fast if fast is not None else _parse_both_dateutil(text, first, second)


def _parse_both_dateutil(text: str, first: dt.datetime, second: dt.datetime) -> _Pair:
    """(_parse(text, first), _parse(text, second)), tokenizing the text once: the steps of
    dateutil's parser.parse() after its own _parse(), run for each default. Where this
    dateutil lacks those steps, the public parse() is called twice."""
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


# Word tables of dateutil's own parser, keyed in lower case as it matches them.
_MONTHS = {name.lower(): i for i, names in enumerate(dateparser.parserinfo.MONTHS, 1) for name in names}
_WEEKDAYS = frozenset(name.lower() for names in dateparser.parserinfo.WEEKDAYS for name in names)
# dateutil fails at once on a first word that is no weekday, month or filler word ('on', 'of').
_LEAD_OK = frozenset(_MONTHS) | _WEEKDAYS | frozenset(word.lower() for word in dateparser.parserinfo.JUMP)
_LEAD = re.compile(r"([A-Za-z]+)(?=[ :,;0-9]|\Z)")
# A zone after a time is looked up in _TZINFOS as printed; 'Z' is left to dateutil, which renames it.
_ZONES = {name: zone for name, zone in _TZINFOS.items() if len(name) > 1}

_TIME = (r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?(?: ?(?P<ap>[AaPp][Mm]))?"
         r"(?: (?P<zone>[A-Z]{2,5})(?:(?P<sign>[+-])"
         r"(?:(?P<oh>[0-9]{1,2})(?::(?P<om>[0-9]{2}))?|(?P<ohm>[0-9]{4})))?)?")
_WD = r"(?:(?P<wd>[A-Za-z]+),? )?"
_MON = r"(?P<mon>[A-Za-z]+)\.?"
_DAY = r"(?P<d>[0-9]{1,2})"
_YEAR = r"(?P<y>[1-9][0-9]{3})"
# "Mon Nov 24, 2025 10:30AM", "November 24, 2025, 10:30 AM", "Nov. 24", "Sept 3"
_MDY = re.compile(_WD + _MON + " " + _DAY + "(?:,? " + _YEAR + ")?(?:,? " + _TIME + ")?")
# "24 November 2025", "24 Nov, 2025 10:30", "24 NOV, 10:30", "Mon, 24 Nov 2025 10:30:00 GMT"
_DMY = re.compile(_WD + _DAY + " " + _MON + "(?:,? " + _YEAR + ")?(?:,? " + _TIME + ")?")
# "10:30 AM EST, Mon November 24, 2025"
_TIME_MDY = re.compile(_TIME + ",? " + _WD + _MON + " " + _DAY + "(?:,? " + _YEAR + ")?")
# "2025-11-24 10:30:00"
_YMD = re.compile(_YEAR + "-(?P<m>[0-9]{1,2})-" + _DAY + "(?: " + _TIME + ")?")
# "11/24/2025", "13/12/2022"
_SLASH = re.compile(r"(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})/" + _YEAR + "(?: " + _TIME + ")?")
# "Mon 24 Nov 2025 10.30 GMT": dateutil reads "10.30" as a fourth date number and fails.
_DOTTED = re.compile(_WD + r"(?P<d>[0-9]{1,2}) (?P<mon>[A-Za-z]+) [1-9][0-9]{3} [0-9]{1,2}\.[0-9]{2}"
                     r"(?: (?P<zone>[A-Z]{2,5}))?")


def _parse_both_fast(text: str, first: dt.datetime, second: dt.datetime) -> _Pair | None:
    """_parse_both_dateutil's answer, for the formats pages print most; None for any other text.

    Each rule mirrors a step of dateutil's parser for these shapes; a text that could take a
    path not mirrored here (two-digit years, out-of-range numbers, unknown zones, odd spacing)
    is left to dateutil."""
    if type(first) is not dt.datetime or type(second) is not dt.datetime:
        return None  # dateutil's replace() would keep a subclass
    lead = text[:1]
    if "A" <= lead <= "Z" or "a" <= lead <= "z":
        word = _LEAD.match(text)
        if word is not None and word.group(1).lower() not in _LEAD_OK:
            return None, None
        if (m := _MDY.fullmatch(text)) or (m := _DMY.fullmatch(text)):
            return _pair(m, m["y"], _month_named(m), int(m["d"]), first, second)
        if m := _DOTTED.fullmatch(text):
            return _refused(m)
        return None
    if not "0" <= lead <= "9":
        return None
    head = text[1:3]
    if ":" in head:
        if m := _TIME_MDY.fullmatch(text):
            return _pair(m, m["y"], _month_named(m), int(m["d"]), first, second)
    elif "/" in head:
        if m := _SLASH.fullmatch(text):
            # dateutil's month-first reading, unless the first number cannot be a month
            a, b = int(m["a"]), int(m["b"])
            month, day = (b, a) if a > 12 else (a, b)
            return _pair(m, m["y"], month, day, first, second)
    elif text[4:5] == "-":
        if m := _YMD.fullmatch(text):
            return _pair(m, m["y"], int(m["m"]), int(m["d"]), first, second)
    elif m := _DMY.fullmatch(text):
        return _pair(m, m["y"], _month_named(m), int(m["d"]), first, second)
    elif m := _DOTTED.fullmatch(text):
        return _refused(m)
    return None


def _month_named(m: re.Match[str]) -> int | None:
    """The month a matched name gives; None when it, or the weekday before it, is no name dateutil
    knows. A weekday it knows is ignored: dateutil moves a date to it only when no day is given."""
    wd = m["wd"]
    if wd is not None and wd.lower() not in _WEEKDAYS:
        return None
    return _MONTHS.get(m["mon"].lower())


def _refused(m: re.Match[str]) -> _Pair | None:
    """(None, None) for a "10.30" time after a full date, when every word is one dateutil knows."""
    if _month_named(m) is None or (m["zone"] is not None and m["zone"] not in _ZONES):
        return None
    return None, None


def _pair(m: re.Match[str], year: str | None, month: int | None, day: int,
          first: dt.datetime, second: dt.datetime) -> _Pair | None:
    """The two datetimes dateutil builds from a matched date (and time): the fields the text gave
    replace those of each default, and a day the month lacks fails for that default alone."""
    if month is None or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    hour = minute = sec = None
    zone: dt.tzinfo | None = None
    if m["H"] is not None:
        hour, minute = int(m["H"]), int(m["M"])
        if m["ap"] is None:
            if hour > 23:
                return None
        elif hour > 12:
            return None
        elif m["ap"][0] in "Pp":
            hour += 12 if hour < 12 else 0
        elif hour == 12:
            hour = 0
        if minute > 59:
            return None
        if m["S"] is not None:
            sec = int(m["S"])  # dateutil then sets the microsecond to 0 as well
            if sec > 59:
                return None
        if m["zone"] is not None:
            zone = _zone_after_time(m)
            if zone is None:
                return None
    y = None if year is None else int(year)
    built: list[dt.datetime | None] = []
    for default in (first, second):
        # default.replace(**fields), without the cost of keyword arguments
        try:
            built.append(dt.datetime(
                default.year if y is None else y, month, day,
                default.hour if hour is None else hour, default.minute if minute is None else minute,
                default.second if sec is None else sec, default.microsecond if sec is None else 0,
                default.tzinfo if zone is None else zone, fold=default.fold))
        except ValueError:
            built.append(None)
    return built[0], built[1]


_OFFSETS: dict[int, dt.tzinfo] = {}


def _zone_after_time(m: re.Match[str]) -> dt.tzinfo | None:
    """The zone dateutil gives "EST" or "GMT+3" after a time, or None to leave the text to it.

    "GMT+3" is read POSIX-style, as the zone three hours *behind* UTC, and a zero offset is UTC."""
    name = m["zone"]
    if m["sign"] is None:
        return _ZONES.get(name)
    if name not in ("GMT", "UTC"):
        return None
    hours, minutes = (int(m["ohm"][:2]), int(m["ohm"][2:])) if m["ohm"] else (int(m["oh"]), int(m["om"] or 0))
    if hours > 14 or minutes > 59:
        return None
    offset = (hours * 3600 + minutes * 60) * (-1 if m["sign"] == "+" else 1)
    if offset == 0:
        return _TZINFOS["UTC"]
    if offset not in _OFFSETS:
        _OFFSETS[offset] = tz.tzoffset(None, offset)
    return _OFFSETS[offset]


# What pages print before a publication date, in metadata as in the page text: "Published On
# 1 Jan 2020", "Published: Nov 24, 2025". "Updated ..." is not a publication time and stays unread.
STAMP_PREFIX = re.compile(r"^(?:Published|PUBLISHED|First published|Posted|Published [Oo]n)\s*:?\s*(?:[Oo]n\s+)?")
# "Mon 24 Nov 2025 10.30 GMT": a time written with a dot after a full date (dateutil would read
# "10.30" as one more date number).
_DOTTED_TIME = re.compile(r"(?<=[0-9]{4} )([0-9]{1,2})\.([0-9]{2})(?=(?: [A-Z]{2,5})?$)")


def parse_published(text: str, timezone: str | None) -> tuple[dt.datetime | None, str | None]:
    """(UTC time, how its zone was known) for a published date as shown, or (None, None).

    A value without a year, month or day is refused. A date without a time is midnight UTC of
    that date ('metadata_date_only'); a time without a zone is read in the outlet's zone
    ('metadata_assumed_tz'), and in UTC when the outlet is unknown ('metadata_assumed_utc').
    """
    text = text.strip()
    if not text or len(text) > 200:
        return None, None
    text = STAMP_PREFIX.sub("", text)
    iso = _iso(text)
    if iso is not None:
        return iso
    text = _DOTTED_TIME.sub(r"\1:\2", text)
    try:
        return _resolve(text, timezone)
    except (ValueError, OverflowError):  # an offset of a day or more ("GMT+25") has no UTC time
        return None, None


def _resolve(text: str, timezone: str | None) -> tuple[dt.datetime | None, str | None]:
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
