"""Deterministic generator of realistic raw news-article JSONL records, good and bad."""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ALLOWED_KEYS: frozenset[str] = frozenset(
    {"text", "outlet", "url", "retrieved_at", "published", "title", "authors", "language",
     "section"}
)
REASONS: frozenset[str] = frozenset(
    {
        "invalid_json",
        "invalid_utf8",
        "not_an_object",
        "missing_required",
        "wrong_type",
        "unknown_field",
        "invalid_format",
        "too_short",
        "pattern_mismatch",
        "duplicate_key",
    }
)

NBSP = "\u00a0"

# --------------------------------------------------------------------------- vocabulary

FIRST_NAMES = (
    "Jane", "John", "Maria", "Ahmed", "Olga", "Wei", "Fatima", "Carlos", "Anna", "David",
    "Leila", "Dmitry", "Sarah", "Kenji", "Amina", "Pierre", "Priya", "Tom", "Elena", "Hassan",
    "Lucy", "Mohammed", "Sofia", "Ivan", "Grace", "Li", "Nadia", "Peter", "Yuki", "Omar",
    "Rachel", "Andrei", "Chloe", "Samuel", "Aisha", "Luis", "Hannah", "Reza", "Mei", "James",
)
LAST_NAMES = (
    "Doe", "Smith", "Petrova", "Khan", "Zhang", "Garcia", "Ivanov", "Müller", "Okafor", "Nakamura",
    "Haddad", "Dubois", "Rossi", "Novak", "Sharma", "Kowalski", "Mensah", "Larsen", "Ortega",
    "Tanaka", "Rahimi", "Chen", "Sokolov", "Brennan", "Nguyen", "Al-Masri", "Fischer", "Adeyemi",
    "Moreau", "Kim", "Hughes", "Abbasi", "Lindqvist", "Mwangi", "Costa", "Yilmaz", "O'Neill",
    "Park", "Volkov", "Santos",
)
# (city, country, adjective, region)
PLACES = (
    ("Moscow", "Russia", "Russian", "Europe"),
    ("Kyiv", "Ukraine", "Ukrainian", "Europe"),
    ("Beijing", "China", "Chinese", "Asia"),
    ("Washington", "the United States", "US", "Americas"),
    ("New York", "the United States", "US", "Americas"),
    ("London", "Britain", "British", "Europe"),
    ("Paris", "France", "French", "Europe"),
    ("Berlin", "Germany", "German", "Europe"),
    ("Brussels", "Belgium", "Belgian", "Europe"),
    ("Tehran", "Iran", "Iranian", "Middle East"),
    ("Doha", "Qatar", "Qatari", "Middle East"),
    ("Cairo", "Egypt", "Egyptian", "Middle East"),
    ("Beirut", "Lebanon", "Lebanese", "Middle East"),
    ("Baghdad", "Iraq", "Iraqi", "Middle East"),
    ("Riyadh", "Saudi Arabia", "Saudi", "Middle East"),
    ("Ankara", "Turkey", "Turkish", "Europe"),
    ("Nairobi", "Kenya", "Kenyan", "Africa"),
    ("Lagos", "Nigeria", "Nigerian", "Africa"),
    ("Johannesburg", "South Africa", "South African", "Africa"),
    ("Addis Ababa", "Ethiopia", "Ethiopian", "Africa"),
    ("New Delhi", "India", "Indian", "Asia"),
    ("Islamabad", "Pakistan", "Pakistani", "Asia"),
    ("Kabul", "Afghanistan", "Afghan", "Asia"),
    ("Tokyo", "Japan", "Japanese", "Asia"),
    ("Seoul", "South Korea", "South Korean", "Asia"),
    ("Jakarta", "Indonesia", "Indonesian", "Asia"),
    ("Manila", "the Philippines", "Philippine", "Asia"),
    ("Hanoi", "Vietnam", "Vietnamese", "Asia"),
    ("Bangkok", "Thailand", "Thai", "Asia"),
    ("Sydney", "Australia", "Australian", "Asia"),
    ("Brasilia", "Brazil", "Brazilian", "Americas"),
    ("Mexico City", "Mexico", "Mexican", "Americas"),
    ("Buenos Aires", "Argentina", "Argentine", "Americas"),
    ("Caracas", "Venezuela", "Venezuelan", "Americas"),
    ("Havana", "Cuba", "Cuban", "Americas"),
    ("Ottawa", "Canada", "Canadian", "Americas"),
    ("Geneva", "Switzerland", "Swiss", "Europe"),
    ("Warsaw", "Poland", "Polish", "Europe"),
)
ROLES = (
    "President", "Prime Minister", "Foreign Minister", "Defense Minister", "Finance Minister",
    "Energy Minister", "Trade Minister", "Interior Minister", "government spokesperson",
    "foreign ministry spokeswoman", "central bank governor", "opposition leader", "army spokesperson",
)
ORGS = (
    "the United Nations", "NATO", "the European Union", "the World Health Organization",
    "the International Monetary Fund", "the World Bank", "the African Union", "ASEAN", "OPEC",
    "the International Committee of the Red Cross", "the World Trade Organization", "the G20",
    "the Shanghai Cooperation Organisation", "the International Atomic Energy Agency",
)
THINK_TANKS = (
    "Carnegie Endowment", "Chatham House", "Brookings Institution", "Atlantic Council",
    "International Crisis Group", "Valdai Discussion Club", "Council on Foreign Relations",
    "Institute for Strategic Studies", "Center for Strategic and International Studies",
)
TOPICS = (
    "the ceasefire talks", "grain exports", "the energy crisis", "new sanctions",
    "the trade dispute", "interest rates", "the upcoming election", "the refugee crisis",
    "military drills", "the nuclear deal", "rising inflation", "flood relief",
    "the vaccine rollout", "a new gas pipeline", "border security", "the peace plan",
    "fuel subsidies",
    "a cyberattack on state agencies", "rare earth exports", "the wildfire season",
    "debt restructuring", "the drought", "troop deployments", "shipping in the Red Sea",
)
AGENCIES = ("Reuters", "AFP", "AP", "Getty Images", "EPA", "Anadolu Agency", "Xinhua", "Sputnik")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
AP_MONTHS = (
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)
SHORT_MONTHS = tuple(m[:3] for m in MONTHS)

