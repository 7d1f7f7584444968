"""The record types that flow through the pipeline: raw units in, articles or quarantine out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SplitName = Literal["train", "validation", "test"]
SPLITS: tuple[SplitName, ...] = ("train", "validation", "test")


@dataclass(frozen=True, slots=True)
class RawUnit:
    """One raw record exactly as found: its bytes and where they came from."""

    source: str  # path relative to the raw root, POSIX separators
    line: int  # 1-based line in a JSONL file; 0 for a whole-file capture
    data: bytes
    kind: Literal["jsonl", "txt"] = "jsonl"
    sidecar: bytes | None = None  # the .meta.json next to a .txt capture
    sidecar_source: str | None = None


class Dateline(BaseModel):
    """A dateline as printed at the start of a story: place, date and wire agency."""

    model_config = ConfigDict(extra="forbid")

    place: str | None = Field(None, description="Place named in the dateline, as printed.")
    date: dt.date | None = Field(
        None, description="Date in the dateline, resolved against the published date."
    )
    agency: str | None = Field(None, description="Wire agency named in the dateline.")


class Image(BaseModel):
    """An image caption taken out of the body, with the credit it carried."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field(description="Caption text without its credit.")
    credit: str | None = Field(None, description="Credit as printed, e.g. 'Reuters'.")


class Removed(BaseModel):
    """A piece of page text the normalizer removed from the body, and why."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="snake_case kind of removal, e.g. 'alternate_addresses_footer'.")
    text: str = Field(description="The removed text, verbatim after text hygiene.")


class Article(BaseModel):
    """One published, normalized article: a row of the release's Parquet files."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        description="Stable id: 32 hex chars of SHA-256 over the canonical URL, "
        "or over the normalized body when there is no URL."
    )
    outlet: str = Field(description="Canonical outlet slug from the outlet registry.")
    outlet_name: str = Field(description="Outlet display name (the captured name if unknown).")
    url: str | None = Field(None, description="URL exactly as captured.")
    canonical_url: str | None = Field(None, description="Canonical form of the URL used for the id.")
    section: list[str] = Field(default_factory=list, description="Section breadcrumb, outermost first.")
    headline: str | None = Field(None, description="Headline of the article.")
    dateline: Dateline = Field(default_factory=Dateline, description="Dateline of the story.")
    published_at: dt.datetime | None = Field(None, description="Publication time in UTC; null when unknown.")
    published_at_source: str | None = Field(
        None,
        description="How published_at was obtained: metadata (a time with its zone), metadata_assumed_tz "
        "(no zone given: the outlet's time zone), metadata_assumed_utc (no zone, outlet unknown: UTC), "
        "metadata_date_only (a date alone: midnight UTC); page_text, page_text_assumed_utc, "
        "page_text_date_only: the same, from a 'Published ...' stamp in the page text.",
    )
    retrieved_at: dt.datetime | None = Field(None, description="Capture time in UTC; null when unknown.")
    language: str | None = Field(None, description="BCP 47 language tag.")
    authors: list[str] = Field(default_factory=list, description="Author names in normal case.")
    text: str = Field(description="Normalized body text; paragraphs separated by a blank line.")
    images: list[Image] = Field(default_factory=list, description="Image captions and credits.")
    removed: list[Removed] = Field(
        default_factory=list, description="Everything the normalizer took out of the text."
    )
    cluster_id: str = Field(
        description="Near-duplicate cluster this article belongs to (the id of its "
        "representative); equals id for an article with no near-duplicates. Splits follow it."
    )
    raw_sha256: str = Field(description="SHA-256 of the raw record's bytes as read.")


class Quarantined(BaseModel):
    """A raw record that could not be published, with where it was and why."""

    model_config = ConfigDict(extra="forbid")

    file: str
    line: int
    record_id: str | None = None
    pointer: str = ""
    reason: str
    message: str
