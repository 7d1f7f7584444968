"""Takedowns: a blocklist of ids or URLs, each with a reason, removed at build time."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from builder.identity import article_id, canonical_url
from builder.outlets import Registry


class TakedownError(ValueError):
    """The blocklist file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Takedown:
    """One blocklist entry; a URL entry is turned into the id its canonical URL gives."""

    reason: str
    id: str


def load_takedowns(path: Path | None, registry: Registry) -> list[Takedown]:
    """Entries of a TOML blocklist: [[takedown]] tables with `id` or `url`, and `reason`."""
    if path is None:
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TakedownError(f"takedown list {path} not found (named by `takedowns` in the config)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TakedownError(f"{path}: cannot read takedown list: {exc}") from None
    entries = []
    for i, entry in enumerate(data.get("takedown", [])):
        where = f"{path.name}: takedown[{i}]"
        reason = str(entry.get("reason", "")).strip()
        if not reason:
            raise TakedownError(f"{where}: every takedown needs a reason")
        if not entry.get("id") and not entry.get("url"):
            raise TakedownError(f"{where}: give the article's `id` or its `url`")
        try:
            url = canonical_url(entry["url"], registry) if entry.get("url") else None
        except ValueError as exc:
            raise TakedownError(f"{where}: bad url: {exc}") from None
        entries.append(Takedown(reason=reason, id=entry.get("id") or article_id(url, "")))
    return entries