QUOTES = (
    "We have always said that dialogue is the only way forward, and that remains our position",
    "This is a normal process and there is no reason for anyone to panic",
    "We will not be intimidated, and we will defend our interests by all available means",
    "The situation on the ground remains extremely difficult for ordinary people",
    "There are signs that diplomacy should continue, which gives grounds for cautious optimism",
    "Nobody wants a war, but we have to be prepared for every scenario",
    "These allegations are baseless and are designed to distract from the real problems",
    "We expect our partners to honour the commitments they made",
    "The numbers speak for themselves: prices have risen faster than wages for two years",
    "It is our right to take decisions on our own territory without asking anybody",
    "We are talking about the lives of millions of people, and time is running out",
    "This agreement is a first step, not the end of the road",
    "The door to negotiations remains open, but the other side must show goodwill",
    "Markets had already priced in most of this, so the reaction was muted",
    "We urge all parties to exercise maximum restraint and return to the table",
    "Our message is simple: stop the escalation and respect international law",
)

# Templates draw article-wide slots (person, country, topic, ...) and per-sentence random ones.
SENTENCES = (
    "{Role} {person} said on {weekday} that {country} would not accept any deal that ignored its concerns over {topic}.",
    "Speaking at a news briefing in {city}, {surname} said talks with {other_country} had made some progress but that major differences remained.",
    "The announcement came after {small} days of negotiations hosted by {org}.",
    "Officials said at least {small} people had been killed and {big} others injured, though the figures could not be independently verified.",
    "{Org} said it was monitoring the situation closely and called on all sides to exercise restraint.",
    "The {adj} economy grew {pct} percent in the {quarter} quarter, according to official data released on {weekday}.",
    "\"{quote},\" {surname} told reporters.",
    "\"{quote},\" {other_person}, a spokesperson for {org}, said in a statement.",
    "Analysts said the move could cost {country} as much as ${money} billion over the next {small} years.",
    "{other_person}, a senior fellow at the {think_tank} in {other_city}, said the decision reflected growing frustration in {city} over {topic}.",
    "{surname} is scheduled to meet {other_adj} officials in {other_city} later this month.",
    "The {adj} foreign ministry summoned the {other_adj} ambassador on {weekday} to protest against what it called interference in its internal affairs.",
    "Ties between {country} and {other_country} have deteriorated sharply in recent months over {topic}.",
    "According to the ministry, {big} tonnes of aid had been delivered to the region since {month}.",
    "Western governments have accused {country} of amassing {big} troops near the border, a claim {city} has repeatedly denied.",
    "The central bank raised its key rate by {bps} basis points to {rate} percent, the {ordinal} increase this year.",
    "Prices of basic goods rose {pct} percent year-on-year in {month}, the fastest pace since {year}.",
    "Protesters gathered outside the parliament building in {city} on {weekday} evening, chanting slogans against the government.",
    "Police said {small} people were detained after clashes broke out near the central square.",
    "The report, published by {org}, estimated that {big} people had been displaced by the fighting.",
    "{Org} has warned that the crisis could push {millions} million more people into poverty.",
    "In a separate development, {other_adj} officials said they had intercepted {small} drones over the weekend.",
    "The {adj} Defense Ministry said {small} units had completed their exercises and were returning to their permanent bases.",
    "Shares in {adj} energy companies fell {pct} percent after the announcement, while the currency slipped to its lowest level since {year}.",
    "Opposition lawmakers said the plan would do little to help the {big} families hit hardest by {topic}.",
    "{surname} told parliament that the government had set aside {money} billion to deal with {topic}.",
    "Diplomats in {other_city} said a draft resolution would be put to a vote as early as {weekday}.",
    "The visit is the first to {country} by a head of state from {other_country} in {small} years.",
    "{Role} {person} has faced mounting criticism at home over the government's handling of {topic}.",
    "Satellite images released on {weekday} showed {small} ships waiting to enter the port.",
    "The agency said it had received reports of {small} aftershocks, the strongest measuring {magnitude}.",
    "A spokesperson for {org} told reporters in {other_city} that the talks were \"constructive\" but declined to give details.",
    "Last year, trade between the two countries reached a record ${money} billion, according to customs data.",
    "Rescue teams were still searching for {small} people believed to be trapped under the rubble.",
    "The {adj} government has said it will respond to any new sanctions with measures of its own.",
    "Turnout in the first round was {turnout} percent, the electoral commission said.",
    "{other_person}, who runs a small business in {city}, said costs had nearly doubled since {month}.",
    "The ministry said the new rules would take effect on {month} {day} and apply to all imports from {other_country}.",
)
HEADLINES = (
    "{adj_cap} {role_short} warns {other_country} over {topic}",
    "{country_cap} says talks with {other_country} on {topic} to resume next week",
    "{org_short} calls for restraint as tensions rise in {country}",
    "At least {small} dead as floods hit {country}",
    "{country_cap} central bank raises rates to {rate}% as inflation bites",
    "{surname}: {country} will not bow to pressure over {topic}",
    "{adj_cap} officials deny reports of troop build-up near {other_city}",
    "Thousands protest in {city} over {topic}",
    "{country_cap} and {other_country} agree to step up cooperation on {topic}",
    "{org_short} says {big} displaced as fighting spreads in {country}",
    "'Baseless hysteria': {adj} officials dismiss reports on {topic}",
    "{adj_cap} leader heads to {other_city} for talks on {topic}",
)
SUBHEADINGS = (
    "What happens next", "Economic fallout", "{country_cap} responds", "Reaction from {other_city}",
    "Sanctions threat", "'A first step'", "Growing pressure at home", "Humanitarian concerns",
    "Everything is in place for a new attack: {org_short}",
    "{adj_cap} defense chief heads to {other_city} for talks",
)
# Exactly one of these per article carries a figure derived from the record index, so texts
# are guaranteed distinct; none of them appears among SENTENCES.
UNIQUE_SENTENCES = (
    "Officials put the total cost so far at {n} million {currency}.",
    "The ministry said {n} applications had been filed since the start of the year.",
    "Customs data showed {n} containers passed through the port last month.",
    "Organisers said {n} people had signed the petition by {weekday}.",
    "The agency said it had registered {n} complaints, more than in any previous year.",
)
CAPTIONS = (
    "{Role} {person} speaks during a news conference in {city}, {country}, on {long_date}.",
    "People walk past a damaged building in {city} on {long_date}.",
    "{adj_cap} soldiers take part in military drills near {city}, {long_date}.",
    "Delegates attend a meeting of {org} in {other_city} on {long_date}.",
    (
        "A handout still image released by the {adj} Defense Ministry press service shows armored "
        "vehicles being loaded onto railway freight carriages, {long_date}."
    ),
    "Protesters hold placards outside the parliament building in {city}, {country}, {long_date}.",
    "Containers are stacked at a port in {city}, {country}, {long_date}.",
    "FILE - {Role} {person} arrives for a summit in {other_city}, {long_date}.",
)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


