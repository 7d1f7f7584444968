"""croissant.json: Croissant 1.1 JSON-LD of a release, with the Responsible-AI (RAI) fields."""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pydantic import BaseModel

from builder import NORMALIZER_VERSION, __version__
from builder.citation import render_bibtex, spdx_license, split_author
from builder.config import Config
from builder.records import SPLITS, Article
from builder.schema import article_arrow_schema
from builder.stats import Stats, agree, counted

if TYPE_CHECKING:
    from builder.describe import Caveat, OutletFacts

CROISSANT_VERSION = "http://mlcommons.org/croissant/1.1"
RAI_VERSION = "http://mlcommons.org/croissant/RAI/1.0"
RAI_TEMPLATE = Path(__file__).resolve().parent / "templates" / "rai.toml"
RECORD_SET = "articles"
FILE_SET = "parquet-files"
PARQUET_MIME = "application/x-parquet"
SPLIT_URLS = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}
# The file name of a shard gives its split; the pattern also accepts a bare split name because
# mlcroissant applies it again to the already extracted value when it joins on `references`.
SPLIT_PATTERN = r"^(?:.*/)?(train|validation|test)(?:-\d{5}-of-\d{5}\.parquet)?$"

# The Croissant 1.1 context (specification, appendix 1) with the terms mlcroissant also defines.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "annotation": "cr:annotation",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "excludes": "cr:excludes",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "readLines": "cr:readLines",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sdVersion": "cr:sdVersion",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "unArchive": "cr:unArchive",
    "value": "cr:value",
}


def _data_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "sc:Text"
    if pa.types.is_timestamp(arrow_type):
        return "sc:DateTime"
    if pa.types.is_date(arrow_type):
        return "sc:Date"
    if pa.types.is_integer(arrow_type):
        return "sc:Integer"
    if pa.types.is_floating(arrow_type):
        return "sc:Float"
    if pa.types.is_boolean(arrow_type):
        return "sc:Boolean"
    raise TypeError(f"no Croissant dataType for Arrow type {arrow_type}")


def _descriptions(model: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel] | None]]:
    """Each field's description and, for a nested model (or a list of one), that model."""
    out = {}
    for name, info in model.model_fields.items():
        nested = None
        for arg in (info.annotation, *typing.get_args(info.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                nested = arg
        out[name] = (info.description or "", nested)
    return out


def _source(column: str, json_path: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"fileSet": {"@id": FILE_SET}, "extract": {"column": column}}
    if json_path:
        source["transform"] = {"jsonPath": json_path}
    return source


def _field(field: pa.Field, parent_id: str, column: str | None, model: type[BaseModel] | None,
           description: str) -> dict[str, Any]:
    """A cr:Field for an Arrow field; structs become subFields, lists set isArray."""
    field_id = f"{parent_id}/{field.name}"
    out: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": field.name}
    if description:
        out["description"] = description
    arrow_type = field.type
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        out["isArray"] = True
        out["arrayShape"] = "-1"
        arrow_type = arrow_type.value_type
    if pa.types.is_struct(arrow_type):
        # Sub-fields read the parent's column and pick their key with a JSON path (per item of a list).
        notes = _descriptions(model) if model else {}
        out["subField"] = [
            _field(arrow_type.field(i), field_id, None, None, notes.get(arrow_type.field(i).name, ("", None))[0])
            | {"source": _source(column or field.name, arrow_type.field(i).name)}
            for i in range(arrow_type.num_fields)
        ]
    else:
        out["dataType"] = _data_type(arrow_type)
        if column is not None:
            out["source"] = _source(column)
    return out


def record_set_fields() -> list[dict[str, Any]]:
    """One cr:Field per column of the Parquet files, nested types included, plus the split."""
    notes = _descriptions(Article)
    schema = article_arrow_schema()
    fields = [_field(schema.field(name), RECORD_SET, name, notes[name][1], notes[name][0]) for name in schema.names]
    fields.append({
        "@type": "cr:Field",
        "@id": f"{RECORD_SET}/split",
        "name": "split",
        "description": "The split the article belongs to, from the name of its Parquet file.",
        "dataType": "sc:Text",
        "source": {"fileSet": {"@id": FILE_SET}, "extract": {"fileProperty": "fullpath"},
                   "transform": {"regex": SPLIT_PATTERN}},
        "references": {"field": {"@id": "splits/name"}},
    })
    return fields


def _splits_record_set() -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": "splits",
        "name": "splits",
        "description": "The splits of the release; an article's split is a salted hash of its near-duplicate cluster.",
        "dataType": "cr:Split",
        "key": {"@id": "splits/name"},
        "field": [
            {"@type": "cr:Field", "@id": "splits/name", "name": "name", "dataType": "sc:Text"},
            {"@type": "cr:Field", "@id": "splits/url", "name": "url", "dataType": "sc:URL"},
        ],
        "data": [{"splits/name": s, "splits/url": SPLIT_URLS[s]} for s in SPLITS],
    }


def _distribution(out: Path, data_files: dict[str, int]) -> list[dict[str, Any]]:
    from builder.describe import file_sha256

    files: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": rel,
            "name": rel,
            "description": f"Parquet shard with {counted(rows, 'article')}.",
            "contentUrl": rel,
            "contentSize": f"{(out / rel).stat().st_size} B",
            "encodingFormat": PARQUET_MIME,
            "sha256": file_sha256(out / rel),
        }
        for rel, rows in sorted(data_files.items())
    ]
    files.append({
        "@type": "cr:FileSet",
        "@id": FILE_SET,
        "name": FILE_SET,
        "description": "Every Parquet shard of the release (the FileObjects above), read together.",
        "encodingFormat": PARQUET_MIME,
        "includes": "data/*.parquet",
    })
    return files


