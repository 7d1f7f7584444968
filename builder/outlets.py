"""The outlet registry: one TOML file per outlet under builder/outlets/, loaded as data."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

OUTLET_DIR = Path(__file__).resolve().parent / "outlets"
CLAIM_FIELDS = ("country", "ownership", "state_affiliation")


class RegistryError(ValueError):
    """An outlet file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Claim:
    """A sourced statement about an outlet (ownership, state affiliation, country)."""

    value: str
    source: str
    checked: dt.date


@dataclass(frozen=True)
class BoilerplateRule:
    kind: str
    pattern: re.Pattern[str]
    scope: Literal["paragraph", "to_end", "until"]
    end: re.Pattern[str] | None = None
    tail_kind: str | None = None


@dataclass(frozen=True)
class Rules:
    breadcrumb_separator: re.Pattern[str] | None = None
    datelines: tuple[re.Pattern[str], ...] = ()
    caption_credits: tuple[re.Pattern[str], ...] = ()
    bylines: tuple[re.Pattern[str], ...] = ()
    boilerplate: tuple[BoilerplateRule, ...] = ()


@dataclass(frozen=True)
class Outlet:
    slug: str
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    signatures: tuple[re.Pattern[str], ...] = ()
    languages: tuple[str, ...] = ()
    timezone: str | None = None
    claims: dict[str, Claim] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)

    @property
    def canonical_domain(self) -> str | None:
        return self.domains[0] if self.domains else None


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RegistryError(f"{where}: bad regular expression {pattern!r}: {exc}") from None


def _rules(data: dict, where: str) -> Rules:
    sep = data.get("breadcrumb_separator")
    boiler = []
    for i, rule in enumerate(data.get("boilerplate", [])):
        at = f"{where}: rules.boilerplate[{i}]"
        scope = rule.get("scope", "paragraph")
        if scope not in ("paragraph", "to_end", "until"):
            raise RegistryError(f"{at}: scope must be paragraph, to_end or until, not {scope!r}")
        if scope == "until" and "end" not in rule:
            raise RegistryError(f"{at}: scope 'until' needs an 'end' pattern")
        boiler.append(
            BoilerplateRule(
                kind=rule["kind"],
                pattern=_compile(rule["pattern"], at),
                scope=scope,
                end=_compile(rule["end"], at) if "end" in rule else None,
                tail_kind=rule.get("tail_kind"),
            )
        )
    return Rules(
        breadcrumb_separator=_compile(sep, where) if sep else None,
        datelines=tuple(_compile(p, where) for p in data.get("datelines", [])),
        caption_credits=tuple(_compile(p, where) for p in data.get("caption_credits", [])),
        bylines=tuple(_compile(p, where) for p in data.get("bylines", [])),
        boilerplate=tuple(boiler),
    )


def _claims(data: dict, where: str) -> dict[str, Claim]:
    claims = {}
    for key, claim in data.items():
        if key not in CLAIM_FIELDS:
            raise RegistryError(f"{where}: unknown claim {key!r}; expected one of {CLAIM_FIELDS}")
        # A claim without a source (or check date) is not published.
        if not isinstance(claim, dict) or not claim.get("source") or not claim.get("checked"):
            continue
        checked = claim["checked"]
        if isinstance(checked, str):
            checked = dt.date.fromisoformat(checked)
        claims[key] = Claim(value=str(claim["value"]), source=claim["source"], checked=checked)
    return claims


def load_outlet(path: Path) -> Outlet:
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{where}: cannot read outlet file: {exc}") from None
    try:
        return Outlet(
            slug=data["slug"],
            name=data.get("name", ""),
            aliases=tuple(data.get("aliases", [])),
            domains=tuple(d.lower() for d in data.get("domains", [])),
            signatures=tuple(_compile(p, where) for p in data.get("signatures", [])),
            languages=tuple(data.get("languages", [])),
            timezone=data.get("timezone"),
            claims=_claims(data.get("claims", {}), where),
            rules=_rules(data.get("rules", {}), where),
        )
    except KeyError as exc:
        raise RegistryError(f"{where}: missing key {exc}") from None


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class Registry:
    outlets: dict[str, Outlet]
    generic: Outlet
    by_domain: dict[str, str]
    by_alias: dict[str, str]
    # What the normalizer derives once per outlet from its rules and the generic ones.
    derived: dict[str | None, Any] = field(default_factory=dict, compare=False, repr=False)

    def for_domain(self, host: str) -> Outlet | None:
        """The outlet whose domain is `host` or a parent domain of it."""
        host = host.lower().rstrip(".")
        parts = host.split(".")
        for i in range(len(parts) - 1):
            slug = self.by_domain.get(".".join(parts[i:]))
            if slug:
                return self.outlets[slug]
        return None

    def for_name(self, name: str) -> Outlet | None:
        folded = _fold(name)
        slug = self.by_alias.get(folded)
        if slug:
            return self.outlets[slug]
        # A scraper often records the site's domain as its name.
        return self.for_domain(folded) if "." in folded and " " not in folded else None

    def for_text(self, text: str) -> Outlet | None:
        for slug in sorted(self.outlets):
            if any(sig.search(text) for sig in self.outlets[slug].signatures):
                return self.outlets[slug]
        return None


@cache
def load_registry(directory: Path = OUTLET_DIR) -> Registry:
    outlets: dict[str, Outlet] = {}
    generic = Outlet(slug="generic", name="")
    by_domain: dict[str, str] = {}
    by_alias: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        outlet = load_outlet(path)
        if outlet.slug == "generic":
            generic = outlet
            continue
        if outlet.slug in outlets:
            raise RegistryError(f"{path.name}: slug {outlet.slug!r} is defined twice")
        outlets[outlet.slug] = outlet
        for domain in outlet.domains:
            if by_domain.setdefault(domain, outlet.slug) != outlet.slug:
                raise RegistryError(f"{path.name}: domain {domain!r} also belongs to {by_domain[domain]!r}")
        for alias in (outlet.name, outlet.slug, *outlet.aliases):
            by_alias.setdefault(_fold(alias), outlet.slug)
    return Registry(outlets=outlets, generic=generic, by_domain=by_domain, by_alias=by_alias)