_RANDOM_SLOTS: dict[str, Callable[[random.Random], Any]] = {
    "weekday": lambda r: r.choice(WEEKDAYS),
    "month": lambda r: r.choice(MONTHS),
    "day": lambda r: r.randint(1, 28),
    "year": lambda r: r.randint(1998, 2018),
    "small": lambda r: r.randint(2, 60),
    "big": lambda r: f"{r.randint(1_200, 950_000):,}",
    "millions": lambda r: r.randint(2, 90),
    "pct": lambda r: f"{r.randint(1, 199) / 10:.1f}",
    "bps": lambda r: r.choice((25, 50, 75, 100, 150, 200)),
    "rate": lambda r: f"{r.randint(5, 210) / 10:.1f}",
    "money": lambda r: f"{r.randint(2, 950) / 10:.1f}",
    "magnitude": lambda r: f"{r.randint(40, 79) / 10:.1f}",
    "turnout": lambda r: f"{r.randint(310, 890) / 10:.1f}",
    "quarter": lambda r: r.choice(("first", "second", "third", "fourth")),
    "ordinal": lambda r: r.choice(("second", "third", "fourth", "fifth")),
    "quote": lambda r: r.choice(QUOTES),
    "think_tank": lambda r: r.choice(THINK_TANKS),
    "other_person": lambda r: _name(r),
}
# Redrawn in every sentence; other random slots stay fixed for the article so facts agree.
_PER_SENTENCE = frozenset(
    {"weekday", "month", "small", "big", "pct", "money", "quote", "other_person"}
)


