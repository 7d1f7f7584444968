"""The corpus configuration file (corpus.toml): identity, licence, splits, limits, output."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.cluster import NearDupConfig
from builder.split import SplitConfig
from builder.validate import Limits

_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,95}$")
# The DOI pattern of the Citation File Format 1.2.0 schema.
_DOI = re.compile(r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-\.\(\)\[\]\\]+$")


class ConfigError(ValueError):
    """The config file is missing or wrong; the message says what to change."""


@dataclass(frozen=True)
class OutputConfig:
    rows_per_shard: int = 100_000
    row_group_rows: int = 10_000
    compression: str = "zstd"
    compression_level: int = 3


@dataclass(frozen=True)
class Config:
    name: str
    version: str
    license: str = "other"
    pretty_name: str = ""
    license_note: str = ""
    description: str = ""
    authors: tuple[str, ...] = ()
    splits: SplitConfig = field(default_factory=SplitConfig)
    limits: Limits = field(default_factory=Limits)
    output: OutputConfig = field(default_factory=OutputConfig)
    batch_rows: int = 500
    near_duplicates: NearDupConfig = field(default_factory=NearDupConfig)
    takedowns: Path | None = None
    # Citation metadata: never taken from the wall clock, so a rebuild cites the same release.
    release_date: dt.date | None = None
    doi: str = ""
    homepage: str = ""
    source: dict[str, Any] = field(default_factory=dict, compare=False)


def _section(data: dict, key: str, cls: type, where: Path) -> Any:
    raw = data.get(key, {})
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ConfigError(f"{where}: [{key}]: {exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: [{key}]: {exc}") from None


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found; pass --config or create corpus.toml") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    for key in ("name", "version"):
        if key not in data:
            raise ConfigError(f"{path}: missing required key {key!r}")
    if not _VERSION.match(str(data["version"])):
        raise ConfigError(f"{path}: version {data['version']!r} is not MAJOR.MINOR.PATCH")
    if not _NAME.match(str(data["name"])):
        raise ConfigError(f"{path}: name {data['name']!r} must be lowercase letters, digits, '.', '_' or '-'")
    known = {"name", "version", "license", "pretty_name", "license_note", "description", "authors",
             "splits", "limits", "output", "batch_rows", "release_date", "doi", "homepage",
             "near_duplicates", "takedowns"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}")
    release_date = data.get("release_date")
    # TOML gives a date for `2026-01-31` and a datetime for a value with a time: only a date is a release date.
    if release_date is not None and (not isinstance(release_date, dt.date) or isinstance(release_date, dt.datetime)):
        raise ConfigError(f"{path}: release_date must be a TOML date like 2026-01-31, not {release_date!r}")
    for key in ("doi", "homepage"):
        if not isinstance(data.get(key, ""), str):
            raise ConfigError(f"{path}: {key} must be a string")
    doi = data.get("doi", "").strip()
    if doi and not _DOI.match(doi):
        raise ConfigError(f"{path}: doi {doi!r} must be a bare DOI like 10.5281/zenodo.1234567, not a URL")
    homepage = data.get("homepage", "").strip()
    if homepage and not homepage.startswith(("https://", "http://")):
        raise ConfigError(f"{path}: homepage {homepage!r} must be an http(s) URL")
    return Config(
        name=data["name"],
        version=data["version"],
        license=data.get("license", "other"),
        pretty_name=data.get("pretty_name", data["name"]),
        license_note=data.get("license_note", ""),
        description=data.get("description", ""),
        authors=tuple(data.get("authors", [])),
        splits=_section(data, "splits", SplitConfig, path),
        limits=_section(data, "limits", Limits, path),
        output=_section(data, "output", OutputConfig, path),
        batch_rows=int(data.get("batch_rows", 500)),
        near_duplicates=_section(data, "near_duplicates", NearDupConfig, path),
        takedowns=(path.parent / data["takedowns"]) if data.get("takedowns") else None,
        release_date=release_date,
        doi=doi,
        homepage=homepage,
        source=data,
    )
