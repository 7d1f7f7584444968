"""Normalize one validated raw record into a published Article, recording every removal."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from builder.dates import STAMP_PREFIX, parse_published, parse_rfc3339, resolve_dateline_date
from builder.identity import article_id, canonical_url
from builder.outlets import BoilerplateRule, Outlet, Registry, Rules
from builder.records import Article, Dateline, Image, Removed
from builder.text import clean_inline, clean_text, join_paragraphs, paragraphs

_SECTION_SPLIT = re.compile(r"\s*(?:/|>|»|›|\|)\s*")
_SENTENCE_END = re.compile(r"[.!?:;,]$")
# A breadcrumb item is a short label, not a sentence.
_MAX_CRUMB = 40
_MAX_HEADLINE = 300
_MAX_CAPTION = 800
_CREDIT_TAIL = 160
_BYLINE_WINDOW = 4


_GROUP_NAME = re.compile(r"(?<!\\)\(\?P<[^\W\d]\w*>")
# Backreferences and conditionals refer to groups; inline global flags must stay at the start.
_NOT_JOINABLE = re.compile(r"\(\?P=|\(\?\(|\\[1-9]|\(\?[aiLmsux]+\)")


@functools.lru_cache(maxsize=2048)
def _parsed(pattern: re.Pattern[str]) -> tuple | None:
    """The top-level items of a pattern as `re` parses it, or None if this Python's parser
    cannot be asked (it is internal to `re`); then no shortcut is taken."""
    try:
        from re import _parser

        return tuple(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - any failure only means: no shortcut
        return None


def _anchored_at_start(pattern: re.Pattern[str]) -> bool:
    """The pattern text starts with a top-level `^` (no top-level alternative escapes it)."""
    from re import _constants

    items = _parsed(pattern)
    return (pattern.pattern.startswith("^") and not pattern.flags & re.MULTILINE and bool(items)
            and items[0] == (_constants.AT, _constants.AT_BEGINNING))


@functools.lru_cache(maxsize=1024)
def last_char(pattern: re.Pattern[str]) -> str | None:
    """The character every match ends with, in a string without line breaks, when the pattern
    ends with a literal character and then `$`; else None."""
    from re import _constants

    items = _parsed(pattern)
    if not items or len(items) < 2 or pattern.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    (op, value), end = items[-2], items[-1]
    if op is _constants.LITERAL and end in ((_constants.AT, _constants.AT_END), (_constants.AT, _constants.AT_END_STRING)):
        return chr(value)
    return None


@functools.lru_cache(maxsize=1024)
def required_text(pattern: re.Pattern[str]) -> str | None:
    """The longest run of literal characters at the pattern's top level (one or more): every
    match contains it, so a string without it cannot match. None when there is none."""
    from re import _constants

    items = _parsed(pattern)
    if not items or pattern.flags & re.IGNORECASE:
        return None
    best, run = "", ""
    for op, value in items:
        run = run + chr(value) if op is _constants.LITERAL else ""
        best = max(best, run, key=len)
    return best or None


@functools.lru_cache(maxsize=512)
def any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One regex that matches somewhere in a string exactly when one of `patterns` does: their
    union, with group names dropped (so they cannot clash). When every pattern starts with a
    top-level `^`, the union is anchored once, so it is tried at the start only. None when the
    patterns cannot be joined with certainty; the caller then just tries each pattern."""
    if len(patterns) < 2 or len({p.flags for p in patterns}) != 1 or patterns[0].flags & re.VERBOSE:
        return None
    parts = []
    for p in patterns:
        if _NOT_JOINABLE.search(p.pattern):
            return None
        text, renamed = _GROUP_NAME.subn("(?:", p.pattern)
        try:
            plain = re.compile(text, p.flags)
        except re.error:
            return None
        # Every named group, and nothing else, lost its name: the language matched is unchanged.
        if renamed != len(p.groupindex) or plain.groupindex or plain.groups != p.groups - renamed:
            return None
        parts.append(text)
    if all(_anchored_at_start(p) for p in patterns):
        return re.compile("^(?:" + "|".join(f"(?:{text[1:]})" for text in parts) + ")", patterns[0].flags)
    return re.compile("|".join(f"(?:{text})" for text in parts), patterns[0].flags)