class _Slots(dict):
    """Slot values for str.format_map; random slots are drawn only when a template asks for them."""

    def __init__(self, rng: random.Random, fixed: dict[str, str]) -> None:
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = str(_RANDOM_SLOTS[key](self.rng))  # KeyError here means a template has a typo
        if key not in _PER_SENTENCE:
            self[key] = value
        return value


# --------------------------------------------------------------------------- dates


def _long_date(dt: datetime) -> str:
    return f"{MONTHS[dt.month - 1]} {dt.day}, {dt.year}"


# Page templates for the "published" string; fields come from _date_parts.
_PUBLISHED_STYLES: dict[str, str] = {
    "presstv": "{wd3} {mon} {dd}, {y} {hh12}:{M}{ampm}",
    "iso": "{iso}",
    "dmy": "{d} {month} {y}",
    "ap": "{month} {d}, {y}, {h12}:{M} {ampm}",
    "reuters": "{month} {d}, {y} {h12}:{M} {ampm} GMT{off}",
    "xinhua": "{y}-{mm}-{dd} {H}:{M}:{S}",
    "tass": "{d} {MON}, {H}:{M}",
    "rt": "{d} {mon}, {y} {H}:{M}",
    "aljazeera": "Published On {d} {mon} {y}",
    "cnn": "Updated {h12}:{M} {ampm} EST, {wd3} {month} {d}, {y}",
    "guardian": "{wd3} {d} {mon} {y} {H}.{M} GMT",
    "globaltimes": "Published: {mon} {dd}, {y} {hh12}:{M} {ampm}",
    "slash": "{mm}/{dd}/{y}",
}


def _date_parts(dt: datetime) -> dict[str, Any]:
    h12 = dt.hour % 12 or 12
    offset = dt.utcoffset() or timedelta(0)
    return {
        "wd3": WEEKDAYS[dt.weekday()][:3], "mon": SHORT_MONTHS[dt.month - 1],
        "MON": SHORT_MONTHS[dt.month - 1].upper(), "month": MONTHS[dt.month - 1],
        "y": dt.year, "mm": f"{dt.month:02d}", "d": dt.day, "dd": f"{dt.day:02d}",
        "H": f"{dt.hour:02d}", "M": f"{dt.minute:02d}", "S": f"{dt.second:02d}",
        "h12": h12, "hh12": f"{h12:02d}", "ampm": "AM" if dt.hour < 12 else "PM",
        "off": f"{offset // timedelta(hours=1):+d}", "iso": dt.isoformat(timespec="seconds"),
    }


def _published(dt: datetime, style: str) -> str:
    """Render a publication time the way a given page template shows it."""
    return _PUBLISHED_STYLES[style].format_map(_date_parts(dt))


def _retrieved_at(rng: random.Random, dt: datetime) -> str:
    """RFC 3339 as crawlers emit it: Z, fractional seconds, or a local offset."""
    kind = rng.random()
    if kind < 0.55:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind < 0.7:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if kind < 0.8:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    offset = timezone(timedelta(minutes=rng.choice((-300, -240, 60, 120, 180, 210, 330, 480, 540))))
    return dt.astimezone(offset).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- outlets


@dataclass(frozen=True)
class Outlet:
    """How one site's pages look once scraped to text."""

    names: tuple[str, ...]  # spellings scrapers record; first is canonical
    url: str  # format string; every one has an id field derived from the record index
    datelines: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    signoffs: tuple[str, ...] = ()
    inline: tuple[str, ...] = ()  # boilerplate that lands between body paragraphs
    trailer: tuple[str, ...] = ()  # boilerplate after the sign-off, in this order
    published: tuple[str, ...] = ("iso", "dmy")
    tz_minutes: int = 0
    languages: tuple[str, ...] = ("en",)
    title_suffix: str = ""
    breadcrumb: str = ""
    byline: str = ""


OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        names=("AP", "Associated Press", "apnews.com", "AP News"),
        url="https://apnews.com/article/{slug}-{hex}",
        datelines=("{CITY} (AP) — ",),
        credits=("(AP Photo/{name})", "(AP Photo/{name}, File)"),
        signoffs=("Associated Press writer {name} in {other_city} contributed to this report.",),
        inline=("ADVERTISEMENT",),
        trailer=("___\n\nFind more of AP’s coverage at https://apnews.com/hub/world-news",),
        published=("ap", "iso"),
        tz_minutes=-300,
        languages=("en", "en", "en-US"),
        byline="By {NAME}",
    ),
    Outlet(
        names=("Reuters", "reuters.com", "REUTERS", "Thomson Reuters"),
        url="https://www.reuters.com/article/{slug}-idUSKBN{base36}",
        datelines=("{CITY}, {mon} {day} (Reuters) - ", "{CITY} (Reuters) - "),
        credits=("REUTERS/{name}", "REUTERS/{name}/File Photo"),
        signoffs=(
            "(Reporting by {name} in {city}; Additional reporting by {name2}; Editing by {name3})",
            "(Reporting by {name}; Editing by {name2} and {name3})",
        ),
        trailer=("Our Standards: The Thomson Reuters Trust Principles.",),
        published=("reuters", "iso"),
        tz_minutes=60,
        title_suffix=" | Reuters",
    ),
    Outlet(
        names=("AFP", "Agence France-Presse", "afp.com"),
        url="https://www.afp.com/en/news/{small_id}/{slug}-doc-{base36}",
        datelines=("{City} (AFP) - ",),
        credits=("(Photo by {name_upper} / AFP)",),
        signoffs=("{initials}/{initials2}",),
        published=("iso", "dmy"),
        tz_minutes=60,
    ),
    Outlet(
        names=("Xinhua", "xinhuanet.com", "Xinhua News Agency"),
        url="https://english.news.cn/{ymd}/{hex}/c.html",
        datelines=("{CITY}, {ap_mon} {day} (Xinhua) -- ",),
        credits=("(Xinhua/{name})",),
        signoffs=("Enditem",),
        published=("xinhua", "iso"),
        tz_minutes=480,
    ),
    Outlet(
        names=("TASS", "tass.com", "TASS Russian News Agency"),
        url="https://tass.com/{section_slug}/{num_id}",
        datelines=("{CITY}, {month} {day}. /TASS/. ",),
        credits=("© {name}/TASS",),
        published=("tass", "iso"),
        tz_minutes=180,
    ),
    Outlet(
        names=("Press TV", "PressTV", "presstv.ir", "Press TV - News"),
        url="https://www.presstv.ir/Detail/{y}/{mm}/{dd}/{num_id}/{Slug}",
        credits=("(Via Reuters)", "(Via AFP)", "(Photo by AP)", "(Photo by Press TV)"),
        trailer=(
            (
                "Press TV’s website can also be accessed at the following alternate addresses:"
                "\n\nPress TV News Roku"
            ),
        ),
        published=("presstv", "iso"),
        tz_minutes=210,
        breadcrumb="News {nbsp} / {nbsp} {region}",
    ),
    Outlet(
        names=("RT", "rt.com", "RT News", "RT International"),
        url="https://www.rt.com/{section_slug}/{num_id}-{slug}/",
        credits=("© Getty Images / {name}", "© Sputnik / {name}"),
        inline=("Read more: {other_headline}",),
        published=("rt", "iso"),
        tz_minutes=180,
    ),
    Outlet(
        names=("Al Jazeera English", "Al Jazeera", "aljazeera.com"),
        url="https://www.aljazeera.com/news/{y}/{m}/{d}/{slug}-{b36}",
        credits=("[{name}/Reuters]", "[{name}/AP Photo]", "[{name}/Al Jazeera]"),
        inline=("Read more: {other_headline}",),
        published=("aljazeera", "dmy"),
        tz_minutes=180,
        title_suffix=" | Al Jazeera",
        breadcrumb="News|{topic_word}",
    ),
    Outlet(
        names=("BBC News", "BBC", "bbc.co.uk", "bbc.com"),
        url="https://www.bbc.com/news/{bbc_section}-{num_id}",
        credits=("Image source, {agency}",),
        trailer=("Related Topics\n\n{country_cap}\n\n{org_short}",),
        published=("dmy", "iso"),
        languages=("en", "en-GB"),
        title_suffix=" - BBC News",
    ),
    Outlet(
        names=("CNN", "cnn.com", "CNN International", "edition.cnn.com"),
        url="https://www.cnn.com/{y}/{mm}/{dd}/{section_slug}/{slug}-{b36}-intl/index.html",
        datelines=("(CNN) — ", "{City} (CNN) — "),
        credits=("{name}/AFP/Getty Images", "{name}/Reuters"),
        signoffs=("CNN’s {name} contributed to this report.",),
        inline=("ADVERTISEMENT",),
        published=("cnn", "iso"),
        tz_minutes=-300,
        languages=("en", "en", "en-US"),
        byline="By {name}, CNN",
    ),
    Outlet(
        names=("The Guardian", "theguardian.com", "Guardian", "guardian.co.uk"),
        url="https://www.theguardian.com/{section_slug}/{y}/{mon_lower}/{dd}/{slug}-{b36}",
        credits=(
            "Photograph: {name}/Reuters",
            "Photograph: {name}/AP",
            "Photograph: {name}/Getty Images",
        ),
        inline=(
            "Sign up to First Edition, our free daily newsletter – every weekday morning at 7am",
        ),
        published=("guardian", "iso"),
        languages=("en", "en-GB", "en-GB"),
        byline="{name} in {city}",
    ),
    Outlet(
        names=("Global Times", "globaltimes.cn", "GT"),
        url="https://www.globaltimes.cn/page/{ym}/{num_id}.shtml",
        credits=("Photo: VCG", "Photo: Xinhua", "Photo: cnsphoto"),
        published=("globaltimes", "slash"),
        tz_minutes=480,
        breadcrumb="{REGION} / {SECTION}",
    ),
)

