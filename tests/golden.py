"""The golden set: outlet page fixtures, their expectations, and a per-field evaluation."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from builder.normalize import normalize
from builder.outlets import load_registry
from builder.records import Article
from builder.text import clean_text

PAGES = Path(__file__).resolve().parent / "outlet_pages"
GOLDEN = Path(__file__).resolve().parent / "golden"
# Every fixture is read as published on this day, so dateline dates resolve to a year.
PUBLISHED = "2026-11-24T12:00:00Z"
FIELDS = ("outlet", "headline", "section", "dateline_place", "dateline_agency", "dateline_date",
          "authors", "image_credits", "boilerplate_removed", "body_first", "no_text_lost")


@dataclass
class Case:
    slug: str
    record: dict
    expected: dict


def cases() -> list[Case]:
    registry = load_registry()
    found = []
    for page in sorted(PAGES.glob("*.txt")):
        slug = page.stem
        expected = tomllib.loads(page.with_suffix(".expected.toml").read_text(encoding="utf-8"))
        outlet = registry.outlets.get(expected.get("outlet", slug))
        record = {"text": page.read_text(encoding="utf-8"), "outlet": outlet.name if outlet else slug,
                  "published": PUBLISHED}
        found.append(Case(slug, record, expected))
    return found


def run(case: Case) -> Article:
    return normalize(case.record, "0" * 64, load_registry())


def golden_json(article: Article) -> str:
    return json.dumps(json.loads(article.model_dump_json()), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def accounts_for(raw_text: str, article: Article) -> bool:
    """Body + removed hold exactly the characters of the cleaned input: nothing lost, nothing added."""
    source = Counter(clean_text(raw_text).replace(" ", "").replace("\n", ""))
    out = Counter((article.text + "".join(r.text for r in article.removed)).replace(" ", "").replace("\n", ""))
    return source == out


def _expected_date(text: str) -> dt.date | None:
    if not text:
        return None
    from builder.dates import resolve_dateline_date

    return resolve_dateline_date(text, dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC))


def score(case: Case, article: Article) -> dict[str, bool]:
    """Per field: did the normalizer get it right?"""
    e = case.expected
    paragraphs = article.text.split("\n\n")
    return {
        "outlet": article.outlet == e.get("outlet", case.slug),
        "headline": article.headline == e.get("headline"),
        "section": article.section == e.get("section", []),
        "dateline_place": article.dateline.place == (e.get("dateline_place") or None),
        "dateline_agency": article.dateline.agency == (e.get("dateline_agency") or None),
        "dateline_date": article.dateline.date == _expected_date(e.get("dateline_date", "")),
        "authors": article.authors == e.get("authors", []),
        "image_credits": [i.credit for i in article.images] == e.get("image_credits", []),
        "boilerplate_removed": not any(b in article.text for b in e.get("boilerplate", [])),
        "body_first": paragraphs[0] == e.get("body_first"),
        "no_text_lost": accounts_for(case.record["text"], article),
    }


def evaluate() -> tuple[dict[str, float], dict[str, list[str]]]:
    """Accuracy per field over the golden set, and the slugs that failed each field."""
    failures: dict[str, list[str]] = {f: [] for f in FIELDS}
    all_cases = cases()
    for case in all_cases:
        for field, ok in score(case, run(case)).items():
            if not ok:
                failures[field].append(case.slug)
    n = len(all_cases)
    return {f: (n - len(failures[f])) / n if n else 0.0 for f in FIELDS}, failures
