"""How to cite a release: CITATION.cff (Citation File Format 1.2.0), BibTeX and APA strings."""

from __future__ import annotations

import re

import yaml

from builder.config import Config

CFF_VERSION = "1.2.0"
# Hub licence ids (https://huggingface.co/docs/hub/repositories-licenses) whose SPDX id differs only
# in case; any other value (e.g. "other") has no SPDX id and is left out of CITATION.cff.
_SPDX = {
    spdx.lower(): spdx
    for spdx in (
        "Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0", "CC-BY-2.0", "CC-BY-3.0",
        "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC-BY-NC-2.0", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
        "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0",
        "CC-BY-ND-4.0", "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0", "GPL-3.0", "LGPL-3.0", "AGPL-3.0",
        "MPL-2.0", "Unlicense",
    )
}
_BIBTEX_SPECIAL = re.compile(r"([&%$#_])")


def spdx_license(config: Config) -> str | None:
    """The SPDX id of the configured licence, or None when it has none (e.g. `other`)."""
    return _SPDX.get(config.license.lower())


def split_author(author: str) -> dict[str, str]:
    """A CFF author: "Family, Given" is a person; anything else is an entity (a team, an institution).

    Names are never split on spaces: which part is the family name cannot be guessed.
    """
    family, comma, given = author.partition(",")
    if comma and family.strip() and given.strip():
        return {"family-names": family.strip(), "given-names": given.strip()}
    return {"name": author.strip()}


def display_name(author: str) -> str:
    """An author as written in prose: "Family, Given" becomes "Given Family"."""
    person = split_author(author)
    return person.get("name") or f"{person['given-names']} {person['family-names']}"


def render_cff(config: Config) -> str:
    """CITATION.cff for the release; date-released only when the config sets release_date."""
    title = config.pretty_name or config.name
    abstract = config.description
    if spdx_license(config) is None and config.license_note:
        # CFF takes only SPDX ids; the terms of a custom licence go with the abstract.
        abstract = f"{abstract} Licence: {config.license}. {config.license_note}".strip()
    cff: dict = {
        "cff-version": CFF_VERSION,
        "message": "If you use this corpus, please cite this release as below.",
        "type": "dataset",
        "title": title,
        "version": config.version,
        "authors": [split_author(a) for a in config.authors] or [{"name": config.name}],
    }
    if config.release_date is not None:
        cff["date-released"] = config.release_date
    if config.doi:
        cff["doi"] = config.doi
        cff["identifiers"] = [{"type": "doi", "value": config.doi, "description": f"The DOI of version {config.version}."}]
    if config.homepage:
        cff["url"] = config.homepage
    if (spdx := spdx_license(config)) is not None:
        cff["license"] = spdx
    if abstract:
        cff["abstract"] = abstract
    cff["keywords"] = ["news", "corpus", "media studies", "provenance"]
    return yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=1000)


def bibtex_key(config: Config) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{config.name}_{config.version}")


def _bib(text: str) -> str:
    return _BIBTEX_SPECIAL.sub(r"\\\1", text)


def _bib_author(author: str) -> str:
    person = split_author(author)
    if "name" in person:
        # Braces keep BibTeX from reading an institution's name as "Given Family".
        return "{" + _bib(person["name"]) + "}"
    return _bib(f"{person['family-names']}, {person['given-names']}")


def render_bibtex(config: Config) -> str:
    """A BibTeX @misc entry for the release (BibLaTeX reads `version` and `doi` too)."""
    title = config.pretty_name or config.name
    fields = [
        ("title", "{" + _bib(title) + "}"),
        ("author", " and ".join(_bib_author(a) for a in config.authors) or "{" + _bib(config.name) + "}"),
    ]
    if config.release_date is not None:
        fields.append(("year", str(config.release_date.year)))
        fields.append(("month", str(config.release_date.month)))
    fields.append(("version", config.version))
    fields.append(("note", f"Version {config.version}"))
    if config.doi:
        fields.append(("doi", _bib(config.doi)))
    if config.homepage:
        fields.append(("url", config.homepage))
    body = ",\n".join(f"  {name:<7} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(config)},\n{body},\n}}"


def render_apa(config: Config) -> str:
    """An APA-style reference for the release."""
    people = []
    for author in config.authors:
        person = split_author(author)
        if "name" in person:
            people.append(person["name"])
        else:
            initials = " ".join(f"{part[0]}." for part in person["given-names"].split() if part)
            people.append(f"{person['family-names']}, {initials}")
    who = ", ".join(people[:-1]) + (", & " if len(people) > 1 else "") + people[-1] if people else config.name
    year = str(config.release_date.year) if config.release_date is not None else "n.d."
    title = config.pretty_name or config.name
    link = f" https://doi.org/{config.doi}" if config.doi else (f" {config.homepage}" if config.homepage else "")
    return f"{who}. ({year}). *{title}* (Version {config.version}) [Data set].{link}"