SECTION_SLUGS = (
    "world", "europe", "middle-east", "asia", "africa", "americas", "business", "politics",
)
SECTIONS = (
    "World", "Europe", "Middle East", "Business", "Politics", "World / Asia-Pacific",
    "News / Africa",
)
BBC_SECTIONS = (
    "world-europe", "world-middle-east", "world-asia", "world-africa", "business", "uk-politics",
)
TRACKING = (
    "utm_source=twitter&utm_medium=social",
    "utm_source=newsletter&utm_medium=email&utm_campaign=daily",
    "utm_source=facebook&utm_medium=referral",
    "utm_campaign=rss",
)
BASE_TIME = datetime(2019, 1, 1, tzinfo=UTC)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _slug(headline: str) -> str:
    return "-".join(_NON_WORD.sub(" ", headline.lower()).split()[:10])


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out.rjust(6, "0")


def _url(rng: random.Random, outlet: Outlet, i: int, headline: str, local: datetime) -> str:
    slug = _slug(headline)
    url = outlet.url.format(
        slug=slug,
        Slug="-".join(w.capitalize() for w in slug.split("-")),
        hex=f"{rng.getrandbits(96):024x}{i & 0xFFFFFFFF:08x}",
        base36=_base36(i),
        b36=_base36(i).lower(),
        num_id=600_000 + i,
        small_id=rng.randint(10, 99),
        y=local.year, m=local.month, d=local.day,
        mm=f"{local.month:02d}", dd=f"{local.day:02d}",
        ymd=local.strftime("%Y%m%d"), ym=local.strftime("%Y%m"),
        mon_lower=SHORT_MONTHS[local.month - 1].lower(),
        section_slug=rng.choice(SECTION_SLUGS),
        bbc_section=rng.choice(BBC_SECTIONS),
    )
    roll = rng.random()
    if roll < 0.12:
        url += ("&" if "?" in url else "?") + rng.choice(TRACKING)
    elif roll < 0.2 and not url.endswith("/"):
        url += "/"
    return url


# --------------------------------------------------------------------------- text assembly


def _context(rng: random.Random, outlet: Outlet, local: datetime) -> _Slots:
    city, country, adj, region = rng.choice(PLACES)
    other_city, other_country, other_adj, _ = rng.choice([p for p in PLACES if p[1] != country])
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    org = rng.choice(ORGS)
    role = rng.choice(ROLES)
    return _Slots(
        rng,
        {
            "city": city, "CITY": city.upper(), "City": city,
            "country": country, "country_cap": _cap(country), "adj": adj, "adj_cap": adj,
            "region": region, "REGION": region.upper(),
            "other_city": other_city, "other_country": other_country, "other_adj": other_adj,
            "person": f"{first} {last}", "surname": last,
            "role": role, "Role": _cap(role), "role_short": role.split()[-1],
            "org": org, "Org": _cap(org), "org_short": org.removeprefix("the "),
            "topic": rng.choice(TOPICS),
            "topic_word": rng.choice(("Politics", "Economy", "Conflict", "Climate")),
            "SECTION": rng.choice(("WORLD", "POLITICS", "ECONOMY", "DIPLOMACY")),
            "long_date": _long_date(local),
            "mon": SHORT_MONTHS[local.month - 1], "ap_mon": AP_MONTHS[local.month - 1],
            "month_now": MONTHS[local.month - 1], "day_now": str(local.day),
            "nbsp": NBSP,
        },
    )


def _paragraph(rng: random.Random, slots: _Slots, nbsp: bool) -> str:
    count = rng.choice((1, 2, 2, 3, 3, 3, 4))
    sentences = [rng.choice(SENTENCES).format_map(slots) for _ in range(count)]
    # Some pages put a non-breaking space after a full stop, and scraping keeps it.
    sep = f"{NBSP} " if nbsp and rng.random() < 0.3 else " "
    return sep.join(sentences)