@functools.lru_cache(maxsize=512)
def rule_gate(patterns: tuple[re.Pattern[str], ...]) -> Callable[[str], bool] | None:
    """A test that is true of a string exactly when one of `patterns` searches it (from its
    start): the union of the rules anchored at the start, tried at the start only, then each
    other rule, skipped when the string lacks that rule's literal text (`required_text`).
    (Joined into the union, one unanchored rule would make every rule be tried at every
    position.) None when the anchored rules cannot be joined for certain."""
    anchored = tuple(p for p in patterns if _anchored_at_start(p))
    union = anchored[0] if len(anchored) == 1 else any_of(anchored) if anchored else None
    if anchored and union is None:
        return None
    loose = tuple((required_text(p), p) for p in patterns if not _anchored_at_start(p))

    def matches(text: str) -> bool:
        if union is not None and union.search(text):
            return True
        for literal, p in loose:
            if (literal is None or literal in text) and p.search(text):
                return True
        return False

    return matches


@dataclass(frozen=True)
class _Rules:
    """An outlet's rules followed by the generic ones, and what is derived from them."""

    boilerplate: tuple[BoilerplateRule, ...]
    boilerplate_gate: Callable[[str], bool] | None
    caption_candidates: tuple[dict[str, tuple], tuple]
    bylines: tuple[re.Pattern[str], ...]
    datelines: tuple[re.Pattern[str], ...]
    not_headlines: tuple[re.Pattern[str], ...]


