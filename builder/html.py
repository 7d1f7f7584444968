"""HTML captures: the article body and page metadata, extracted with trafilatura."""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html
import trafilatura
from lxml import etree

# Meta tags that carry the publication time with its zone (trafilatura keeps only the date).
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datePublished", "pubdate", "publishdate",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "date",
)


@dataclass
class Extracted:
    """What an HTML page yields: body text (paragraphs at blank lines) and metadata."""

    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    sitename: str | None = None
    url: str | None = None
    language: str | None = None


def _captions_as_paragraphs(doc: lxml.html.HtmlElement) -> None:
    # Extractors drop <figure>; as a paragraph the caption reaches the caption normalizer.
    for figure in list(doc.iter("figure")):
        caption = " ".join(" ".join(figure.xpath(".//figcaption//text()")).split())
        parent = figure.getparent()
        if parent is None:
            continue
        if caption:
            p = lxml.html.Element("p")
            p.text = caption
            p.tail = figure.tail
            parent.replace(figure, p)
        else:
            parent.remove(figure)


def _meta_published(doc: lxml.html.HtmlElement) -> str | None:
    for node in doc.xpath("//meta[@content]|//time[@datetime]"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip()
        if node.tag == "time" and (node.get("itemprop") == "datePublished" or node.get("pubdate") is not None):
            return node.get("datetime")
        if key in _PUBLISHED_META or key.lower() in _PUBLISHED_META:
            value = node.get("content", "").strip()
            if value:
                return value
    return None


def extract_html(html: str) -> Extracted:
    """Body and metadata of an HTML capture; an empty text when nothing could be extracted."""
    if "<html" not in html[:2000].lower() and "<body" not in html[:4000].lower():
        # trafilatura returns nothing for a bare fragment: give it a document.
        html = f"<html><body>{html}</body></html>"
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return Extracted(text="")
    _captions_as_paragraphs(doc)
    language = doc.get("lang") or None
    published = _meta_published(doc)
    result = trafilatura.bare_extraction(
        lxml.html.tostring(doc, encoding="unicode"),
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        deduplicate=False,
    )
    if result is None:
        return Extracted(text="", language=language, published=published)
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    paragraphs = [line.strip() for line in (data.get("text") or "").split("\n") if line.strip()]
    authors = [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
    return Extracted(
        text="\n\n".join(paragraphs),
        title=data.get("title") or None,
        authors=authors,
        published=published or data.get("date") or None,
        sitename=data.get("sitename") or None,
        url=data.get("url") or None,
        language=language,
    )