def _creators(config: Config) -> list[dict[str, Any]]:
    creators = []
    for author in config.authors:
        person = split_author(author)
        if "name" in person:
            creators.append({"@type": "sc:Organization", "name": person["name"]})
        else:
            creators.append({"@type": "sc:Person", "name": f"{person['given-names']} {person['family-names']}",
                             "givenName": person["given-names"], "familyName": person["family-names"]})
    return creators


def _license(config: Config) -> Any:
    spdx = spdx_license(config)
    if spdx:
        return f"https://spdx.org/licenses/{spdx}.html"
    return {"@type": "sc:CreativeWork", "name": config.license,
            **({"description": config.license_note} if config.license_note else {})}


def _rai(stats: Stats, facts: list[OutletFacts], notes: list[Caveat], counts: dict[str, int], raw_files: int,
         takedowns: list[dict[str, Any]]) -> dict[str, Any]:
    """The RAI fields: the narrative of templates/rai.toml, completed with what was computed for the datasheet."""
    text = tomllib.loads(RAI_TEMPLATE.read_text(encoding="utf-8"))
    n = stats.rows
    captured = (f" This release was built from {counted(raw_files, 'raw file')} holding "
                f"{counted(counts['read'], 'raw record')}"
                + (f", captured between {stats.retrieved_min} and {stats.retrieved_max}." if stats.retrieved_min else "."))
    missing = "; ".join(f"{field} missing in {stats.missing.get(field, 0)} of {n}"
                        for field in ("url", "published_at", "retrieved_at", "authors", "headline", "language"))
    outlets = "; ".join(
        f"{f.slug} ({f.name}): {counted(f.articles, 'article')}, ownership {f.ownership or 'unknown'}, country "
        f"{f.country or 'unknown'}" + (f", state affiliation: {f.state_affiliation}" if f.state_affiliation else "")
        + (f" [sources: {', '.join(url for url, _ in f.sources)}]" if f.sources else "")
        for f in facts)
    removed = ", ".join(f"{kind} {count}" for kind, count in sorted(stats.removed_kinds.items())) or "nothing"
    rai: dict[str, Any] = {
        "rai:dataCollection": text["dataCollection"] + captured,
        "rai:dataCollectionType": text["dataCollectionType"],
        "rai:dataCollectionMissingData": f"Metadata a capture did not carry is left empty: {missing}. "
                                         f"{counted(counts['quarantined'], 'raw record')} "
                                         f"{agree(counts['quarantined'], 'was', 'were')} quarantined.",
        "rai:dataCollectionRawData": text["dataCollectionRawData"],
        "rai:dataPreprocessingProtocol": [*text["dataPreprocessingProtocol"],
                                          (f"Normalizer version {NORMALIZER_VERSION}, builder version {__version__}; "
                                           f"removed from the texts, by kind: {removed}.")],
        "rai:dataAnnotationProtocol": text["dataAnnotationProtocol"],
        "rai:machineAnnotationTools": text["machineAnnotationTools"],
        "rai:dataUseCases": text["dataUseCases"],
        "rai:dataBiases": [c.plain() for c in notes if c.kind == "bias"]
                          + ([f"Outlets: {outlets}."] if outlets else []) + text["dataBiases"],
        "rai:dataLimitations": [c.plain() for c in notes if c.kind == "limitation"] + text["dataLimitations"],
        "rai:dataSocialImpact": text["dataSocialImpact"],
        "rai:personalSensitiveInformation": [*text["personalSensitiveInformation"],
                                             f"{n - stats.missing.get('authors', 0)} of {counted(n, 'article')} name their authors."],
        "rai:dataReleaseMaintenancePlan": text["dataReleaseMaintenancePlan"]
                                          + f" Articles taken down in this release: {len(takedowns)}.",
    }
    if stats.retrieved_min:
        rai["rai:dataCollectionTimeframe"] = [stats.retrieved_min, stats.retrieved_max]
    return rai


def render_croissant(config: Config, out: Path, data_files: dict[str, int], stats: Stats, facts: list[OutletFacts],
                     notes: list[Caveat], counts: dict[str, int], raw_files: int,
                     takedowns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The Croissant document of the release in `out` (its Parquet files must be written)."""
    langs = sorted(k for k in stats.per_language if k != "unknown")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_VERSION, RAI_VERSION],
        "name": config.name,
        "alternateName": config.pretty_name or config.name,
        "description": config.description or config.pretty_name or config.name,
        "version": config.version,
        "license": _license(config),
        "creator": _creators(config),
        "citeAs": render_bibtex(config),
        "keywords": ["news", "media studies", "disinformation", "provenance"],
        "inLanguage": langs,
        "isLiveDataset": False,
        "distribution": _distribution(out, data_files),
        "recordSet": [
            _splits_record_set(),
            {
                "@type": "cr:RecordSet",
                "@id": RECORD_SET,
                "name": RECORD_SET,
                "description": "One record per published article, from every Parquet shard.",
                "key": {"@id": f"{RECORD_SET}/id"},
                "field": record_set_fields(),
            },
        ],
    }
    if config.release_date is not None:
        doc["datePublished"] = config.release_date.isoformat()
    if config.homepage:
        doc["url"] = config.homepage
    if config.doi:
        doc["identifier"] = f"https://doi.org/{config.doi}"
        doc["sameAs"] = [f"https://doi.org/{config.doi}"]
    doc.update(_rai(stats, facts, notes, counts, raw_files, takedowns or []))
    return doc