def _either(a: Callable[[str], bool] | None, b: Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    """The gate of two rule lists from theirs (the generic list's gate is built once and
    shared by every outlet); None if either has none."""
    if a is None or b is None:
        return None
    return lambda text: a(text) or b(text)


def _rules_for(registry: Registry, outlet: Outlet | None) -> _Rules:
    """Worked out once per outlet of a registry, on first use, and kept with the registry."""
    key = outlet.slug if outlet else None
    rules = registry.derived.get(key)
    if rules is None:
        generic = registry.generic.rules
        own = outlet.rules if outlet else Rules()
        boilerplate = own.boilerplate + generic.boilerplate
        bylines, datelines = own.bylines + generic.bylines, own.datelines + generic.datelines
        rules = registry.derived[key] = _Rules(
            boilerplate=boilerplate,
            boilerplate_gate=_either(rule_gate(tuple(r.pattern for r in own.boilerplate)),
                                     rule_gate(tuple(r.pattern for r in generic.boilerplate))),
            caption_candidates=_caption_candidates(own.caption_credits + generic.caption_credits),
            bylines=bylines,
            datelines=datelines,
            not_headlines=bylines + datelines,
        )
    return rules


class NormalizeError(ValueError):
    """A record that passed the schema but cannot become an article; carries a reason."""

    def __init__(self, reason: str, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.reason, self.pointer = reason, pointer


@dataclass
class _Page:
    """The body being taken apart: paragraphs left (with their place on the page), and what
    was taken out. `removed` comes out in page order, so the page can be read back from it."""

    paras: list[str]
    origin: list[int] = field(default_factory=list)
    _removed: list[tuple[int, int, Removed]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.origin = list(range(len(self.paras)))

    def note(self, index: int, kind: str, text: str) -> None:
        """Record text taken out of the paragraph now at `index`."""
        self._removed.append((self.origin[index], len(self._removed), Removed(kind=kind, text=text)))

    def take(self, index: int, kind: str) -> str:
        text = self.paras[index]
        self.note(index, kind, text)
        del self.paras[index], self.origin[index]
        return text

    @property
    def removed(self) -> list[Removed]:
        return [r for _, _, r in sorted(self._removed, key=lambda t: (t[0], t[1]))]


def resolve_outlet(record: dict, registry: Registry, text: str) -> tuple[Outlet | None, str, str]:
    """(registry outlet or None, slug, display name): URL domain, captured name, text signature."""
    url = record.get("url")
    if url:
        host = urlsplit(url).hostname or ""
        outlet = registry.for_domain(host)
        if outlet:
            return outlet, outlet.slug, outlet.name
    captured = record.get("outlet")
    if captured:
        outlet = registry.for_name(captured)
        if outlet:
            return outlet, outlet.slug, outlet.name
    outlet = registry.for_text(text)
    if outlet:
        return outlet, outlet.slug, outlet.name
    name = clean_inline(captured) if captured else ""
    if name:
        return None, _slugify(name), name
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.") if url else ""
    if not host:
        raise NormalizeError("missing_required", "the outlet name is blank and there is no url to identify it", "/outlet")
    return None, _slugify(host), host


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return slug[:64] or "unknown"


def _breadcrumb(page: _Page, outlet: Outlet | None) -> list[str]:
    sep = outlet.rules.breadcrumb_separator if outlet else None
    if sep is None or not page.paras:
        return []
    first = page.paras[0]
    if "\n" in first or len(first) > 200:
        return []
    crumbs = [c.strip() for c in sep.split(first)]
    if len(crumbs) < 2 or any(not c or len(c) > _MAX_CRUMB or _SENTENCE_END.search(c) for c in crumbs):
        return []
    page.take(0, "breadcrumb")
    return crumbs


def _section_from_metadata(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _SECTION_SPLIT.split(value)
    return [c for c in (clean_inline(i) for i in items) if c]


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@functools.lru_cache(maxsize=1024)
def _site_suffix(name: str) -> re.Pattern[str]:
    return re.compile(r"\s+[-|–—:·]\s+" + re.escape(name) + r"$", re.IGNORECASE)


def _headline(page: _Page, title: str | None, not_headlines: tuple[re.Pattern[str], ...],
              site_names: tuple[str, ...] = ()) -> str | None:
    """The title, dropping its repeat at the top of the body; else a headline-like first line."""
    if title:
        title = clean_inline(title)
        # "<headline> - BBC News", "<headline> | Reuters": page titles carry the site's name.
        for name in sorted(site_names, key=len, reverse=True):
            suffix = _site_suffix(name).search(title)
            if suffix and suffix.start() > 0:
                title = title[: suffix.start()]
                break
        if page.paras and _same(page.paras[0], title):
            page.take(0, "headline")
        return title
    if not page.paras or len(page.paras) < 2:
        return None
    first = page.paras[0]
    if "\n" in first or len(first) > _MAX_HEADLINE or first.endswith((".", "!", "?")) or len(first.split()) < 3:
        return None
    if any(p.match(first) for p in not_headlines):
        return None
    return page.take(0, "headline")


def _caption_candidates(patterns: tuple[re.Pattern[str], ...]) -> tuple[dict[str, tuple], tuple]:
    """The caption rules worth trying on a paragraph, by its last character, in rule order:
    a rule that must end with another character cannot match (see `last_char`). Each comes
    with its literal text (`required_text`), without which it cannot match either."""
    rules = [(p, last_char(p), required_text(p)) for p in patterns]
    any_end = tuple((p, text) for p, end, text in rules if end is None)
    by_end = {c: tuple((p, text) for p, end, text in rules if end in (None, c))
              for c in {end for _, end, _ in rules if end is not None}}
    return by_end, any_end


def _captions(page: _Page, candidates: tuple[dict[str, tuple], tuple]) -> list[Image]:
    images: list[Image] = []
    seen: set[tuple[str, str | None]] = set()
    by_end, any_end = candidates
    i = 0
    while i < len(page.paras):
        para = page.paras[i]
        match = None
        if para and len(para) <= _MAX_CAPTION and "\n" not in para:
            # Credit patterns are anchored at the paragraph's end: search only its tail.
            offset = max(0, len(para) - _CREDIT_TAIL)
            match = next((m for p, text in by_end.get(para[-1], any_end)
                          if (text is None or para.find(text, offset) >= 0) and (m := p.search(para, offset))), None)
        if match is None or not para[: match.start()].strip():
            i += 1
            continue
        caption = para[: match.start()].strip()
        credit = (match.groupdict().get("credit") or "").strip() or None
        key = (caption.casefold(), credit)
        page.take(i, "image_caption" if key not in seen else "duplicate_image_caption")
        if key not in seen:
            seen.add(key)
            images.append(Image(caption=caption, credit=credit))
    return images


def _boilerplate(page: _Page, rules: tuple, gate: Callable[[str], bool] | None) -> None:
    i = 0
    while i < len(page.paras):
        if gate is not None and not gate(page.paras[i]):
            i += 1
            continue
        rule = next((r for r in rules if r.pattern.search(page.paras[i])), None)
        if rule is None:
            i += 1
            continue
        page.take(i, rule.kind)
        if rule.scope == "to_end":
            while len(page.paras) > i:
                page.take(i, rule.tail_kind or rule.kind)
        elif rule.scope == "until":
            while len(page.paras) > i:
                last = page.take(i, rule.tail_kind or rule.kind)
                if rule.end is not None and rule.end.search(last):
                    break


# "By Jane Doe Updated 3:15 PM EST, Tue November 24, 2026": a byline run into its time stamp.
_BYLINE_STAMP = re.compile(r"^(?P<byline>By\s.+?)\s*(?P<stamp>(?:[|,•·-]\s*)?(?:Updated|Published|Posted)\b.*)$")


def _bylines(page: _Page, patterns: tuple[re.Pattern[str], ...]) -> list[str]:
    for i, para in enumerate(page.paras[:_BYLINE_WINDOW]):
        if len(para) > 300 or "\n" in para:
            continue
        glued = _BYLINE_STAMP.match(para)
        candidate = glued.group("byline") if glued else para
        match = next((m for p in patterns if (m := p.match(candidate))), None)
        if match and match.groupdict().get("authors"):
            page.note(i, "byline", candidate)
            if glued:
                page.note(i, "timestamp", glued.group("stamp"))
            del page.paras[i], page.origin[i]
            return split_authors(match.group("authors"))
    return []


def split_authors(text: str) -> list[str]:
    """'JANE DOE and JOHN ROE' -> ['Jane Doe', 'John Roe']; mixed-case names are kept."""
    names = re.split(r"\s*(?:,|;|&|\band\b)\s*", clean_inline(text))
    return [_name_case(n) for n in names if n]


def _name_case(name: str) -> str:
    if name.isupper():
        return " ".join(w[:1] + w[1:].lower() if not w.startswith("MC") else "Mc" + w[2:].capitalize() for w in name.split())
    return name


def _dateline(page: _Page, patterns: tuple[re.Pattern[str], ...], published: dt.datetime | None) -> Dateline:
    if not page.paras:
        return Dateline()
    first = page.paras[0]
    match = next((m for p in patterns if (m := p.match(first))), None)
    if match is None or match.end() >= len(first):
        return Dateline()
    groups = {k: (v.strip() if v else None) for k, v in match.groupdict().items()}
    page.note(0, "dateline", first[: match.end()].strip())
    page.paras[0] = first[match.end() :].lstrip()
    date = resolve_dateline_date(groups["date"], published) if groups.get("date") else None
    return Dateline(place=groups.get("place") or None, date=date, agency=groups.get("agency") or None)


_MOJIBAKE_HINT = re.compile(r"[ÂÃÄÅÆÇÐÑÒÓ×ØÙâ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿]")
# "said.The" -> "said." / "The": a capture that lost the break between two paragraphs.
_GLUED = re.compile(r"(?<=[a-z0-9]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z0-9]{2}[.!?][\"”’])(?=[A-Z][a-z])")
_GLUED_HINT = re.compile(r"[.!?][\"”’]?[A-Z]")


_MOJIBAKE_LEADS = "ÂÃÄÅÆÇÐÑÒÓ×ØÙâ"  # the first character class of _MOJIBAKE_HINT


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as Windows-1252/Latin-1 ('â€™' -> '’'), only where ftfy is sure."""
    # The hint needs one of its lead characters: looking for each with `in` is far faster than
    # the regex over a whole article, and an ASCII text holds none.
    if text.isascii() or not any(c in text for c in _MOJIBAKE_LEADS) or not _MOJIBAKE_HINT.search(text):
        return text
    import ftfy

    return ftfy.fix_encoding(text)


def split_glued(paras: list[str]) -> list[str]:
    """Split paragraphs a capture glued together at a sentence end with no space."""
    # The hint never spans a paragraph break: without it in the whole text, no paragraph has it.
    if not _GLUED_HINT.search("\n".join(paras)):
        return list(paras)
    out: list[str] = []
    for para in paras:
        if "\n" in para or not _GLUED_HINT.search(para) or not _GLUED.search(para):
            out.append(para)
            continue
        out.extend(p.strip() for p in _GLUED.split(para) if p.strip())
    return out


def _page_text_date(removed: list[Removed], timezone: str | None) -> tuple[dt.datetime | None, str | None]:
    """A 'Published …' stamp the boilerplate rules took out of the page, as a date."""
    for item in removed:
        stamp = item.text.lstrip("|,•·- ")
        if item.kind == "timestamp" and STAMP_PREFIX.match(stamp):
            value, source = parse_published(stamp, timezone)
            if value is not None:
                return value, "page_text" if source in ("metadata", "metadata_assumed_tz") else f"page_text_{source.removeprefix('metadata_')}"
    return None, None


def _from_html(record: dict) -> dict:
    """A record with `html` and no `text`: text and missing metadata extracted from the page."""
    from builder.html import extract_html

    page = extract_html(record["html"])
    filled = {k: v for k, v in record.items() if k != "html"}
    filled["text"] = page.text
    for key, value in (("title", page.title), ("published", page.published), ("url", page.url),
                       ("language", page.language), ("outlet", page.sitename)):
        if value and not filled.get(key):
            filled[key] = value
    if page.authors and not filled.get("authors"):
        filled["authors"] = page.authors
    return filled


def normalize(record: dict, raw_sha256: str, registry: Registry) -> Article:
    """The published article for a schema-valid raw record."""
    if "text" not in record:
        record = _from_html(record)
    text = clean_text(repair_mojibake(record["text"]))
    outlet, slug, outlet_name = resolve_outlet(record, registry, text)
    rules = _rules_for(registry, outlet)

    published_at, published_source = None, None
    if record.get("published"):
        published_at, published_source = parse_published(
            record["published"], outlet.timezone if outlet else None
        )

    page = _Page(split_glued(paragraphs(text)))
    crumbs = _breadcrumb(page, outlet)
    section = _section_from_metadata(record.get("section")) or crumbs
    _boilerplate(page, rules.boilerplate, rules.boilerplate_gate)
    images = _captions(page, rules.caption_candidates)
    site_names = tuple(n for n in ((outlet.name, *outlet.aliases) if outlet else ()) + (record.get("outlet") or "",) if n)
    headline = _headline(page, record.get("title"), rules.not_headlines, site_names)
    byline_authors = _bylines(page, rules.bylines)
    if published_at is None:
        published_at, published_source = _page_text_date(page.removed, outlet.timezone if outlet else None)
    dateline = _dateline(page, rules.datelines, published_at)
    body = join_paragraphs(page.paras)
    if not body:
        raise NormalizeError("empty_body", "no body text is left after normalization", "/text")

    url = record.get("url")
    try:
        canonical = canonical_url(url, registry) if url else None
    except ValueError as exc:
        raise NormalizeError("invalid_url", f"cannot parse url: {exc}", "/url") from None
    authors = [clean_inline(a) for a in record.get("authors", [])] or byline_authors
    language = record.get("language")
    if not language and outlet and len(outlet.languages) == 1:
        language = outlet.languages[0]
    ident = article_id(canonical, body)
    return Article(
        id=ident,
        outlet=slug,
        outlet_name=outlet_name,
        url=url,
        canonical_url=canonical,
        section=section,
        headline=headline,
        dateline=dateline,
        published_at=published_at,
        published_at_source=published_source,
        retrieved_at=parse_rfc3339(record["retrieved_at"]) if record.get("retrieved_at") else None,
        language=language,
        authors=[a for a in authors if a],
        text=body,
        images=images,
        removed=page.removed,
        cluster_id=ident,
        raw_sha256=raw_sha256,
    )