def _name_parts(rng: random.Random) -> dict[str, str]:
    name, name2, name3 = _name(rng), _name(rng), _name(rng)
    first, last = name.split(" ", 1)
    return {
        "name": name, "name2": name2, "name3": name3, "NAME": name.upper(),
        "name_upper": f"{first} {last.upper()}",
        "initials": "".join(w[0] for w in name.lower().split()),
        "initials2": "".join(w[0] for w in name2.lower().split()),
        "agency": rng.choice(AGENCIES),
    }


def _fmt(template: str, slots: _Slots, extra: dict[str, str]) -> str:
    merged = _Slots(slots.rng, {**slots, **extra})
    return template.format_map(merged)


def _header(rng: random.Random, outlet: Outlet, slots: _Slots, headline: str) -> list[str]:
    parts: list[str] = []
    if outlet.breadcrumb and rng.random() < 0.85:
        parts.append(_fmt(outlet.breadcrumb, slots, {}))
    parts.append(headline)
    if outlet.byline and rng.random() < 0.5:
        parts.append(_fmt(outlet.byline, slots, _name_parts(rng)))
    if outlet.credits and rng.random() < 0.65:
        caption = rng.choice(CAPTIONS).format_map(slots)
        credit = _fmt(rng.choice(outlet.credits), slots, _name_parts(rng))
        if credit.startswith("Image source"):
            parts.append(credit)  # BBC puts the credit on its own line above the caption
            parts.append(f"Image caption, {caption}")
        else:
            parts.append(f"{caption} {credit}")
    return parts


def _body(rng: random.Random, outlet: Outlet, slots: _Slots, extra: str) -> list[str]:
    """Body paragraphs with `extra` appended to one of them, then dateline and sub-headings."""
    nbsp = rng.random() < 0.35
    paras = [_paragraph(rng, slots, nbsp) for _ in range(rng.randint(4, 12))]
    k = rng.randrange(len(paras))
    paras[k] = f"{paras[k]} {extra}"
    if outlet.datelines:
        dateline = rng.choice(outlet.datelines).format(
            CITY=slots["CITY"], City=slots["City"], mon=slots["mon"], ap_mon=slots["ap_mon"],
            month=slots["month_now"], day=slots["day_now"],
        )
        paras[0] = dateline + paras[0]
    if len(paras) > 5 and rng.random() < 0.35:
        for _ in range(rng.randint(1, 2)):
            paras.insert(rng.randint(2, len(paras) - 1), _fmt(rng.choice(SUBHEADINGS), slots, {}))
    return paras


def _add_inline(rng: random.Random, outlet: Outlet, slots: _Slots, body: list[str]) -> None:
    for template in outlet.inline:
        if rng.random() < 0.4:
            other = rng.choice(HEADLINES).format_map(slots)
            line = _fmt(template, slots, {"other_headline": other})
            body.insert(rng.randint(1, len(body) - 1), line)


def _footer(rng: random.Random, outlet: Outlet, slots: _Slots) -> list[str]:
    tail: list[str] = []
    if outlet.signoffs and rng.random() < 0.7:
        tail.append(_fmt(rng.choice(outlet.signoffs), slots, _name_parts(rng)))
    tail.extend(_fmt(t, slots, {}) for t in outlet.trailer if rng.random() < 0.5)
    return tail


