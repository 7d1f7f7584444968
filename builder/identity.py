"""Stable article identity: canonical URLs and the ids derived from them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from builder.outlets import Registry

# Query parameters that track a click, not name a page.
_TRACKING = re.compile(
    r"^(utm_[a-z0-9_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|"
    r"_ga|_gl|ocid|cmpid|ito|smid|smtyp|taid|ref|ref_src|referrer|src|cid|at_medium|at_campaign|"
    r"at_custom[0-9]*|guccounter|guce_referrer|guce_referrer_sig|sh|mod|outputtype|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def canonical_url(url: str, registry: Registry) -> str:
    """The canonical form of a captured URL.

    Rule: scheme folded to https; host lowercased, trailing dot and a leading 'www.', 'm.'
    or 'amp.' dropped, and a mirror or alternate domain of a registered outlet mapped to its
    canonical domain; default port dropped; path percent-encoding normalized, a trailing
    '/index.html' or '/' folded; tracking parameters and the fragment dropped; the remaining
    query parameters sorted.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    outlet = registry.for_domain(host)
    if outlet is not None and outlet.canonical_domain and host in outlet.domains:
        host = outlet.canonical_domain
    port = parts.port if _has_port(parts.netloc) else None
    scheme = parts.scheme.lower()
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~")
    for suffix in ("/index.html", "/index.htm"):
        if path.endswith(suffix):
            path = path[: -len(suffix) + 1]
    path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    return urlunsplit(("https", host, path, urlencode(query), ""))


def _has_port(netloc: str) -> bool:
    host = netloc.rsplit("@", 1)[-1]
    return ":" in host.rsplit("]", 1)[-1]


def article_id(canonical: str | None, body: str) -> str:
    """32 hex characters of SHA-256 over the canonical URL, or over the body when there is none."""
    key = f"url:{canonical}" if canonical else f"text:{body}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    return file_sha256_with_prefixes(path, ())[0]


def file_sha256_with_prefixes(path: Path, sizes: Iterable[int]) -> tuple[str, dict[int, Any]]:
    """The file's SHA-256, and the hash state after each of its first `sizes` bytes (those
    sizes the file reaches), from one read."""
    digest = hashlib.sha256()
    wanted = sorted({s for s in sizes if s > 0})
    states: dict[int, Any] = {}
    position = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            view, start = memoryview(block), 0
            while wanted and wanted[0] <= position + len(block):
                cut = wanted.pop(0) - position
                digest.update(view[start:cut])
                start = cut
                states[position + cut] = digest.copy()
            digest.update(view[start:])
            position += len(block)
    return digest.hexdigest(), states