def make_article(rng: random.Random, i: int) -> dict[str, Any]:
    """One good raw record; `i` makes the url (and a figure in the text) unique."""
    outlet = rng.choice(OUTLETS)
    published_utc = BASE_TIME + timedelta(seconds=rng.randrange(6 * 365 * 86400))
    local = published_utc.astimezone(timezone(timedelta(minutes=outlet.tz_minutes)))
    slots = _context(rng, outlet, local)
    headline = rng.choice(HEADLINES).format_map(slots)

    paras = _header(rng, outlet, slots, headline)
    figure = {"n": f"{1_000 + i:,}", "currency": rng.choice(("dollars", "euros"))}
    body = _body(rng, outlet, slots, _fmt(rng.choice(UNIQUE_SENTENCES), slots, figure))
    _add_inline(rng, outlet, slots, body)
    tail = _footer(rng, outlet, slots)
    text = "\n\n".join(paras + body + tail)

    record: dict[str, Any] = {"text": text, "outlet": rng.choice(outlet.names)}
    if rng.random() < 0.9:
        record["url"] = _url(rng, outlet, i, headline, local)
    if rng.random() < 0.85:
        lag = timedelta(seconds=rng.randrange(600, 400 * 86400), microseconds=rng.randrange(10**6))
        fetched = published_utc + lag
        record["retrieved_at"] = _retrieved_at(rng, fetched)
    if rng.random() < 0.8:
        record["published"] = _published(local, rng.choice(outlet.published))
    if rng.random() < 0.5:
        record["title"] = headline + (outlet.title_suffix if rng.random() < 0.5 else "")
    if rng.random() < 0.35:
        record["authors"] = [_name(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
    if rng.random() < 0.9:
        record["language"] = rng.choice(outlet.languages)
    if rng.random() < 0.3:
        press_tv = outlet.names[0] == "Press TV"
        record["section"] = f"News / {slots['region']}" if press_tv else rng.choice(SECTIONS)
    return record


# --------------------------------------------------------------------------- bad records


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def make_bad_records(rng: random.Random) -> list[tuple[bytes, str]]:
    """Raw lines (no newline) with exactly one defect each, paired with the expected reason."""
    base = make_article(rng, 10**9)
    base.setdefault("url", "https://www.reuters.com/article/world-idUSKBN000000")
    short = {"text": base["text"][:400], "outlet": base["outlet"]}
    good_line = json.dumps(base, ensure_ascii=False)
    cut = rng.randint(len(good_line) // 4, len(good_line) * 3 // 4)
    lede = "Diners at a café in the old town — said prices had doubled. "
    accented = {**short, "text": lede + short["text"]}
    accented_line = _dump(accented)
    spaced_url = "https://www.reuters.com/world/europe/kremlin says talks/"
    return [
        (good_line[:cut].encode("utf-8"), "invalid_json"),
        (_dump(short)[:-1], "invalid_json"),
        (accented_line.replace("café".encode(), b"caf\xe9", 1), "invalid_utf8"),
        (accented_line.replace("—".encode(), b"\xe2\x80", 1), "invalid_utf8"),
        (_dump([short]), "not_an_object"),
        (_dump(short["text"][:80]), "not_an_object"),
        (b"42", "not_an_object"),
        (_dump(_without(base, "text")), "missing_required"),
        (_dump({**base, "text": rng.randint(1, 10**6)}), "wrong_type"),
        (_dump({**base, "authors": _name(rng)}), "wrong_type"),
        (_dump({**base, "published": 20220215}), "wrong_type"),
        (_dump({**base, "image_url": base["url"] + "/hero.jpg"}), "unknown_field"),
        (_dump({**base, "retrieved_at": "yesterday"}), "invalid_format"),
        (_dump({**base, "retrieved_at": "2024-03-05T10:11:12"}), "invalid_format"),
        (_dump({**base, "url": "not a url"}), "invalid_format"),
        (_dump({**base, "url": spaced_url}), "invalid_format"),
        (_dump({**base, "text": ""}), "too_short"),
        (_dump({**base, "language": "english!!"}), "pattern_mismatch"),
        (_dump({**base, "language": "en_US"}), "pattern_mismatch"),
        (_dump(short)[:-1] + b", " + _dump({"text": short["text"][::-1]})[1:], "duplicate_key"),
        (_dump(_without(base, "outlet", "url")), "missing_required"),
    ]


# --------------------------------------------------------------------------- corpus


def _file_sizes(n: int, files: int) -> Iterator[int]:
    for k in range(files):
        yield (k + 1) * n // files - k * n // files


def write_corpus(
    path: str | Path, n: int, seed: int = 0, *, bad_every: int = 0, files: int = 1
) -> dict[str, int]:
    """Stream n good records (and a bad line after every `bad_every`) to part-NNNNN.jsonl files."""
    if files < 1 or n < 0 or bad_every < 0:
        raise ValueError("need files >= 1, n >= 0, bad_every >= 0")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    # A separate stream keeps good records identical whatever bad_every is.
    bad = make_bad_records(random.Random(f"bad-{seed}")) if bad_every else []
    stats = {"good": 0, "bad": 0, "bytes": 0}
    i = 0
    for k, count in enumerate(_file_sizes(n, files)):
        with open(out / f"part-{k:05d}.jsonl", "wb", buffering=1 << 20) as fh:
            for _ in range(count):
                line = _dump(make_article(rng, i)) + b"\n"
                fh.write(line)
                stats["good"] += 1
                stats["bytes"] += len(line)
                i += 1
                if bad and i % bad_every == 0:
                    line = bad[stats["bad"] % len(bad)][0] + b"\n"
                    fh.write(line)
                    stats["bad"] += 1
                    stats["bytes"] += len(line)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.synthetic", description=__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bad-every", type=int, default=0)
    parser.add_argument("--files", type=int, default=1)
    args = parser.parse_args(argv)
    stats = write_corpus(
        args.out_dir, args.n, args.seed, bad_every=args.bad_every, files=args.files
    )
    json.dump(stats, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
